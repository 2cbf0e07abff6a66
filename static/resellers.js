// Resellers & settlement: a partner's reseller registry and its settlement over a period (with CSV export).
import { api, isAbort } from './api.js';
import {
  badge, emptyState, errorBox, field, fmtInt, fmtMoney, fmtPercent, formErrorLine, h, loadPartners, loading,
  pageHeader, pager, partnerPicker, section, showFormError, store, tableWrap, th, ymd,
} from './ui.js';

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
    if (!isAbort(e, signal)) top.replaceChildren(errorBox(e));
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
      billingBody.replaceChildren(billingView(data, pid));
    } catch (e) {
      if (isAbort(e, signal)) return;
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
      if (!isAbort(e, signal)) resellersBody.replaceChildren(errorBox(e, loadResellers));
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

function billingView(data, partnerId) {
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

  // The server writes the CSV (UTF-8 with BOM, money in currency units, formulas defused).
  const csvQuery = new URLSearchParams({ period_start: data.period_start, period_end: data.period_end });
  const csvBtn = h(
    'a',
    {
      class: 'btn btn-small',
      href: `/api/admin/partners/${encodeURIComponent(partnerId)}/billing/summary.csv?${csvQuery}`,
      download: `settlement-${partnerId}-${data.period_start}-${data.period_end}.csv`,
      'data-testid': 'billing-csv',
    },
    'Download CSV',
  );

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
