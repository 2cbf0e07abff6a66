// Dashboard: inventory per package and channel (refreshed every 5 s), the reconciliation of the stored
// counters, tickets sold over the last 14 days, and how safe the data is: the last backup (its age and
// size) and, when Litestream runs, the last replication sync.
import { api, isAbort } from './api.js';
import { emptyState, errorBox, fact, fmtClock, fmtInt, fmtMoney, fmtPercent, h, label, loading, pageHeader, parseDay, s, section, tableWrap, th, timeEl } from './ui.js';

const INVENTORY_EVERY_MS = 5000;
const SLOW_EVERY_TICKS = 6; // reconciliation + sales every 30 s

export function renderDashboard(root, { signal }) {
  const updated = h('span', { class: 'updated', 'data-testid': 'inventory-updated' }, 'Loading…');
  const refreshBtn = h('button', { type: 'button', class: 'btn btn-small' }, 'Refresh now');
  const invStatus = h('div', { class: 'inline-status', role: 'status' });
  const invBody = h('div', null, loading('Loading inventory…'));
  const reconBody = h('div', null, loading('Checking counters…'));
  const salesBody = h('div', null, loading('Loading sales…'));
  const backupBody = h('div', null, loading('Looking at backups…'));

  root.append(
    pageHeader('Dashboard', updated, refreshBtn),
    section(
      'Inventory',
      h('p', { class: 'muted small' }, 'Held: live reservations, unpaid orders and pre-generated vouchers — “of which vouchers” are in resellers’ hands, not customers’ holds. Sold: issued tickets (active or used). Refreshes every 5 seconds.'),
      invStatus,
      invBody,
    ),
    h(
      'div',
      { class: 'grid-2' },
      h('div', { class: 'stack' }, section('Reconciliation', reconBody), section('Backups', backupBody)),
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
      if (isAbort(e, signal)) return;
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
      if (!isAbort(e, signal)) reconBody.replaceChildren(errorBox(e, () => loadRecon()));
    }
  }

  async function loadSales() {
    try {
      const data = await api('/api/admin/reports/sales', { query: { days: 14 }, signal });
      if (!signal.aborted) salesBody.replaceChildren(salesView(data, salesBody.clientWidth));
    } catch (e) {
      if (!isAbort(e, signal)) salesBody.replaceChildren(errorBox(e, () => loadSales()));
    }
  }

  async function loadBackups() {
    try {
      const data = await api('/api/admin/backups', { signal });
      if (!signal.aborted) backupBody.replaceChildren(backupView(data));
    } catch (e) {
      if (!isAbort(e, signal)) backupBody.replaceChildren(errorBox(e, () => loadBackups()));
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
      if (tick % SLOW_EVERY_TICKS === 0) await Promise.all([loadRecon(), loadSales(), loadBackups()]);
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
const INV_FIELDS = ['available', 'allocated', 'held', 'pre_generated', 'sold', 'used', 'capacity'];

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
        th('of which vouchers', 'num'),
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

// Sold and live holds are what customers have taken; pre-generated vouchers sit with resellers
// and are shown apart (hatched), so a large batch does not look like a sold-out package.
function takenBar(r) {
  const alloc = Number(r.allocated) || 0;
  const sold = Number(r.sold) || 0;
  const vouchers = Number(r.pre_generated) || 0;
  const live = Math.max(0, (Number(r.held) || 0) - vouchers);
  const pct = (n) => (alloc ? Math.min(100, (n / alloc) * 100) : 0);
  const segs = [
    ['seg-sold', pct(sold)],
    ['seg-held', pct(live)],
    ['seg-vouchers', pct(vouchers)],
  ];
  let used = 0;
  const bars = segs.map(([cls, w]) => {
    const el = h('span', { class: `seg ${cls}` });
    el.style.width = `${Math.min(100 - used, w)}%`;
    used += Math.min(100 - used, w);
    return el;
  });
  const taken = alloc ? Math.round(((sold + live) / alloc) * 100) : 0;
  const inVouchers = alloc && vouchers ? fmtPercent(vouchers / alloc) : '';
  return h(
    'span',
    { class: 'taken', title: `${sold} sold + ${live} live holds + ${vouchers} pre-generated vouchers of ${alloc} allocated` },
    h('span', { class: 'meter', 'aria-hidden': 'true' }, bars),
    h('span', { class: 'meter-pct', 'data-field': 'taken' }, `${taken}%`),
    inVouchers ? h('span', { class: 'meter-vouchers', 'data-field': 'vouchers-pct' }, ` + ${inVouchers} vouchers`) : null,
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

/** 42 s, 17 min, 5 h 3 min, 2 d 4 h: an age at a glance. */
export function fmtAge(seconds) {
  const sec = Math.max(0, Math.round(Number(seconds) || 0));
  if (sec < 60) return `${sec} s`;
  const min = Math.floor(sec / 60);
  if (min < 60) return `${min} min`;
  const hours = Math.floor(min / 60);
  if (hours < 48) return min % 60 ? `${hours} h ${min % 60} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`;
}

/** 812 KB, 14.2 MB, 1.3 GB (powers of 1000, as disks are sold). */
export function fmtBytes(bytes) {
  const n = Number(bytes) || 0;
  if (n < 1000) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1000;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i += 1;
  }
  return `${v >= 100 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

// A backup or a sync this much older than expected is worth a warning.
const LATE_FACTOR = 2;
const SYNC_LATE_SECONDS = 60;

function backupView(data) {
  const last = data.last;
  const every = data.every_seconds;
  const age = data.last_age_seconds;
  const late = last && every && age > every * LATE_FACTOR;
  const failure = data.last_failure;
  const state = failure || !last || late ? 'warn' : 'ok';
  const headline = last
    ? h('p', { class: 'recon-status' }, h('span', { class: 'recon-icon', 'aria-hidden': 'true' }, state === 'ok' ? '✓' : '!'), `Last backup ${fmtAge(age)} ago`)
    : h('p', { class: 'recon-status' }, h('span', { class: 'recon-icon', 'aria-hidden': 'true' }, '!'), 'No backup yet');
  const facts = h(
    'dl',
    { class: 'facts facts-inline' },
    last ? fact('Taken', timeEl(last.taken_at)) : null,
    last ? fact('Size', h('span', { 'data-testid': 'backup-size', title: `${last.size_bytes} bytes` }, fmtBytes(last.size_bytes))) : null,
    fact('Schedule', every ? `every ${fmtAge(every)}` : 'off (by hand only)'),
    fact('Next', data.next_at ? timeEl(data.next_at) : '—'),
    fact('Kept', `${fmtInt((data.snapshots || []).length)} of ${fmtInt(data.keep)}`),
    fact('Directory', h('code', null, data.directory)),
  );
  const notes = [];
  if (failure) notes.push(h('p', { class: 'alert alert-warn', role: 'alert' }, 'The last backup failed at ', timeEl(failure.at), `: ${failure.detail}`));
  if (late) notes.push(h('p', { class: 'alert alert-warn' }, `The newest backup is older than twice the schedule (${fmtAge(every)}). Is the server writing them?`));
  notes.push(replicationView(data.replication));
  return h(
    'div',
    { class: `recon ${state === 'ok' ? 'recon-ok' : 'recon-warn'}`, 'data-testid': 'backup-status', 'data-state': state, 'data-age-seconds': age ?? '' },
    headline,
    facts,
    notes,
    h('p', { class: 'muted small' }, 'Snapshots share the database\'s disk: copy them elsewhere, or replicate with Litestream (docs/operations.md).'),
  );
}

function replicationView(r) {
  if (!r) return h('p', { class: 'muted small', 'data-testid': 'replication-status', 'data-state': 'off' }, 'Replication: not reported (set litestream_socket when Litestream runs).');
  const age = r.last_sync_age_seconds;
  const ok = r.status === 'replicating' && age !== null && age !== undefined && age <= SYNC_LATE_SECONDS;
  const text = r.status === 'replicating'
    ? `Litestream is replicating; last sync ${age === null || age === undefined ? 'not yet' : `${fmtAge(age)} ago`}.`
    : `Litestream: ${label(r.status)}${r.detail ? ` — ${r.detail}` : ''}`;
  return h('p', { class: ok ? 'muted small' : 'alert alert-warn', 'data-testid': 'replication-status', 'data-state': ok ? 'ok' : 'warn' }, text);
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
