// Staff views: dashboard, batches, partners & keys, resellers & settlement, audit.
// Each render function gets (root, ctx) with ctx = {params, query, signal, user, sameView, navigate};
// ctx.signal aborts when the user leaves the view (timers and late answers stop with it).
import { api, isAbort } from './api.js';
import {
  TICKET_STATUSES, badge, copyText, dateEl, emptyState, errorBox, field, fmtClock, fmtInt, fmtMoney, fmtPercent,
  formErrorLine, h, label, loading, localInputToRfc3339, pageHeader, pager, parseDay, posInt, productLabel,
  productNames, s, section, shortId, showFormError, store, tableWrap, th, timeEl, toast, ymd,
} from './ui.js';

// =====================================================================================
// Dashboard
// =====================================================================================

const INVENTORY_EVERY_MS = 5000;
const SLOW_EVERY_TICKS = 6; // reconciliation + sales every 30 s

export function renderDashboard(root, { signal }) {
  const updated = h('span', { class: 'updated', 'data-testid': 'inventory-updated' }, 'Loading…');
  const refreshBtn = h('button', { type: 'button', class: 'btn btn-small' }, 'Refresh now');
  const invStatus = h('div', { class: 'inline-status', role: 'status' });
  const invBody = h('div', null, loading('Loading inventory…'));
  const reconBody = h('div', null, loading('Checking counters…'));
  const salesBody = h('div', null, loading('Loading sales…'));

  root.append(
    pageHeader('Dashboard', updated, refreshBtn),
    section(
      'Inventory',
      h('p', { class: 'muted small' }, 'Held: live reservations, unpaid orders and pre-generated tickets. Sold: issued tickets (active or used). Refreshes every 5 seconds.'),
      invStatus,
      invBody,
    ),
    h(
      'div',
      { class: 'grid-2' },
      section('Reconciliation', reconBody),
      section('Tickets sold, last 14 days', salesBody),
    ),
  );

  let names = new Map();
  let haveInventory = false;
  let timer = null;
  let tick = 0;
  let running = false;

  async function loadInventory() {
    try {
      const data = await api('/api/admin/inventory', { signal });
      if (signal.aborted) return;
      const rows = data.inventory || [];
      names = new Map(rows.map((r) => [String(r.product_id), r.product_name]));
      invBody.replaceChildren(inventoryTable(rows));
      haveInventory = true;
      updated.textContent = `Updated ${fmtClock(new Date())}`;
      updated.classList.remove('stale');
      invStatus.replaceChildren();
    } catch (e) {
      if (isAbort(e) || signal.aborted) return;
      if (!haveInventory) {
        invBody.replaceChildren(errorBox(e, () => refreshNow()));
        updated.textContent = 'Not loaded';
      } else {
        updated.classList.add('stale');
        invStatus.replaceChildren(
          h('p', { class: 'alert alert-warn' }, `Refresh failed at ${fmtClock(new Date())}: ${e.message} Showing the last figures.`),
        );
      }
    }
  }

  async function loadRecon() {
    try {
      const data = await api('/api/admin/reports/reconciliation', { signal });
      if (!signal.aborted) reconBody.replaceChildren(reconciliationView(data, names));
    } catch (e) {
      if (!isAbort(e) && !signal.aborted) reconBody.replaceChildren(errorBox(e, () => loadRecon()));
    }
  }

  async function loadSales() {
    try {
      const data = await api('/api/admin/reports/sales', { query: { days: 14 }, signal });
      if (!signal.aborted) salesBody.replaceChildren(salesView(data, salesBody.clientWidth));
    } catch (e) {
      if (!isAbort(e) && !signal.aborted) salesBody.replaceChildren(errorBox(e, () => loadSales()));
    }
  }

  async function cycle() {
    clearTimeout(timer);
    if (signal.aborted) return;
    if (running || document.hidden) {
      timer = setTimeout(cycle, INVENTORY_EVERY_MS);
      return;
    }
    running = true;
    try {
      await loadInventory();
      if (tick % SLOW_EVERY_TICKS === 0) await Promise.all([loadRecon(), loadSales()]);
      tick += 1;
    } finally {
      running = false;
    }
    clearTimeout(timer);
    if (!signal.aborted) timer = setTimeout(cycle, INVENTORY_EVERY_MS);
  }

  function refreshNow() {
    tick = 0;
    cycle();
  }

  refreshBtn.addEventListener('click', refreshNow);
  document.addEventListener('visibilitychange', () => !document.hidden && cycle(), { signal });
  signal.addEventListener('abort', () => clearTimeout(timer));
  cycle();
}

// Available first: it is the figure staff look for; capacity last (same for both channels).
const INV_FIELDS = ['available', 'allocated', 'held', 'sold', 'used', 'capacity'];

function inventoryTable(rows) {
  if (!rows.length) return emptyState('No packages in the inventory.');
  const byProduct = new Map();
  for (const r of rows) {
    const k = String(r.product_id);
    if (!byProduct.has(k)) byProduct.set(k, []);
    byProduct.get(k).push(r);
  }
  const order = { direct: 0, ota: 1 };
  const groups = [...byProduct.values()]
    .sort((a, b) => Number(a[0].product_id) - Number(b[0].product_id))
    .map((g) => g.sort((a, b) => (order[a.channel] ?? 9) - (order[b.channel] ?? 9)));

  const table = h(
    'table',
    { class: 'data inventory', 'data-testid': 'inventory-table' },
    h('caption', { class: 'sr-only' }, 'Inventory per package and channel'),
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        th('Package'),
        th('Channel'),
        th('Available', 'num'),
        th('Allocated', 'num'),
        th('Held', 'num'),
        th('Sold', 'num'),
        th('Used', 'num'),
        th('Capacity', 'num col-capacity'),
        th('Taken', 'bar-col'),
      ),
    ),
  );
  for (const g of groups) {
    const tbody = h('tbody', { class: 'group' });
    g.forEach((r, i) => {
      const tr = h('tr', { 'data-product': r.product_id, 'data-channel': r.channel });
      if (i === 0) {
        tr.append(
          h('th', { scope: 'rowgroup', rowspan: g.length, class: 'pkg' }, r.product_name || `Package ${r.product_id}`, h('span', { class: 'muted id' }, ` #${r.product_id}`)),
        );
      }
      tr.append(h('td', { 'data-field': 'channel' }, label(r.channel)));
      for (const f of INV_FIELDS) {
        const v = r[f];
        let cls = f === 'capacity' ? 'num col-capacity' : 'num';
        if (f === 'available') {
          const alloc = Number(r.allocated) || 0;
          if (Number(v) <= 0) cls += ' level-out';
          else if (alloc && Number(v) / alloc < 0.1) cls += ' level-low';
        }
        // Plain integers (no separators) so the figures are easy to read by tools and tests.
        tr.append(h('td', { 'data-field': f, class: cls }, v === null || v === undefined ? '—' : String(v)));
      }
      tr.append(h('td', { class: 'bar-col' }, takenBar(r)));
      tbody.append(tr);
    });
    table.append(tbody);
  }
  return tableWrap(table, 'Inventory table');
}

