// A ticket as the gate shows it (the scanner, the desk): the package, the customer type — child,
// elderly and student tickets each in their own colour *and* word, so an adult holding a child
// ticket is seen at a glance, also by colour-blind staff — the visit date, the holder, and what is
// left of each entitlement.
import { fmtWhen, venueToday } from './format.js';
import { h } from './ui.js';

const TYPE_WORDS = { adult: 'Adult', child: 'Child', elderly: 'Elderly', student: 'Student', family: 'Family', vip: 'VIP' };
const CONCESSIONS = new Set(['child', 'elderly', 'student']);

/** The customer type as a badge: its colour, its word in capitals, and what to check for concessions. */
export function customerTypeBadge(type) {
  const t = String(type || '').toLowerCase();
  const kind = t === 'adult' || CONCESSIONS.has(t) ? t : t ? 'other' : 'none';
  const word = t ? (TYPE_WORDS[t] || t).toUpperCase() : 'NOT SOLD';
  return h(
    'span',
    { class: `ctype ctype-${kind}`, 'data-customer-type': t || 'none', title: CONCESSIONS.has(t) ? 'Concession ticket: check the guest matches it' : null },
    CONCESSIONS.has(t) ? h('span', { class: 'ctype-mark', 'aria-hidden': 'true' }, '● ') : null,
    word,
  );
}

/** The visit date, marked when it is not the venue's today. */
function visitDate(date) {
  if (!date) return h('span', null, 'Open date');
  const today = venueToday();
  if (date === today) return h('span', { class: 'visit visit-today' }, `${date} · today`);
  return h('span', { class: 'visit visit-other' }, `${date} · ${date > today ? 'not yet' : 'past'}`);
}

/** The entitlements with their uses left; `scanned` is the function just redeemed or refused. */
function uses(entitlements, scanned) {
  return h(
    'ul',
    { class: 'uses', 'aria-label': 'Uses left' },
    (entitlements || []).map((e) =>
      h(
        'li',
        { class: [e.remaining_uses === 0 ? 'used-up' : '', e.function_code === scanned ? 'scanned' : ''], 'data-function': e.function_code },
        h('span', { class: 'use-name' }, e.name || e.function_code),
        h('span', { class: 'use-left', 'data-field': 'left' }, `${e.remaining_uses} of ${e.total_uses} left`),
        e.last_used_at ? h('span', { class: 'use-last' }, `last ${fmtWhen(e.last_used_at)}`) : null,
      ),
    ),
  );
}

/** The card of a ticket (`TicketCard` of the API). */
export function ticketCard(card, { scanned = '' } = {}) {
  if (!card) return null;
  return h(
    'div',
    { class: 'ticket-card', 'data-testid': 'ticket-card', 'data-ticket': card.ticket_code },
    h('div', { class: 'tc-head' }, h('span', { class: 'tc-product' }, card.product_name), customerTypeBadge(card.customer_type)),
    h(
      'dl',
      { class: 'tc-facts' },
      h('div', null, h('dt', null, 'Visit date'), h('dd', { 'data-field': 'visit_date' }, visitDate(card.visit_date))),
      h('div', null, h('dt', null, 'Holder'), h('dd', { 'data-field': 'holder' }, card.holder_name || '—')),
    ),
    uses(card.entitlements, scanned),
    h('p', { class: 'tc-code mono' }, card.ticket_code),
  );
}
