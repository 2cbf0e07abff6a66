// Batches: the pre-generated ticket batches of OTA partners, one batch with its tickets, and the ZIP
// download of a batch's QR images.
import { api, isAbort } from './api.js';
import {
  TICKET_STATUSES, badge, emptyState, errorBox, fact, field, fmtInt, h, kvList, label, loading, noValue, pageHeader,
  pager, posInt, productLabel, productNames, section, shortId, tableWrap, th, timeEl,
} from './ui.js';

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
  if (!parts.length) return noValue();
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
      if (!isAbort(e, signal)) body.replaceChildren(errorBox(e, load));
    }
  }
  return load();
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
      if (!isAbort(e, signal)) body.replaceChildren(errorBox(e, e.status === 404 ? null : load));
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