function takenBar(r) {
  const alloc = Number(r.allocated) || 0;
  const sold = Number(r.sold) || 0;
  const held = Number(r.held) || 0;
  const pct = (n) => (alloc ? Math.min(100, (n / alloc) * 100) : 0);
  const sBar = h('span', { class: 'seg seg-sold' });
  const hBar = h('span', { class: 'seg seg-held' });
  sBar.style.width = `${pct(sold)}%`;
  hBar.style.width = `${Math.min(100 - pct(sold), pct(held))}%`;
  const total = alloc ? Math.round(((sold + held) / alloc) * 100) : 0;
  return h(
    'span',
    { class: 'taken', title: `${sold} sold + ${held} held of ${alloc} allocated` },
    h('span', { class: 'meter', 'aria-hidden': 'true' }, sBar, hBar),
    h('span', { class: 'meter-pct' }, `${total}%`),
  );
}

function reconciliationView(data, names) {
  const rows = data.rows || [];
  const when = h('p', { class: 'muted small' }, 'Stored counters compared with counts recomputed from reservations, orders and tickets. Checked ', timeEl(data.generated_at), '.');
  if (data.consistent) {
    return h(
      'div',
      { class: 'recon recon-ok', 'data-testid': 'reconciliation', 'data-consistent': 'true' },
      h('p', { class: 'recon-status' }, h('span', { class: 'recon-icon', 'aria-hidden': 'true' }, '✓'), 'Consistent'),
      when,
    );
  }
  const bad = rows.filter((r) => !r.consistent);
  const items = bad.map((r) => {
    const stored = r.stored || {};
    const re = r.recomputed || {};
    const keys = [...new Set([...Object.keys(stored), ...Object.keys(re)])];
    const diffs = keys.filter((k) => stored[k] !== re[k]);
    const name = names.get(String(r.product_id)) || `Package ${r.product_id}`;
    return h(
      'li',
      { 'data-product': r.product_id, 'data-channel': r.channel },
      h('strong', null, `${name} · ${label(r.channel)}`),
      diffs.length
        ? h('ul', null, diffs.map((k) => h('li', null, `${k}: stored ${stored[k] ?? '—'}, recomputed ${re[k] ?? '—'}`)))
        : h('span', null, ' — flagged inconsistent'),
    );
  });
  return h(
    'div',
    { class: 'recon recon-bad', 'data-testid': 'reconciliation', 'data-consistent': 'false', role: 'alert' },
    h('p', { class: 'recon-status' }, h('span', { class: 'recon-icon', 'aria-hidden': 'true' }, '!'), 'Counters differ'),
    items.length ? h('ul', { class: 'recon-list' }, items) : h('p', null, 'The report is marked inconsistent.'),
    when,
  );
}

function niceCeil(n) {
  if (n <= 1) return 1;
  const p = 10 ** Math.floor(Math.log10(n));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= n) return m * p;
  return 10 * p;
}

const weekdayFmt = new Intl.DateTimeFormat(undefined, { weekday: 'short' });
const dayFmt = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });

