// Passengers: the tickets of one visit date by package and customer type, redeemed or not yet,
// with the list paged and downloadable as CSV. The pier reads it too; today's list refreshes
// itself while boarding goes on.
import { api, isAbort, withQuery } from './api.js';
import { customerTypeBadge } from './ticket-card.js';
import {
  badge, emptyState, errorBox, field, fmtClock, fmtInt, fmtWhen, getCatalog, h, loading, pageHeader, pager, posInt,
  section, tableWrap, th, venueToday,
} from './ui.js';

const PAGE_SIZE = 100;
const REFRESH_MS = 30000;
const SHOW = { all: '', not_yet: 'false', redeemed: 'true' };

export function renderManifest(root, { query, signal, navigate, user }) {
  const f = {
    date: /^\d{4}-\d{2}-\d{2}$/.test(query.get('date') || '') ? query.get('date') : venueToday(),
    product: query.get('product') || '',
    show: Object.hasOwn(SHOW, query.get('show') || '') ? query.get('show') : 'all',
  };
  const page = posInt(query.get('page'), 1);
  const staff = user.role !== 'venue';
  const hashFor = (v, pg = 1) => {
    const qs = new URLSearchParams({ date: v.date });
    if (v.product) qs.set('product', v.product);
    if (v.show !== 'all') qs.set('show', v.show);
    if (pg > 1) qs.set('page', String(pg));
    return `#/manifest?${qs}`;
  };

  const dateIn = h('input', { id: 'manifest-date', name: 'date', type: 'date', value: f.date, required: true });
  const productIn = h('select', { id: 'manifest-product', name: 'product_id' }, h('option', { value: '' }, 'All packages'));
  const showIn = h(
    'select',
    { id: 'manifest-show', name: 'redeemed' },
    h('option', { value: 'all', selected: f.show === 'all' }, 'Everyone'),
    h('option', { value: 'not_yet', selected: f.show === 'not_yet' }, 'Not yet redeemed'),
    h('option', { value: 'redeemed', selected: f.show === 'redeemed' }, 'Redeemed'),
  );
  const apiQuery = { date: f.date, product_id: f.product, redeemed: SHOW[f.show] };
  const csv = h(
    'a',
    { class: 'btn', href: withQuery('/api/admin/manifest.csv', apiQuery), download: `passengers-${f.date}.csv`, 'data-testid': 'manifest-csv' },
    h('span', { 'aria-hidden': 'true', class: 'icon' }, '⤓'),
    ' Download CSV',
  );
  const form = h(
    'form',
    { class: 'form-row', 'aria-label': 'Passenger list filters' },
    field('Visit date', dateIn),
    field('Package', productIn),
    field('Show', showIn),
    h('div', { class: 'field field-submit' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Show')),
    h('div', { class: 'field field-submit' }, csv),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    navigate(hashFor({ date: dateIn.value || f.date, product: productIn.value, show: showIn.value }));
  });

  const updated = h('span', { class: 'updated', role: 'status' });
  const summary = h('div', null, loading('Loading the passenger list…'));
  const groups = h('div');
  const list = h('div');
  root.append(
    pageHeader('Passengers', updated),
    h('p', { class: 'lead' }, f.date === venueToday() ? `Today, ${f.date}: who is booked, and who has boarded.` : `Visit date ${f.date}.`),
    h('section', { class: 'card' }, form),
    summary,
    section('By package and customer type', groups),
    h('section', { class: 'card', 'aria-labelledby': 'passengers-title' }, h('h2', { id: 'passengers-title', tabindex: '-1', 'data-results': '' }, 'Passengers'), list),
  );

  getCatalog()
    .then((c) => {
      for (const p of c.products || []) {
        productIn.append(h('option', { value: String(p.product_id), selected: String(p.product_id) === f.product }, `${p.name} (${p.product_id})`));
      }
    })
    .catch(() => {});

  let timer = null;
  async function load() {
    clearTimeout(timer);
    try {
      const m = await api('/api/admin/manifest', { query: { ...apiQuery, page, limit: PAGE_SIZE }, signal });
      if (signal.aborted) return;
      summary.replaceChildren(totals(m.totals));
      groups.replaceChildren(groupTable(m.groups));
      list.replaceChildren(
        m.passengers.length ? tableWrap(passengerTable(m.passengers, staff), 'Passengers') : emptyState('No passengers match.'),
        pager(m, (p) => navigate(hashFor(f, p)), 'passengers'),
      );
      updated.textContent = `Updated ${fmtClock(new Date())}`;
      if (m.date === venueToday()) timer = setTimeout(load, REFRESH_MS);
    } catch (e) {
      if (!isAbort(e, signal)) summary.replaceChildren(errorBox(e, load));
    }
  }
  signal.addEventListener('abort', () => clearTimeout(timer));
  return load();
}

function totals(t) {
  const card = (label, value, key) => h('div', { class: 'total-card', 'data-total': key }, h('span', { class: 'total-label' }, label), h('span', { class: 'total-value' }, fmtInt(value)));
  return h(
    'div',
    { class: 'totals-cards', 'data-testid': 'manifest-totals' },
    card('Booked', t.tickets, 'tickets'),
    card('Redeemed', t.redeemed, 'redeemed'),
    card('Not yet', t.not_yet, 'not_yet'),
    card('Cancelled', t.cancelled, 'cancelled'),
  );
}

function groupTable(groups) {
  if (!groups.length) return emptyState('No tickets for this day.');
  return tableWrap(
    h(
      'table',
      { class: 'data', 'data-testid': 'manifest-groups' },
      h('thead', null, h('tr', null, th('Package'), th('Customer type'), th('Booked', 'num'), th('Redeemed', 'num'), th('Not yet', 'num'))),
      h(
        'tbody',
        null,
        groups.map((g) =>
          h(
            'tr',
            { 'data-product': g.product_id, 'data-customer-type': g.customer_type },
            h('td', null, g.product_name),
            h('td', null, customerTypeBadge(g.customer_type)),
            h('td', { class: 'num', 'data-field': 'tickets' }, String(g.tickets)),
            h('td', { class: 'num', 'data-field': 'redeemed' }, String(g.redeemed)),
            h('td', { class: 'num', 'data-field': 'not_yet' }, String(g.not_yet)),
          ),
        ),
      ),
    ),
    'Passengers by package and customer type',
  );
}

function passengerTable(rows, staff) {
  return h(
    'table',
    { class: 'data', 'data-testid': 'manifest-passengers' },
    h('caption', { class: 'sr-only' }, 'Passengers'),
    h('thead', null, h('tr', null, th('Holder'), th('Type'), th('Package'), th('Ticket'), th('Status'), th('Redeemed'), th('Uses left', 'num'))),
    h(
      'tbody',
      null,
      rows.map((p) =>
        h(
          'tr',
          { 'data-ticket': p.ticket_code, 'data-redeemed': String(p.redeemed) },
          h('td', null, p.holder_name || '—'),
          h('td', null, customerTypeBadge(p.customer_type)),
          h('td', null, p.product_name),
          h('td', { class: 'mono' }, staff ? h('a', { href: `#/tickets/${encodeURIComponent(p.ticket_code)}` }, p.ticket_code) : p.ticket_code),
          h('td', null, badge(p.status)),
          h('td', null, p.redeemed ? h('span', { class: 'yes' }, `✓ ${fmtWhen(p.first_redeemed_at)}`) : h('span', { class: 'muted' }, 'Not yet')),
          h('td', { class: 'num' }, String(p.uses_left)),
        ),
      ),
    ),
  );
}
