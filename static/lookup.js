// Lookup: the desk finds a guest's tickets and orders by whatever they have — a ticket code, an
// order id, their email, a payment reference — and sees the orders waiting for a refund.
import { api, isAbort } from './api.js';
import { customerTypeBadge } from './ticket-card.js';
import {
  badge, emptyState, errorBox, field, fmtMoney, h, label, loading, pageHeader, pager, posInt, section, shortId,
  tableWrap, th, timeEl,
} from './ui.js';

export function renderLookup(root, { query, signal, navigate }) {
  const q = (query.get('q') || '').trim();
  const refundPage = posInt(query.get('refunds'), 1);
  const input = h('input', {
    id: 'lookup-q',
    name: 'q',
    type: 'search',
    value: q,
    required: true,
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: 'Ticket code, order id, email or payment reference',
  });
  const form = h(
    'form',
    { class: 'form-row lookup-form', role: 'search', 'aria-label': 'Find a ticket or an order' },
    field('Find', input, 'The guest’s ticket code, order number, email or payment reference.'),
    h('div', { class: 'field field-submit' }, h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'lookup-submit' }, 'Find')),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const v = input.value.trim();
    if (v) navigate(`#/lookup?q=${encodeURIComponent(v)}`);
  });
  const results = h('div', { 'data-testid': 'lookup-results' });
  const refunds = h('div', null, loading('Loading the refund queue…'));
  root.append(
    pageHeader('Lookup'),
    h('section', { class: 'card' }, form),
    results,
    section('Orders waiting for a refund', h('p', { class: 'muted small' }, 'Paid after their hold expired, when the units were already gone: the payment is kept and owed back.'), refunds),
  );

  async function search() {
    if (!q) return;
    results.replaceChildren(loading('Searching…'));
    try {
      const r = await api('/api/admin/lookup', { query: { q }, signal });
      if (signal.aborted) return;
      if (!r.tickets.length && !r.orders.length) {
        results.replaceChildren(h('section', { class: 'card' }, emptyState(`Nothing matches “${q}”.`)));
        return;
      }
      // One ticket and nothing else: straight to it.
      if (r.tickets.length === 1 && r.tickets[0].ticket_code === q) {
        navigate(`#/tickets/${encodeURIComponent(q)}`);
        return;
      }
      // h() leaves out the parts that are null; replaceChildren would print them.
      results.replaceChildren(
        h(
          'div',
          { class: 'stack' },
          r.truncated ? h('p', { class: 'alert alert-warn' }, 'More than 100 matches: only the newest are shown.') : null,
          r.tickets.length ? section(`Tickets (${r.tickets.length})`, tableWrap(ticketTable(r.tickets), 'Tickets found')) : null,
          r.orders.length ? section(`Orders (${r.orders.length})`, tableWrap(orderTable(r.orders), 'Orders found')) : null,
        ),
      );
    } catch (e) {
      if (!isAbort(e, signal)) results.replaceChildren(errorBox(e));
    }
  }

  async function loadRefunds() {
    try {
      const data = await api('/api/admin/orders', { query: { status: 'REFUND_REQUIRED', page: refundPage, limit: 20 }, signal });
      if (signal.aborted) return;
      const qs = (p) => `#/lookup?${new URLSearchParams({ ...(q ? { q } : {}), refunds: String(p) })}`;
      refunds.replaceChildren(
        data.orders.length ? tableWrap(orderTable(data.orders, 'refund-queue'), 'Refund queue') : emptyState('No order is waiting for a refund.'),
        pager(data, (p) => navigate(qs(p)), 'orders'),
      );
    } catch (e) {
      if (!isAbort(e, signal)) refunds.replaceChildren(errorBox(e, loadRefunds));
    }
  }
  if (!q) input.focus();
  return Promise.all([search(), loadRefunds()]);
}

function ticketTable(tickets) {
  return h(
    'table',
    { class: 'data', 'data-testid': 'lookup-tickets' },
    h('thead', null, h('tr', null, th('Ticket'), th('Status'), th('Package'), th('Type'), th('Visit date'), th('Holder'), th('Partner'))),
    h(
      'tbody',
      null,
      tickets.map((t) =>
        h(
          'tr',
          { 'data-ticket': t.ticket_code },
          h('td', null, h('a', { class: 'mono', href: `#/tickets/${encodeURIComponent(t.ticket_code)}` }, t.ticket_code)),
          h('td', null, badge(t.status)),
          h('td', null, t.product_name),
          h('td', null, customerTypeBadge(t.customer_type)),
          h('td', null, t.visit_date || 'Open date'),
          h('td', null, t.holder_name || '—', t.holder_email ? h('div', { class: 'muted small' }, t.holder_email) : null),
          h('td', null, t.partner_name || 'Direct'),
        ),
      ),
    ),
  );
}

/** Orders (the lookup, the refund queue). */
export function orderTable(orders, testid = 'lookup-orders') {
  return h(
    'table',
    { class: 'data', 'data-testid': testid },
    h('thead', null, h('tr', null, th('Order'), th('Status'), th('Channel'), th('Customer'), th('Visit date'), th('Amount', 'num'), th('Payment'), th('Created'))),
    h(
      'tbody',
      null,
      orders.map((o) =>
        h(
          'tr',
          { 'data-order': o.order_id },
          h('td', null, h('a', { class: 'mono', href: `#/orders/${encodeURIComponent(o.order_id)}`, title: o.order_id }, shortId(o.order_id))),
          h('td', null, badge(o.status, label(o.status))),
          h('td', null, o.partner_name ? `${label(o.channel)} · ${o.partner_name}` : label(o.channel)),
          h('td', null, o.customer_name || '—', h('div', { class: 'muted small' }, o.customer_email || '')),
          h('td', null, o.visit_date),
          h('td', { class: 'num' }, fmtMoney(o.amount_cents, o.currency)),
          h('td', { class: 'mono small' }, o.payment_reference || '—'),
          h('td', null, timeEl(o.created_at)),
        ),
      ),
    ),
  );
}