function salesView(data, width) {
  const days = data.days || [];
  const currency = data.currency || 'USD';
  const totalTickets = days.reduce((a, d) => a + (Number(d.tickets) || 0), 0);
  const totalGross = days.reduce((a, d) => a + (Number(d.gross_cents) || 0), 0);
  if (!days.length) return emptyState('No sales data.');

  // Draw at the container's own width so the labels keep a readable size on phones.
  const W = width >= 300 ? Math.min(960, Math.round(width)) : 640;
  const H = 230;
  const padL = 40;
  const padR = 8;
  const padT = 18;
  const padB = 42;
  const max = niceCeil(Math.max(0, ...days.map((d) => Number(d.tickets) || 0)));
  const plotW = W - padL - padR;
  const plotH = H - padT - padB;
  const slot = plotW / days.length;
  const bw = Math.max(2, Math.min(36, slot * 0.68));
  const y = (v) => padT + plotH - (v / max) * plotH;

  const best = days.reduce((a, d) => ((Number(d.tickets) || 0) > (Number(a.tickets) || 0) ? d : a), days[0]);
  const titleId = 'sales-chart-title';
  const descId = 'sales-chart-desc';
  const svg = s(
    'svg',
    { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-labelledby': `${titleId} ${descId}`, preserveAspectRatio: 'xMidYMid meet' },
    s('title', { id: titleId }, `Tickets sold per day, last ${days.length} days`),
    s('desc', { id: descId }, `${totalTickets} tickets in total. Busiest day ${best.date} with ${best.tickets || 0} tickets.`),
  );
  // grid + y labels
  for (const v of [0, max / 2, max]) {
    const yy = y(v);
    svg.append(
      s('line', { x1: padL, x2: W - padR, y1: yy, y2: yy, class: v === 0 ? 'axis' : 'grid' }),
      s('text', { x: padL - 6, y: yy + 4, class: 'tick', 'text-anchor': 'end' }, Number.isInteger(v) ? String(v) : v.toFixed(1)),
    );
  }
  days.forEach((d, i) => {
    const t = Number(d.tickets) || 0;
    const cx = padL + slot * i + slot / 2;
    const date = parseDay(d.date);
    const weekend = date && (date.getDay() === 0 || date.getDay() === 6);
    const barH = Math.max(t > 0 ? 1 : 0, plotH - (y(t) - padT));
    const g = s(
      'g',
      { class: weekend ? 'day weekend' : 'day' },
      s('title', null, `${date ? dayFmt.format(date) : d.date}: ${t} tickets, ${fmtMoney(d.gross_cents, currency)}`),
      s('rect', { x: cx - bw / 2, y: padT + plotH - barH, width: bw, height: barH, rx: 2, class: 'bar' }),
    );
    if (t > 0) g.append(s('text', { x: cx, y: padT + plotH - barH - 5, class: 'val', 'text-anchor': 'middle' }, String(t)));
    g.append(
      s('text', { x: cx, y: H - padB + 16, class: 'tick', 'text-anchor': 'middle' }, date ? weekdayFmt.format(date).slice(0, 2) : ''),
      s('text', { x: cx, y: H - padB + 31, class: 'tick', 'text-anchor': 'middle' }, date ? String(date.getDate()) : d.date),
    );
    svg.append(g);
  });

  const table = h(
    'table',
    { class: 'data compact' },
    h('thead', null, h('tr', null, th('Date'), th('Tickets', 'num'), th('Gross', 'num'))),
    h(
      'tbody',
      null,
      days.map((d) => h('tr', null, h('td', null, d.date), h('td', { class: 'num' }, fmtInt(d.tickets)), h('td', { class: 'num' }, fmtMoney(d.gross_cents, currency)))),
    ),
  );

  return h(
    'div',
    { class: 'sales', 'data-testid': 'sales-chart' },
    h(
      'p',
      { class: 'sales-total' },
      h('strong', null, fmtInt(totalTickets)),
      ' tickets · ',
      h('strong', null, fmtMoney(totalGross, currency)),
      ' gross',
    ),
    h('div', { class: 'chart-wrap' }, svg),
    h('details', { class: 'chart-table' }, h('summary', null, 'Show as table'), tableWrap(table, 'Sales per day')),
  );
}

// =====================================================================================
// Batches
// =====================================================================================

const zipUrl = (id) => `/api/admin/batches/${encodeURIComponent(id)}/archive.zip`;

function zipLink(batch, primary = false) {
  const id = batch.batch_id;
  return h(
    'a',
    {
      class: primary ? 'btn btn-primary' : 'btn btn-small',
      href: zipUrl(id),
      download: `batch-${id}.zip`,
      'data-testid': 'download-zip',
      'aria-label': `Download ZIP of batch ${shortId(id)}`,
    },
    h('span', { 'aria-hidden': 'true', class: 'icon' }, '⤓'),
    ' Download ZIP',
  );
}

function statusCounts(counts) {
  const c = counts || {};
  const parts = TICKET_STATUSES.filter((k) => Number(c[k]) > 0);
  if (!parts.length) return h('span', { class: 'muted' }, '—');
  return h(
    'span',
    { class: 'counts' },
    parts.map((k) => h('span', { class: `count count-${k.toLowerCase()}`, 'data-status': k }, h('b', null, fmtInt(c[k])), ` ${label(k).toLowerCase()}`)),
  );
}

function resellerText(b) {
  const meta = b.reseller_metadata && typeof b.reseller_metadata === 'object' ? b.reseller_metadata : null;
  if (b.reseller_code) return b.reseller_code;
  if (meta && meta.intended_reseller) return String(meta.intended_reseller);
  return '—';
}

export function renderBatches(root, ctx) {
  if (ctx.params[0]) return renderBatchDetail(root, ctx, ctx.params[0]);
  const { signal, query, navigate } = ctx;
  const page = posInt(query.get('page'), 1);
  const body = h('div', null, loading('Loading batches…'));
  root.append(
    pageHeader('Batches'),
    h('p', { class: 'lead' }, 'Pre-generated ticket batches created by OTA partners. Download a batch as a ZIP of QR images with a CSV manifest.'),
    h('section', { class: 'card', 'aria-label': 'Batch list' }, body),
  );

  async function load() {
    body.replaceChildren(loading('Loading batches…'));
    try {
      const [data, names] = await Promise.all([
        api('/api/admin/batches', { query: { page, limit: 50 }, signal }),
        productNames(),
      ]);
      if (signal.aborted) return;
      const list = data.batches || [];
      if (!list.length) {
        body.replaceChildren(emptyState(page > 1 ? 'No batches on this page.' : 'No batches yet. They appear here when an OTA partner calls bulk-generate.'));
        if (page > 1) body.append(pager(data, (p) => navigate(`#/batches?page=${p}`), 'batches'));
        return;
      }
      const table = h(
        'table',
        { class: 'data', 'data-testid': 'batches-table' },
        h('caption', { class: 'sr-only' }, 'Ticket batches'),
        h('thead', null, h('tr', null, th('Batch'), th('Created'), th('Partner'), th('Package'), th('Qty', 'num'), th('Mode'), th('Reseller'), th('Tickets'), th('Sales period ends'), th('Archive'))),
        h(
          'tbody',
          null,
          list.map((b) =>
            h(
              'tr',
              { 'data-batch': b.batch_id },
              h('td', null, h('a', { href: `#/batches/${encodeURIComponent(b.batch_id)}`, class: 'mono', title: b.batch_id, 'aria-label': `Batch ${b.batch_id}` }, shortId(b.batch_id))),
              h('td', null, timeEl(b.created_at)),
              h('td', null, b.partner_name || '—', h('span', { class: 'muted id' }, ` #${b.partner_id}`)),
              h('td', null, productLabel(names, b.product_id)),
              h('td', { class: 'num' }, fmtInt(b.quantity)),
              h('td', null, label(b.distribution_mode)),
              h('td', null, resellerText(b)),
              h('td', null, statusCounts(b.status_counts)),
              h('td', null, timeEl(b.expires_at)),
              h('td', null, zipLink(b)),
            ),
          ),
        ),
      );
      body.replaceChildren(tableWrap(table, 'Batches'), pager(data, (p) => navigate(`#/batches?page=${p}`), 'batches'));
    } catch (e) {
      if (!isAbort(e) && !signal.aborted) body.replaceChildren(errorBox(e, load));
    }
  }
  return load();
}

function kvList(obj) {
  if (!obj || typeof obj !== 'object') return h('span', { class: 'muted' }, '—');
  const entries = Object.entries(obj);
  if (!entries.length) return h('span', { class: 'muted' }, '—');
  return h(
    'dl',
    { class: 'kv' },
    entries.map(([k, v]) => [h('dt', null, k), h('dd', null, v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v ?? '—'))]),
  );
}

async function renderBatchDetail(root, { signal }, id) {
  const body = h('div', null, loading('Loading batch…'));
  root.append(
    h('p', { class: 'crumbs' }, h('a', { href: '#/batches' }, '← All batches')),
    pageHeader(`Batch ${shortId(id)}`),
    body,
  );
  async function load() {
    body.replaceChildren(loading('Loading batch…'));
    try {
      const [b, names] = await Promise.all([api(`/api/admin/batches/${encodeURIComponent(id)}`, { signal }), productNames()]);
      if (signal.aborted) return;
      body.replaceChildren(batchDetail(b, names));
    } catch (e) {
      if (!isAbort(e) && !signal.aborted) body.replaceChildren(errorBox(e, e.status === 404 ? null : load));
    }
  }
  return load();
}

