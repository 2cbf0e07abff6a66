// One ticket at the desk: the card the gate shows, the holder, where it came from, its history
// (issued, sold, each scan, cancelled — with who), and cancelling it for the guest.
import { api, isAbort } from './api.js';
import { ticketCard } from './ticket-card.js';
import { errorBox, fact, field, fmtMoney, formErrorLine, h, loading, onSubmit, pageHeader, section, shortId, timeEl, toast } from './ui.js';

const KIND_WORDS = { issued: 'Issued', pre_generated: 'Pre-generated', sold: 'Sold', redeemed: 'Redeemed', used: 'Used up', cancelled: 'Cancelled' };

export function renderTicket(root, { params, signal, navigate }) {
  const code = params[0] || '';
  const body = h('div', null, loading('Loading the ticket…'));
  root.append(h('p', { class: 'crumbs' }, h('a', { href: '#/lookup' }, '← Lookup')), pageHeader(`Ticket ${code}`), body);

  async function load() {
    try {
      const t = await api(`/api/admin/tickets/${encodeURIComponent(code)}`, { signal });
      if (signal.aborted) return;
      body.replaceChildren(view(t));
    } catch (e) {
      if (!isAbort(e, signal)) body.replaceChildren(errorBox(e, e.status === 404 ? null : load));
    }
  }

  function view(t) {
    const holder = t.holder || {};
    const origin = t.batch_id
      ? h('span', null, 'Batch ', h('a', { class: 'mono', href: `#/batches/${encodeURIComponent(t.batch_id)}`, title: t.batch_id }, shortId(t.batch_id)))
      : t.order_id
        ? h('span', null, 'Order ', h('a', { class: 'mono', href: `#/orders/${encodeURIComponent(t.order_id)}`, title: t.order_id }, shortId(t.order_id)))
        : '—';
    const facts = h(
      'dl',
      { class: 'facts' },
      fact('Holder', holder.name || '—'),
      fact('Email', holder.email ? h('a', { href: `mailto:${holder.email}` }, holder.email) : '—'),
      fact('Phone', holder.phone || '—'),
      fact('Sold by', t.partner_name || 'Direct'),
      fact('From', origin),
      fact('Price', t.price_cents === null || t.price_cents === undefined ? '—' : fmtMoney(t.price_cents, t.currency)),
      fact('Payment reference', t.payment_reference ? h('span', { class: 'mono' }, t.payment_reference) : '—'),
    );
    return h(
      'div',
      { class: 'grid-2 ticket-page' },
      h('div', { class: 'stack' }, section('At the gate', ticketCard(t.ticket)), section('Holder and sale', facts), cancelBox(t)),
      section('History', timeline(t.events)),
    );
  }

  function cancelBox(t) {
    if (!t.can_cancel) {
      return section('Cancel', h('p', { class: 'muted' }, t.ticket.status === 'CANCELLED' ? 'This ticket is cancelled.' : 'A ticket that has been redeemed, or is used up, cannot be cancelled.'));
    }
    const reason = h('input', { id: 'cancel-reason', name: 'reason', type: 'text', required: true, maxlength: 200, autocomplete: 'off' });
    const submit = h('button', { type: 'submit', class: 'btn btn-danger-outline', 'data-testid': 'cancel-ticket' }, 'Cancel this ticket');
    const form = h('form', { class: 'stack', 'aria-label': 'Cancel the ticket' }, field('Reason', reason, 'Kept in the audit log. The unit goes back to stock.'), formErrorLine(), submit);
    onSubmit(
      form,
      async () => {
        if (!window.confirm(`Cancel ticket ${t.ticket.ticket_code}? This cannot be undone.`)) return;
        await api(`/api/admin/tickets/${encodeURIComponent(t.ticket.ticket_code)}/cancel`, { method: 'POST', body: { reason: reason.value.trim() }, signal });
        toast('Ticket cancelled; its unit is back in stock.');
        navigate(location.hash);
      },
      { busyText: 'Cancelling…', redraws: true },
    );
    return section('Cancel', form);
  }

  return load();
}

function timeline(events) {
  return h(
    'ol',
    { class: 'timeline', 'data-testid': 'ticket-history' },
    (events || []).map((e) =>
      h(
        'li',
        { class: `ev ev-${e.kind}`, 'data-kind': e.kind },
        h('span', { class: 'ev-when' }, timeEl(e.at)),
        h('span', { class: 'ev-kind' }, KIND_WORDS[e.kind] || e.kind),
        h('span', { class: 'ev-what' }, e.summary),
        e.actor ? h('span', { class: 'ev-who muted small' }, `by ${e.actor}`) : null,
      ),
    ),
  );
}
