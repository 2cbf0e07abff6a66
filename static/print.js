// Printable vouchers of a batch (#/print/batch/ID) or an order (#/print/order/ID): each voucher
// shows its QR code, ticket code, package, what it entitles to and when it is valid, laid out for
// A4 sheets (8 a page) or 80 mm receipt printers (one a slip) by print.css. Large batches print a
// page of vouchers at a time; every sheet fetched is recorded in the audit log.
import { api, isAbort } from './api.js';
import { errorBox, fmtInt, h, loading, pageHeader, posInt } from './ui.js';

const PER_SHEET = 96; // 12 A4 pages

export function renderPrint(root, { params, query, signal, navigate }) {
  const [source, id] = params;
  if (!['batch', 'order'].includes(source) || !id) {
    root.append(pageHeader('Print vouchers'), errorBox(new Error('Open the print view from a batch or an order.')));
    return undefined;
  }
  const page = posInt(query.get('page'), 1);
  const layout = query.get('layout') === 'receipt' ? 'receipt' : 'a4';
  const hashFor = (p, l) => `#/print/${source}/${encodeURIComponent(id)}?${new URLSearchParams({ layout: l, ...(p > 1 ? { page: String(p) } : {}) })}`;
  const back = source === 'batch' ? `#/batches/${encodeURIComponent(id)}` : `#/orders/${encodeURIComponent(id)}`;

  const layoutIn = h(
    'select',
    { id: 'print-layout', 'data-testid': 'print-layout' },
    h('option', { value: 'a4', selected: layout === 'a4' }, 'A4 sheets (8 per page)'),
    h('option', { value: 'receipt', selected: layout === 'receipt' }, '80 mm receipt printer (1 per slip)'),
  );
  layoutIn.addEventListener('change', () => navigate(hashFor(page, layoutIn.value)));
  const printBtn = h('button', { type: 'button', class: 'btn btn-primary', disabled: true, 'data-testid': 'print-now', onclick: () => window.print() }, '🖨 Print');
  const info = h('span', { class: 'muted', role: 'status' });
  const pages = h('span', { class: 'print-pages' });
  const sheet = h('div', { class: `voucher-sheet layout-${layout}`, 'data-testid': 'voucher-sheet' }, loading('Preparing the vouchers…'));

  document.body.classList.add('printing', `print-${layout}`);
  signal.addEventListener('abort', () => document.body.classList.remove('printing', 'print-a4', 'print-receipt'));
  root.append(
    h('p', { class: 'crumbs no-print' }, h('a', { href: back }, source === 'batch' ? '← The batch' : '← The order')),
    h('div', { class: 'no-print' }, pageHeader('Print vouchers')),
    h(
      'div',
      { class: 'card print-controls no-print' },
      h('div', { class: 'field' }, h('label', { for: 'print-layout' }, 'Layout'), layoutIn),
      pages,
      info,
      printBtn,
    ),
    sheet,
  );

  async function load() {
    try {
      const path = `/api/admin/${source === 'batch' ? 'batches' : 'orders'}/${encodeURIComponent(id)}/vouchers`;
      const s = await api(path, { query: { page, limit: PER_SHEET }, signal });
      if (signal.aborted) return;
      const first = (s.page - 1) * s.page_size + 1;
      const last = first + s.vouchers.length - 1;
      info.textContent = s.vouchers.length
        ? `${s.title}: vouchers ${fmtInt(first)}–${fmtInt(last)} of ${fmtInt(s.total_count)}${s.not_printable ? ` (${fmtInt(s.not_printable)} used or cancelled left out)` : ''}.`
        : `${s.title}: nothing to print.`;
      const sheets = Math.ceil(s.total_count / s.page_size);
      pages.replaceChildren(
        ...(sheets > 1
          ? Array.from({ length: sheets }, (_, i) => h('a', { class: ['btn', 'btn-small', i + 1 === s.page ? 'btn-primary' : ''], href: hashFor(i + 1, layout), 'aria-current': i + 1 === s.page ? 'page' : null }, `${i * s.page_size + 1}–${Math.min(s.total_count, (i + 1) * s.page_size)}`))
          : []),
      );
      sheet.replaceChildren(...s.vouchers.map(voucher));
      printBtn.disabled = s.vouchers.length === 0;
    } catch (e) {
      if (!isAbort(e, signal)) sheet.replaceChildren(errorBox(e, e.status === 404 ? null : load));
    }
  }
  return load();
}

function voucher(v) {
  return h(
    'article',
    { class: 'voucher', 'data-ticket': v.ticket_code },
    h('header', { class: 'v-head' }, h('span', { class: 'v-brand' }, 'Gangway'), h('span', { class: 'v-product' }, v.product_name)),
    h('img', { class: 'v-qr', src: `data:image/png;base64,${v.qr_png_base64}`, alt: `QR code of ticket ${v.ticket_code}`, width: 296, height: 296 }),
    h(
      'div',
      { class: 'v-info' },
      h('p', { class: 'v-code mono' }, v.ticket_code),
      h('p', { class: 'v-valid' }, v.validity),
      v.customer_type || v.holder_name
        ? h('p', { class: 'v-who' }, [v.customer_type ? v.customer_type.toUpperCase() : '', v.holder_name || ''].filter(Boolean).join(' · '))
        : null,
      h('ul', { class: 'v-ents' }, v.entitlements.map((e) => h('li', null, `${e.name} × ${e.uses}`))),
      h('p', { class: 'v-foot' }, 'Show this QR code at the pier.'),
    ),
  );
}