function batchDetail(b, names) {
  const tickets = b.tickets || [];
  const info = h(
    'dl',
    { class: 'facts' },
    fact('Batch ID', h('span', { class: 'mono break' }, b.batch_id)),
    fact('Partner', `${b.partner_name || '—'} (#${b.partner_id})`),
    fact('Package', productLabel(names, b.product_id)),
    fact('Quantity', fmtInt(b.quantity)),
    fact('Distribution mode', label(b.distribution_mode)),
    fact('Reseller', b.reseller_code ? `${b.reseller_code}${b.reseller_id ? ` (#${b.reseller_id})` : ''}` : b.reseller_id ? `#${b.reseller_id}` : '—'),
    fact('Created', timeEl(b.created_at)),
    fact('Sales period ends', h('span', null, timeEl(b.expires_at), h('span', { class: 'muted small' }, ' (provisional, not enforced)'))),
    fact('Tickets', statusCounts(b.status_counts)),
    fact('Reseller metadata', kvList(b.reseller_metadata)),
  );

  const statusSel = h('select', { id: 'ticket-status-filter' }, h('option', { value: '' }, `All statuses (${tickets.length})`));
  for (const st of TICKET_STATUSES) {
    const n = tickets.filter((t) => t.status === st).length;
    if (n) statusSel.append(h('option', { value: st }, `${label(st)} (${n})`));
  }
  const search = h('input', { id: 'ticket-search', type: 'search', autocomplete: 'off', placeholder: 'Part of a ticket code' });
  const count = h('p', { class: 'muted small', role: 'status' });
  const tbody = h('tbody');
  const table = h(
    'table',
    { class: 'data', 'data-testid': 'batch-tickets' },
    h('caption', { class: 'sr-only' }, 'Tickets in this batch'),
    h('thead', null, h('tr', null, th('Ticket code'), th('Status'), th('Customer type'), th('Activated'))),
    tbody,
  );
  function draw() {
    const st = statusSel.value;
    const q = search.value.trim().toLowerCase();
    const shown = tickets.filter((t) => (!st || t.status === st) && (!q || String(t.ticket_code).toLowerCase().includes(q)));
    const frag = document.createDocumentFragment();
    for (const t of shown) {
      frag.append(
        h(
          'tr',
          { 'data-ticket': t.ticket_code },
          h('td', { class: 'mono' }, t.ticket_code),
          h('td', null, badge(t.status)),
          h('td', null, t.customer_type || '—'),
          h('td', null, timeEl(t.activated_at)),
        ),
      );
    }
    tbody.replaceChildren(frag);
    count.textContent = `${fmtInt(shown.length)} of ${fmtInt(tickets.length)} tickets shown`;
  }
  statusSel.addEventListener('change', draw);
  search.addEventListener('input', draw);
  draw();

  return h(
    'div',
    { class: 'stack' },
    h('section', { class: 'card', 'aria-label': 'Batch details' }, h('div', { class: 'card-actions' }, zipLink(b, true)), info),
    section(
      'Tickets',
      h('div', { class: 'filters' }, field('Status', statusSel), field('Search', search)),
      count,
      tickets.length ? tableWrap(table, 'Tickets') : emptyState('This batch has no tickets.'),
    ),
  );
}

function fact(term, value) {
  return h('div', { class: 'fact' }, h('dt', null, term), h('dd', null, value));
}

// =====================================================================================
// Partners & API keys (admin)
// =====================================================================================

export function renderPartners(root, { params, signal }) {
  const state = {
    partners: [],
    selectedId: params[0] ? String(params[0]) : null,
    newKey: null, // { partnerId, key_id, api_key, prefix, label }
  };

  // --- create partner form
  const nameIn = h('input', { id: 'partner-name', name: 'name', type: 'text', required: true, autocomplete: 'organization', maxlength: 200 });
  const emailIn = h('input', { id: 'partner-email', name: 'contact_email', type: 'email', required: true, autocomplete: 'email' });
  const createBtn = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'create-partner' }, 'Create partner');
  const createForm = h(
    'form',
    { class: 'form-row', 'aria-label': 'New partner' },
    field('Partner name', nameIn),
    field('Contact email', emailIn),
    h('div', { class: 'field field-submit' }, createBtn),
    formErrorLine(),
  );
  createForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    showFormError(createForm, null);
    createBtn.disabled = true;
    try {
      const p = await api('/api/admin/partners', { method: 'POST', body: { name: nameIn.value.trim(), contact_email: emailIn.value.trim() }, signal });
      toast(`Partner “${p.name ?? nameIn.value.trim()}” created.`);
      createForm.reset();
      state.selectedId = String(p.partner_id);
      state.newKey = null;
      await reload();
    } catch (err) {
      if (!isAbort(err)) showFormError(createForm, err);
    } finally {
      createBtn.disabled = false;
    }
  });

  const listBody = h('div', null, loading('Loading partners…'));
  const detail = h('div', { class: 'partner-detail' });

  root.append(
    pageHeader('Partners & keys'),
    h('p', { class: 'lead' }, 'OTA partners and the API keys they use in the X-API-Key header. Keys are stored hashed and shown only once.'),
    h('div', { class: 'split' }, h('div', { class: 'stack' }, section('New partner', createForm), section('Partners', listBody)), detail),
  );

  async function reload() {
    try {
      const data = await api('/api/admin/partners', { signal });
      if (signal.aborted) return;
      state.partners = data.partners || [];
      drawList();
      drawDetail();
    } catch (e) {
      if (!isAbort(e) && !signal.aborted) listBody.replaceChildren(errorBox(e, reload));
    }
  }

  function select(id) {
    state.selectedId = String(id);
    if (!state.newKey || String(state.newKey.partnerId) !== state.selectedId) state.newKey = null;
    history.replaceState(null, '', `#/partners/${encodeURIComponent(id)}`);
    drawList();
    drawDetail();
    const h2 = detail.querySelector('h2');
    if (h2) h2.focus();
  }

  function drawList() {
    if (!state.partners.length) {
      listBody.replaceChildren(emptyState('No partners yet. Create the first one above.'));
      return;
    }
    const table = h(
      'table',
      { class: 'data selectable', 'data-testid': 'partners-table' },
      h('caption', { class: 'sr-only' }, 'Partners'),
      h('thead', null, h('tr', null, th('Partner'), th('Status'), th('Keys', 'num'), th('Created'))),
      h(
        'tbody',
        null,
        state.partners.map((p) => {
          const sel = String(p.partner_id) === state.selectedId;
          const active = (p.api_keys || []).filter((k) => !k.revoked_at).length;
          return h(
            'tr',
            { class: sel ? 'selected' : null, 'data-partner': p.partner_id },
            h(
              'td',
              null,
              h('button', { type: 'button', class: 'link-btn', 'aria-current': sel ? 'true' : null, onclick: () => select(p.partner_id) }, p.name),
              h('span', { class: 'muted id' }, ` #${p.partner_id}`),
              h('div', { class: 'muted small' }, p.contact_email || ''),
            ),
            h('td', null, badge(p.status, p.status === 'active' ? 'Active' : p.status === 'suspended' ? 'Suspended' : p.status)),
            h('td', { class: 'num' }, fmtInt(active)),
            h('td', null, dateEl(p.created_at)),
          );
        }),
      ),
    );
    listBody.replaceChildren(tableWrap(table, 'Partners'));
  }

  function drawDetail() {
    const p = state.partners.find((x) => String(x.partner_id) === state.selectedId);
    if (!p) {
      detail.replaceChildren(
        h('section', { class: 'card placeholder', 'aria-label': 'Partner details' }, h('p', { class: 'muted' }, state.partners.length ? 'Select a partner to manage its status and API keys.' : 'Create a partner to issue API keys.')),
      );
      return;
    }
    const suspended = p.status === 'suspended';
    const statusBtn = h(
      'button',
      { type: 'button', class: suspended ? 'btn' : 'btn btn-danger-outline', 'data-testid': suspended ? 'reactivate-partner' : 'suspend-partner' },
      suspended ? 'Reactivate partner' : 'Suspend partner',
    );
    statusBtn.addEventListener('click', async () => {
      statusBtn.disabled = true;
      try {
        await api(`/api/admin/partners/${encodeURIComponent(p.partner_id)}`, { method: 'PATCH', body: { status: suspended ? 'active' : 'suspended' }, signal });
        toast(suspended ? `${p.name} is active again.` : `${p.name} is suspended: its API keys get 403 until reactivated.`);
        await reload();
        detail.querySelector('[data-testid$="-partner"]')?.focus();
      } catch (e) {
        if (!isAbort(e)) toast(e.message, 'error');
        statusBtn.disabled = false;
      }
    });

    // --- keys
    const keys = p.api_keys || [];
    const keysTable = keys.length
      ? tableWrap(
          h(
            'table',
            { class: 'data', 'data-testid': 'keys-table' },
            h('caption', { class: 'sr-only' }, `API keys of ${p.name}`),
            h('thead', null, h('tr', null, th('Prefix'), th('Label'), th('Limit / min', 'num'), th('Created'), th('Status'), th('', 'actions'))),
            h(
              'tbody',
              null,
              keys.map((k) =>
                h(
                  'tr',
                  { class: k.revoked_at ? 'revoked' : null, 'data-key': k.key_id },
                  h('td', { class: 'mono' }, `${k.prefix}…`),
                  h('td', null, k.label || '—'),
                  h('td', { class: 'num' }, k.rate_limit_per_minute ? fmtInt(k.rate_limit_per_minute) : h('span', { class: 'muted' }, 'default')),
                  h('td', null, dateEl(k.created_at)),
                  h('td', null, k.revoked_at ? h('span', { class: 'nowrap' }, badge('revoked', 'Revoked'), ' ', dateEl(k.revoked_at)) : badge('active', 'Active')),
                  h('td', { class: 'actions' }, k.revoked_at ? null : revokeButton(p, k)),
                ),
              ),
            ),
          ),
          'API keys',
        )
      : emptyState('No API keys yet.');

    const labelIn = h('input', { id: 'key-label', name: 'label', type: 'text', required: true, maxlength: 200, placeholder: 'e.g. production' });
    const rateIn = h('input', { id: 'key-rate-limit', name: 'rate_limit_per_minute', type: 'number', min: 1, step: 1, inputmode: 'numeric', placeholder: 'server default' });
    const keyBtn = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'create-key'}, 'Create API key');
    const keyForm = h(
      'form',
      { class: 'form-row', 'aria-label': 'New API key' },
      field('Key label', labelIn),
      field('Rate limit per minute (optional)', rateIn),
      h('div', { class: 'field field-submit' }, keyBtn),
      formErrorLine(),
    );
    keyForm.addEventListener('submit', async (e) => {
      e.preventDefault();
      showFormError(keyForm, null);
      const body = { label: labelIn.value.trim() };
      if (rateIn.value !== '') body.rate_limit_per_minute = Number(rateIn.value);
      keyBtn.disabled = true;
      try {
        const res = await api(`/api/admin/partners/${encodeURIComponent(p.partner_id)}/api-keys`, { method: 'POST', body, signal });
        state.newKey = { ...res, partnerId: String(p.partner_id), partnerName: p.name, label: body.label };
        await reload();
        detail.querySelector('[data-testid="new-api-key"]')?.focus();
      } catch (err) {
        if (!isAbort(err)) showFormError(keyForm, err);
        keyBtn.disabled = false;
      }
    });

    const showKey = state.newKey && String(state.newKey.partnerId) === String(p.partner_id) ? newKeyBox(state.newKey, () => {
      state.newKey = null;
      drawDetail();
      labelIn.focus();
    }) : null;

    detail.replaceChildren(
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'partner-detail-title', 'data-testid': 'partner-detail', 'data-partner': p.partner_id },
        h('div', { class: 'card-head' }, h('h2', { id: 'partner-detail-title', tabindex: '-1' }, p.name), badge(p.status, p.status === 'suspended' ? 'Suspended' : 'Active')),
        h('dl', { class: 'facts facts-inline' }, fact('Partner ID', String(p.partner_id)), fact('Contact', p.contact_email || '—'), fact('Created', timeEl(p.created_at))),
        h('div', { class: 'card-actions' }, statusBtn),
        suspended ? h('p', { class: 'alert alert-warn' }, 'This partner is suspended: every call with its keys is refused (403).') : null,
        showKey,
        h('h3', { id: 'keys-title', tabindex: '-1' }, 'API keys'),
        keysTable,
        h('h3', null, 'New API key'),
        keyForm,
      ),
    );
  }

  function revokeButton(p, k) {
    const b = h('button', { type: 'button', class: 'btn btn-small btn-danger-outline', 'data-testid': 'revoke-key', 'aria-label': `Revoke key ${k.prefix} (${k.label || 'no label'})` }, 'Revoke');
    b.addEventListener('click', async () => {
      const ok = window.confirm(`Revoke API key ${k.prefix}… “${k.label || 'no label'}” of ${p.name}?\n\nIntegrations using it stop working immediately. This cannot be undone.`);
      if (!ok) return;
      b.disabled = true;
      try {
        await api(`/api/admin/api-keys/${encodeURIComponent(k.key_id)}`, { method: 'DELETE', signal });
        toast(`Key ${k.prefix}… revoked.`);
        if (state.newKey && String(state.newKey.key_id) === String(k.key_id)) state.newKey = null;
        await reload();
        detail.querySelector('#keys-title')?.focus();
      } catch (e) {
        if (!isAbort(e)) toast(e.message, 'error');
        b.disabled = false;
      }
    });
    return b;
  }

  drawDetail();
  return reload();
}

