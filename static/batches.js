// Batches: the pre-generated ticket batches of OTA partners, one batch with its tickets a page at a
// time, the ZIP download of a batch's QR images (with its progress), and its print view.
import { api, isAbort } from './api.js';
import { withProgress } from './download.js';
import {
  TICKET_STATUSES, badge, emptyState, errorBox, fact, field, fmtInt, h, kvList, label, loading, noValue, pageHeader,
  pager, posInt, productLabel, productNames, section, shortId, tableWrap, th, timeEl,
} from './ui.js';

const TICKETS_PER_PAGE = 100;

const zipUrl = (id) => `/api/admin/batches/${encodeURIComponent(id)}/archive.zip`;

/** The ZIP link and the line that shows its download's progress. */
function zipLink(batch, primary = false) {
  const id = batch.batch_id;
  const status = h('span', { class: 'dl-status muted small', role: 'status', 'data-testid': 'download-status' });
  const link = h(
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
  return h('span', { class: 'dl' }, withProgress(link, status), ' ', status);
}

function printLink(batch) {
  return h('a', { class: 'btn', href: `#/print/batch/${encodeURIComponent(batch.batch_id)}`, 'data-testid': 'print-batch' }, '🖨 Print vouchers');
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


async function renderBatchDetail(root, { signal, query, navigate }, id) {
  const page = posInt(query.get('page'), 1);
  const status = TICKET_STATUSES.includes(query.get('status')) ? query.get('status') : '';
  const prefix = (query.get('q') || '').trim();
  const hashFor = (p, st = status, q = prefix) => {
    const qs = new URLSearchParams();
    if (st) qs.set('status', st);
    if (q) qs.set('q', q);
    if (p > 1) qs.set('page', String(p));
    const text = qs.toString();
    return `#/batches/${encodeURIComponent(id)}${text ? `?${text}` : ''}`;
  };
  const body = h('div', null, loading('Loading batch…'));
  root.append(
    h('p', { class: 'crumbs' }, h('a', { href: '#/batches' }, '← All batches')),
    pageHeader(`Batch ${shortId(id)}`),
    body,
  );
  async function load() {
    body.replaceChildren(loading('Loading batch…'));
    try {
      const [b, names] = await Promise.all([
        api(`/api/admin/batches/${encodeURIComponent(id)}`, { query: { status, q: prefix, page, limit: TICKETS_PER_PAGE }, signal }),
        productNames(),
      ]);
      if (signal.aborted) return;
      body.replaceChildren(batchDetail(b, names, { status, prefix, hashFor, navigate }));
    } catch (e) {
      if (!isAbort(e, signal)) body.replaceChildren(errorBox(e, e.status === 404 ? null : load));
    }
  }
  return load();
}

function batchDetail(b, names, { status, prefix, hashFor, navigate }) {
  const tickets = b.tickets || [];
  const counts = b.status_counts || {};
  const all = TICKET_STATUSES.reduce((n, st) => n + (Number(counts[st]) || 0), 0);
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
    fact('Tickets', statusCounts(counts)),
    fact('Reseller metadata', kvList(b.reseller_metadata)),
  );

  const statusSel = h('select', { id: 'ticket-status-filter', name: 'status' }, h('option', { value: '' }, `All statuses (${fmtInt(all)})`));
  for (const st of TICKET_STATUSES) {
    if (Number(counts[st])) statusSel.append(h('option', { value: st, selected: st === status }, `${label(st)} (${fmtInt(counts[st])})`));
  }
  const search = h('input', { id: 'ticket-search', name: 'q', type: 'search', autocomplete: 'off', value: prefix, placeholder: 'Start of a ticket code' });
  const filters = h(
    'form',
    { class: 'filters', 'aria-label': 'Filter the tickets' },
    field('Status', statusSel),
    field('Ticket code starts with', search),
    h('div', { class: 'field field-submit' }, h('button', { type: 'submit', class: 'btn' }, 'Filter')),
  );
  filters.addEventListener('submit', (e) => {
    e.preventDefault();
    navigate(hashFor(1, statusSel.value, search.value.trim()));
  });
  statusSel.addEventListener('change', () => navigate(hashFor(1, statusSel.value, search.value.trim())));
  const table = h(
    'table',
    { class: 'data', 'data-testid': 'batch-tickets' },
    h('caption', { class: 'sr-only' }, 'Tickets in this batch'),
    h('thead', null, h('tr', null, th('Ticket code'), th('Status'), th('Customer type'), th('Activated'))),
    h(
      'tbody',
      null,
      tickets.map((t) =>
        h(
          'tr',
          { 'data-ticket': t.ticket_code },
          h('td', { class: 'mono' }, h('a', { href: `#/tickets/${encodeURIComponent(t.ticket_code)}` }, t.ticket_code)),
          h('td', null, badge(t.status)),
          h('td', null, t.customer_type || '—'),
          h('td', null, timeEl(t.activated_at)),
        ),
      ),
    ),
  );
  const paging = { total_count: b.ticket_count, page: b.page || 1, page_size: b.page_size || TICKETS_PER_PAGE };
  return h(
    'div',
    { class: 'stack' },
    h('section', { class: 'card', 'aria-label': 'Batch details' }, h('div', { class: 'card-actions' }, zipLink(b, true), printLink(b)), info),
    section(
      'Tickets',
      filters,
      tickets.length ? tableWrap(table, 'Tickets') : emptyState(status || prefix ? 'No ticket matches.' : 'This batch has no tickets.'),
      pager(paging, (p) => navigate(hashFor(p)), 'tickets'),
    ),
  );
}
