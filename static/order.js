// One order at the desk: its status, customer, lines and tickets, and its tickets as printable
// vouchers.
import { api, isAbort } from './api.js';
import { customerTypeBadge } from './ticket-card.js';
import { badge, errorBox, fact, fmtMoney, h, label, loading, pageHeader, section, tableWrap, th, timeEl } from './ui.js';

export function renderOrder(root, { params, signal }) {
  const id = params[0] || '';
  const body = h('div', null, loading('Loading the order…'));
  root.append(h('p', { class: 'crumbs' }, h('a', { href: '#/lookup' }, '← Lookup')), pageHeader(`Order ${id.slice(0, 8)}`), body);

  async function load() {
    try {
      const o = await api(`/api/admin/orders/${encodeURIComponent(id)}`, { signal });
      if (!signal.aborted) body.replaceChildren(view(o));
    } catch (e) {
      if (!isAbort(e, signal)) body.replaceChildren(errorBox(e, e.status === 404 ? null : load));
    }
  }
  return load();
}

function view(o) {
  const c = o.customer_details || {};
  const money = o.payment_required || {};
  const printable = (o.tickets || []).some((t) => t.status === 'ACTIVE');
  const facts = h(
    'dl',
    { class: 'facts' },
    fact('Order ID', h('span', { class: 'mono break' }, o.order_id)),
    fact('Status', badge(o.status, label(o.status))),
    fact('Channel', label(o.channel)),
    fact('Customer', c.name ? `${c.name} · ${c.email}` : '—'),
    fact('Visit date', o.visit_date),
    fact('Amount', fmtMoney(money.amount_cents, money.currency)),
    fact('Payment reference', o.payment_reference ? h('span', { class: 'mono' }, o.payment_reference) : '—'),
    fact('Created', timeEl(o.created_at)),
    fact('Paid', timeEl(o.paid_at)),
  );
  const tickets = h(
    'table',
    { class: 'data', 'data-testid': 'order-tickets' },
    h('thead', null, h('tr', null, th('Ticket'), th('Status'), th('Type'), th('Uses left'))),
    h(
      'tbody',
      null,
      (o.tickets || []).map((t) =>
        h(
          'tr',
          { 'data-ticket': t.ticket_code },
          h('td', null, h('a', { class: 'mono', href: `#/tickets/${encodeURIComponent(t.ticket_code)}` }, t.ticket_code)),
          h('td', null, badge(t.status)),
          h('td', null, customerTypeBadge(t.customer_type)),
          h('td', null, (t.entitlements || []).map((e) => `${e.function_code} ${e.remaining_uses}`).join(' · ')),
        ),
      ),
    ),
  );
  return h(
    'div',
    { class: 'stack' },
    h(
      'section',
      { class: 'card', 'aria-label': 'Order details' },
      printable
        ? h('div', { class: 'card-actions' }, h('a', { class: 'btn btn-primary', href: `#/print/order/${encodeURIComponent(o.order_id)}`, 'data-testid': 'print-order' }, '🖨 Print vouchers'))
        : null,
      facts,
    ),
    section(`Tickets (${(o.tickets || []).length})`, (o.tickets || []).length ? tableWrap(tickets, 'Tickets of the order') : h('p', { class: 'muted' }, 'No tickets were issued.')),
  );
}