function newKeyBox(k, onDismiss) {
  const copyBtn = h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'copy-api-key' }, 'Copy');
  const code = h('code', { class: 'key-value', 'data-testid': 'new-api-key-value' }, k.api_key);
  copyBtn.addEventListener('click', async () => {
    const ok = await copyText(k.api_key);
    if (ok) {
      copyBtn.textContent = 'Copied ✓';
      toast('API key copied to the clipboard.');
      setTimeout(() => {
        copyBtn.textContent = 'Copy';
      }, 2500);
    } else {
      const range = document.createRange();
      range.selectNodeContents(code);
      const sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      toast('Copying is blocked here: the key is selected, press Ctrl+C (⌘C).', 'warn');
    }
  });
  return h(
    'div',
    { class: 'new-key', 'data-testid': 'new-api-key', role: 'region', 'aria-labelledby': 'new-key-title', tabindex: '-1' },
    h('h3', { id: 'new-key-title' }, `New API key “${k.label}” for ${k.partnerName}`),
    h('p', { class: 'new-key-warn' }, h('strong', null, 'Copy it now — it will not be shown again.'), ' Gangway stores only a hash of the key. Give it to the partner over a secure channel.'),
    h('div', { class: 'key-row' }, code, copyBtn),
    h('p', { class: 'muted small' }, `Prefix ${k.prefix} · key #${k.key_id}. Sent by the partner as the X-API-Key header.`),
    h('button', { type: 'button', class: 'btn btn-small', onclick: onDismiss }, 'I have stored the key — hide it'),
  );
}

// =====================================================================================
// Resellers & settlement
// =====================================================================================

/** Loads partners for a picker; null when this role may not list them (403). */
async function loadPartners(signal) {
  try {
    const data = await api('/api/admin/partners', { signal });
    return data.partners || [];
  } catch (e) {
    if (e.status === 403) return null;
    throw e;
  }
}

function partnerPicker(id, partners, value, { allowAll = false } = {}) {
  if (partners === null) {
    return h('input', { id, name: 'partner_id', type: 'number', min: 1, step: 1, inputmode: 'numeric', value: value ?? '', placeholder: allowAll ? 'All' : 'Partner ID' });
  }
  const sel = h('select', { id, name: 'partner_id' });
  if (allowAll) sel.append(h('option', { value: '' }, 'All partners'));
  for (const p of partners) {
    sel.append(h('option', { value: String(p.partner_id), selected: String(p.partner_id) === String(value ?? '') }, `${p.name} (#${p.partner_id})${p.status === 'suspended' ? ' — suspended' : ''}`));
  }
  return sel;
}

function currentMonth() {
  const now = new Date();
  return { start: ymd(new Date(now.getFullYear(), now.getMonth(), 1)), end: ymd(new Date(now.getFullYear(), now.getMonth() + 1, 0)) };
}
function previousMonth() {
  const now = new Date();
  return { start: ymd(new Date(now.getFullYear(), now.getMonth() - 1, 1)), end: ymd(new Date(now.getFullYear(), now.getMonth(), 0)) };
}

export async function renderResellers(root, { signal }) {
  const top = h('div', null, loading('Loading partners…'));
  root.append(pageHeader('Resellers & settlement'), h('p', { class: 'lead' }, 'Each OTA partner’s reseller registry and what its resellers sold over a period.'), top);

  let partners;
  try {
    partners = await loadPartners(signal);
  } catch (e) {
    if (!isAbort(e) && !signal.aborted) top.replaceChildren(errorBox(e));
    return;
  }
  if (signal.aborted) return;
  if (partners && !partners.length) {
    top.replaceChildren(emptyState('No partners yet.'));
    return;
  }

  const remembered = store.get('resellers.partner');
  let partnerId = partners
    ? (partners.find((p) => String(p.partner_id) === remembered) || partners[0]).partner_id
    : remembered || '';
  let resellerPage = 1;
  let period = currentMonth();

  const picker = partnerPicker('reseller-partner', partners, partnerId);
  const partnerForm = h('form', { class: 'form-row', 'aria-label': 'Partner' }, field('Partner', picker));
  if (partners === null) partnerForm.append(h('div', { class: 'field field-submit' }, h('button', { type: 'submit', class: 'btn' }, 'Show')));

  const startIn = h('input', { id: 'period-start', name: 'period_start', type: 'date', required: true, value: period.start });
  const endIn = h('input', { id: 'period-end', name: 'period_end', type: 'date', required: true, value: period.end });
  const periodForm = h(
    'form',
    { class: 'form-row', 'aria-label': 'Settlement period' },
    field('From', startIn),
    field('To (inclusive)', endIn),
    h(
      'div',
      { class: 'field field-submit' },
      h('button', { type: 'submit', class: 'btn btn-primary' }, 'Show'),
    ),
    h(
      'div',
      { class: 'field field-submit presets' },
      h('button', { type: 'button', class: 'btn btn-small', onclick: () => setPeriod(currentMonth()) }, 'This month'),
      h('button', { type: 'button', class: 'btn btn-small', onclick: () => setPeriod(previousMonth()) }, 'Last month'),
    ),
    formErrorLine(),
  );

  const billingBody = h('div');
  const resellersBody = h('div');
  top.replaceChildren(
    h('section', { class: 'card' }, partnerForm),
    h('div', { class: 'stack' }, section('Settlement', periodForm, billingBody), section('Resellers', resellersBody)),
  );

  function setPeriod(p) {
    startIn.value = p.start;
    endIn.value = p.end;
    loadBilling();
  }

  async function loadBilling() {
    showFormError(periodForm, null);
    if (!partnerId) {
      billingBody.replaceChildren(emptyState('Enter a partner ID.'));
      return;
    }
    if (startIn.value && endIn.value && startIn.value > endIn.value) {
      showFormError(periodForm, { message: 'The start date must be on or before the end date.', field: 'period_start' });
      return;
    }
    period = { start: startIn.value, end: endIn.value };
    billingBody.replaceChildren(loading('Loading settlement…'));
    const pid = partnerId;
    try {
      const data = await api(`/api/admin/partners/${encodeURIComponent(pid)}/billing/summary`, { query: { period_start: period.start, period_end: period.end }, signal });
      if (signal.aborted || pid !== partnerId) return;
      billingBody.replaceChildren(billingView(data, partners?.find((p) => String(p.partner_id) === String(pid))));
    } catch (e) {
      if (isAbort(e) || signal.aborted) return;
      billingBody.replaceChildren();
      showFormError(periodForm, e);
    }
  }

  async function loadResellers() {
    if (!partnerId) {
      resellersBody.replaceChildren(emptyState('Enter a partner ID.'));
      return;
    }
    resellersBody.replaceChildren(loading('Loading resellers…'));
    const pid = partnerId;
    try {
      const data = await api(`/api/admin/partners/${encodeURIComponent(pid)}/resellers`, { query: { page: resellerPage, limit: 50 }, signal });
      if (signal.aborted || pid !== partnerId) return;
      resellersBody.replaceChildren(
        resellersView(data.resellers || []),
        pager(data, (pg) => {
          resellerPage = pg;
          loadResellers();
        }, 'resellers'),
      );
    } catch (e) {
      if (!isAbort(e) && !signal.aborted) resellersBody.replaceChildren(errorBox(e, loadResellers));
    }
  }

  function choosePartner() {
    partnerId = picker.value.trim();
    store.set('resellers.partner', partnerId);
    resellerPage = 1;
    loadBilling();
    loadResellers();
  }
  if (partners) picker.addEventListener('change', choosePartner);
  partnerForm.addEventListener('submit', (e) => {
    e.preventDefault();
    choosePartner();
  });
  periodForm.addEventListener('submit', (e) => {
    e.preventDefault();
    loadBilling();
  });

  partnerId = String(partnerId);
  await Promise.all([loadBilling(), loadResellers()]);
}

const BILL_COUNTERS = [
  ['tickets_generated', 'Generated'],
  ['tickets_activated', 'Activated'],
  ['tickets_used', 'Used'],
  ['tickets_cancelled', 'Cancelled'],
];
const BILL_MONEY = [
  ['gross_cents', 'Gross'],
  ['commission_cents', 'Commission'],
  ['net_cents', 'Net'],
];

function billingView(data, partner) {
  const cur = data.currency || 'USD';
  const rows = data.resellers || [];
  const cells = (r) => [
    ...BILL_COUNTERS.map(([k]) => h('td', { class: 'num', 'data-field': k }, fmtInt(r?.[k] ?? 0))),
    ...BILL_MONEY.map(([k]) => h('td', { class: 'num', 'data-field': k }, fmtMoney(r?.[k] ?? 0, cur))),
  ];
  const table = h(
    'table',
    { class: 'data', 'data-testid': 'billing-table' },
    h('caption', { class: 'sr-only' }, `Settlement ${data.period_start} to ${data.period_end}`),
    h('thead', null, h('tr', null, th('Reseller'), th('Commission', 'num'), BILL_COUNTERS.map(([, t]) => th(t, 'num')), BILL_MONEY.map(([, t]) => th(t, 'num')))),
    h(
      'tbody',
      null,
      rows.map((r) =>
        h(
          'tr',
          { 'data-reseller': r.reseller_id },
          h('th', { scope: 'row' }, h('span', { class: 'mono' }, r.reseller_code || '—'), h('div', { class: 'muted small' }, r.reseller_name || '')),
          h('td', { class: 'num' }, fmtPercent(r.commission_rate)),
          cells(r),
        ),
      ),
      h('tr', { class: 'unassigned', 'data-reseller': 'unassigned' }, h('th', { scope: 'row' }, 'Unassigned', h('div', { class: 'muted small' }, 'tickets with no reseller')), h('td', { class: 'num muted' }, '—'), cells(data.unassigned)),
    ),
    h('tfoot', null, h('tr', { 'data-reseller': 'totals' }, h('th', { scope: 'row' }, 'Totals'), h('td'), cells(data.totals))),
  );

  const csvBtn = h('button', { type: 'button', class: 'btn btn-small' }, 'Download CSV');
  csvBtn.addEventListener('click', () => {
    const head = ['reseller_code', 'reseller_name', 'commission_rate', ...BILL_COUNTERS.map(([k]) => k), ...BILL_MONEY.map(([k]) => k), 'currency'];
    const line = (code, name, rate, r) => [code, name, rate ?? '', ...BILL_COUNTERS.map(([k]) => r?.[k] ?? 0), ...BILL_MONEY.map(([k]) => r?.[k] ?? 0), cur];
    const all = [head, ...rows.map((r) => line(r.reseller_code, r.reseller_name, r.commission_rate, r)), line('', 'Unassigned', '', data.unassigned), line('', 'Totals', '', data.totals)];
    const csv = all.map((row) => row.map(csvCell).join(',')).join('\r\n');
    const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv' }));
    const a = h('a', { href: url, download: `settlement-${partner ? partner.partner_id : 'partner'}-${data.period_start}-${data.period_end}.csv` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  });

  return h(
    'div',
    { class: 'billing' },
    h(
      'div',
      { class: 'billing-head' },
      h('p', { class: 'muted small' }, `${data.period_start} to ${data.period_end} · ${cur}`),
      csvBtn,
    ),
    h(
      'div',
      { class: 'totals-cards' },
      totalCard('Gross', fmtMoney(data.totals?.gross_cents ?? 0, cur)),
      totalCard('Commission', fmtMoney(data.totals?.commission_cents ?? 0, cur)),
      totalCard('Net', fmtMoney(data.totals?.net_cents ?? 0, cur)),
      totalCard('Tickets activated', fmtInt(data.totals?.tickets_activated ?? 0)),
    ),
    tableWrap(table, 'Settlement'),
  );
}

function csvCell(v) {
  let s = String(v ?? '');
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`; // keep spreadsheets from running formulas
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function totalCard(title, value) {
  return h('div', { class: 'total-card' }, h('span', { class: 'total-label' }, title), h('span', { class: 'total-value' }, value));
}

function resellersView(list) {
  if (!list.length) return emptyState('This partner has no resellers registered.');
  const table = h(
    'table',
    { class: 'data', 'data-testid': 'resellers-table' },
    h('caption', { class: 'sr-only' }, 'Resellers'),
    h('thead', null, h('tr', null, th('Code'), th('Name'), th('Contact'), th('Commission', 'num'), th('Contract'), th('Settlement'), th('Region / tier'), th('Status'))),
    h(
      'tbody',
      null,
      list.map((r) =>
        h(
          'tr',
          { 'data-reseller': r.id },
          h('td', { class: 'mono' }, r.reseller_code),
          h('td', null, r.reseller_name),
          h('td', null, r.contact_email ? h('a', { href: `mailto:${r.contact_email}` }, r.contact_email) : null, r.contact_phone ? h('div', { class: 'muted small' }, r.contact_phone) : null, !r.contact_email && !r.contact_phone ? '—' : null),
          h('td', { class: 'num' }, fmtPercent(r.commission_rate)),
          h('td', null, r.contract_start_date || r.contract_end_date ? `${r.contract_start_date || '…'} – ${r.contract_end_date || '…'}` : '—'),
          h('td', null, r.settlement_cycle || '—'),
          h('td', null, [r.region, r.tier].filter(Boolean).join(' · ') || '—'),
          h('td', null, badge(r.status)),
        ),
      ),
    ),
  );
  return tableWrap(table, 'Resellers');
}

// =====================================================================================
// Audit
// =====================================================================================

export async function renderAudit(root, { query, signal, navigate }) {
  const f = {
    partner_id: query.get('partner_id') || '',
    action: query.get('action') || '',
    from: query.get('from') || '',
    to: query.get('to') || '',
  };
  const page = posInt(query.get('page'), 1);

  const formHost = h('section', { class: 'card' }, loading('Loading filters…'));
  const results = h('div', null, loading('Loading audit log…'));
  root.append(
    pageHeader('Audit'),
    h('p', { class: 'lead' }, 'Every OTA transaction and staff change, recorded in the same transaction as the change.'),
    formHost,
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'audit-results-title' },
      h('h2', { id: 'audit-results-title', tabindex: '-1', 'data-results': '' }, 'Entries'),
      results,
    ),
  );

  const hashFor = (vals, pg) => {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(vals)) if (v) qs.set(k, v);
    if (pg > 1) qs.set('page', String(pg));
    const str = qs.toString();
    return `#/audit${str ? `?${str}` : ''}`;
  };

  let partners = null;
  try {
    partners = await loadPartners(signal);
  } catch {
    partners = null;
  }
  if (signal.aborted) return;

  const partnerIn = partnerPicker('audit-partner', partners, f.partner_id, { allowAll: true });
  const actionIn = h('input', { id: 'audit-action', name: 'action', type: 'text', value: f.action, list: 'audit-actions', autocomplete: 'off', placeholder: 'e.g. reserve' });
  const actionList = h('datalist', { id: 'audit-actions' });
  const fromIn = h('input', { id: 'audit-from', name: 'from', type: 'datetime-local', value: f.from, step: 1 });
  const toIn = h('input', { id: 'audit-to', name: 'to', type: 'datetime-local', value: f.to, step: 1 });
  const form = h(
    'form',
    { class: 'form-row', 'aria-label': 'Audit filters' },
    field('Partner', partnerIn),
    field('Action', actionIn),
    actionList,
    field('From (local time)', fromIn),
    field('To (local time)', toIn),
    h(
      'div',
      { class: 'field field-submit' },
      h('button', { type: 'submit', class: 'btn btn-primary' }, 'Apply'),
    ),
    h('div', { class: 'field field-submit' }, h('button', { type: 'button', class: 'btn', onclick: () => navigate('#/audit') }, 'Clear')),
    formErrorLine(),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    navigate(hashFor({ partner_id: partnerIn.value.trim(), action: actionIn.value.trim(), from: fromIn.value, to: toIn.value }, 1));
  });
  formHost.replaceChildren(form);

  const partnerName = (id) => {
    if (id === null || id === undefined) return '—';
    const p = partners && partners.find((x) => String(x.partner_id) === String(id));
    return p ? `${p.name} (#${id})` : `#${id}`;
  };

  async function load() {
    results.replaceChildren(loading('Loading audit log…'));
    try {
      const data = await api('/api/admin/audit', {
        query: { partner_id: f.partner_id, action: f.action, from: localInputToRfc3339(f.from), to: localInputToRfc3339(f.to), page, limit: 50 },
        signal,
      });
      if (signal.aborted) return;
      const entries = data.entries || [];
      for (const a of new Set(entries.map((x) => x.action))) actionList.append(h('option', { value: a }));
      const pg = pager(data, (p) => navigate(hashFor(f, p)), 'entries');
      if (!entries.length) {
        results.replaceChildren(emptyState('No audit entries match these filters.'));
        if (page > 1) results.append(pg);
        return;
      }
      const table = h(
        'table',
        { class: 'data audit', 'data-testid': 'audit-table' },
        h('caption', { class: 'sr-only' }, 'Audit entries'),
        h('thead', null, h('tr', null, th('When'), th('Actor'), th('Partner'), th('Action'), th('Object'), th('Details'))),
        h(
          'tbody',
          null,
          entries.map((x) =>
            h(
              'tr',
              { 'data-audit': x.id },
              h('td', { class: 'nowrap' }, timeEl(x.at)),
              h('td', null, x.actor_kind || '—', x.actor_id !== null && x.actor_id !== undefined ? h('span', { class: 'muted id' }, ` #${x.actor_id}`) : null),
              h('td', null, partnerName(x.partner_id)),
              h('td', null, h('code', null, x.action)),
              h('td', null, x.object_type || '—', x.object_id !== null && x.object_id !== undefined ? h('div', { class: 'mono small break', title: String(x.object_id) }, String(x.object_id)) : null),
              h('td', { class: 'summary' }, summaryView(x.summary)),
            ),
          ),
        ),
      );
      results.replaceChildren(tableWrap(table, 'Audit entries'), pg);
    } catch (e) {
      if (!isAbort(e) && !signal.aborted) {
        results.replaceChildren();
        showFormError(form, e);
      }
    }
  }
  await load();
}

function summaryView(sum) {
  if (sum === null || sum === undefined) return h('span', { class: 'muted' }, '—');
  if (typeof sum !== 'object') return String(sum);
  const entries = Object.entries(sum);
  if (!entries.length) return h('span', { class: 'muted' }, '—');
  const simple = entries.every(([, v]) => v === null || typeof v !== 'object') && entries.length <= 5;
  if (simple) return kvList(sum);
  return h('details', null, h('summary', null, `${entries.length} fields`), h('pre', { class: 'json' }, JSON.stringify(sum, null, 2)));
}

