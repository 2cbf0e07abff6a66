// Audit: the audit log, filtered by partner, action and time (the venue's clock), with the filters
// kept in the URL. Actions are suggested and shown by their names ("Ticket redeemed"); the server
// takes a name or a code.
import { api, isAbort } from './api.js';
import {
  emptyState, field, formErrorLine, h, kvList, loadPartners, loading, noValue, pageHeader, pager, partnerPicker,
  posInt, showFormError, tableWrap, th, timeEl, wallClockToRfc3339,
} from './ui.js';

export async function renderAudit(root, { query, signal, navigate }) {
  const f = {
    partner_id: query.get('partner_id') || '',
    action: query.get('action') || '',
    from: query.get('from') || '',
    to: query.get('to') || '',
  };
  const page = posInt(query.get('page'), 1);

  const formHost = h('section', { class: 'card' }, loading('Loading filters…'));
  const results = h('div', null, loading('Loading audit log…'));
  root.append(
    pageHeader('Audit'),
    h('p', { class: 'lead' }, 'Every OTA transaction and staff change, recorded in the same transaction as the change.'),
    formHost,
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'audit-results-title' },
      h('h2', { id: 'audit-results-title', tabindex: '-1', 'data-results': '' }, 'Entries'),
      results,
    ),
  );

  const hashFor = (vals, pg) => {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(vals)) if (v) qs.set(k, v);
    if (pg > 1) qs.set('page', String(pg));
    const str = qs.toString();
    return `#/audit${str ? `?${str}` : ''}`;
  };

  let partners = null;
  let actions = [];
  try {
    [partners, actions] = await Promise.all([
      loadPartners(signal).catch(() => null),
      api('/api/admin/audit/actions', { signal }).then((d) => d.actions || []).catch(() => []),
    ]);
  } catch {
    partners = null;
  }
  if (signal.aborted) return;

  const partnerIn = partnerPicker('audit-partner', partners, f.partner_id, { allowAll: true });
  const actionIn = h('input', { id: 'audit-action', name: 'action', type: 'text', value: f.action, list: 'audit-actions', autocomplete: 'off', placeholder: 'e.g. Ticket redeemed' });
  const actionList = h('datalist', { id: 'audit-actions' }, actions.map((a) => h('option', { value: a.label }, a.action)));
  const fromIn = h('input', { id: 'audit-from', name: 'from', type: 'datetime-local', value: f.from, step: 1 });
  const toIn = h('input', { id: 'audit-to', name: 'to', type: 'datetime-local', value: f.to, step: 1 });
  const form = h(
    'form',
    { class: 'form-row', 'aria-label': 'Audit filters' },
    field('Partner', partnerIn),
    field('Action', actionIn),
    actionList,
    field('From (venue time)', fromIn),
    field('To (venue time)', toIn),
    h(
      'div',
      { class: 'field field-submit' },
      h('button', { type: 'submit', class: 'btn btn-primary' }, 'Apply'),
    ),
    h('div', { class: 'field field-submit' }, h('button', { type: 'button', class: 'btn', onclick: () => navigate('#/audit') }, 'Clear')),
    formErrorLine(),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    navigate(hashFor({ partner_id: partnerIn.value.trim(), action: actionIn.value.trim(), from: fromIn.value, to: toIn.value }, 1));
  });
  formHost.replaceChildren(form);

  const partnerName = (id) => {
    if (id === null || id === undefined) return '—';
    const p = partners && partners.find((x) => String(x.partner_id) === String(id));
    return p ? `${p.name} (#${id})` : `#${id}`;
  };

  async function load() {
    results.replaceChildren(loading('Loading audit log…'));
    try {
      const data = await api('/api/admin/audit', {
        query: { partner_id: f.partner_id, action: f.action, from: wallClockToRfc3339(f.from), to: wallClockToRfc3339(f.to), page, limit: 50 },
        signal,
      });
      if (signal.aborted) return;
      const entries = data.entries || [];
      const pg = pager(data, (p) => navigate(hashFor(f, p)), 'entries');
      if (!entries.length) {
        results.replaceChildren(emptyState('No audit entries match these filters.'));
        if (page > 1) results.append(pg);
        return;
      }
      const table = h(
        'table',
        { class: 'data audit', 'data-testid': 'audit-table' },
        h('caption', { class: 'sr-only' }, 'Audit entries'),
        h('thead', null, h('tr', null, th('When'), th('Actor'), th('Partner'), th('Action'), th('Object'), th('Details'))),
        h(
          'tbody',
          null,
          entries.map((x) =>
            h(
              'tr',
              { 'data-audit': x.id },
              h('td', { class: 'nowrap' }, timeEl(x.at)),
              h('td', { 'data-field': 'actor' }, actorView(x, partnerName)),
              h('td', null, partnerName(x.partner_id)),
              h('td', { 'data-field': 'action' }, x.action_label || x.action, h('div', null, h('code', { class: 'muted small' }, x.action))),
              h('td', null, x.object_type || '—', x.object_id !== null && x.object_id !== undefined ? h('div', { class: 'mono small break', title: String(x.object_id) }, String(x.object_id)) : null),
              h('td', { class: 'summary' }, summaryView(x.summary)),
            ),
          ),
        ),
      );
      results.replaceChildren(tableWrap(table, 'Audit entries'), pg);
    } catch (e) {
      if (!isAbort(e, signal)) {
        results.replaceChildren();
        showFormError(form, e);
      }
    }
  }
  await load();
}

/** Who acted: a user's email, a partner's name, the payment gateway or the system. */
function actorView(x, partnerName) {
  if (x.actor_kind === 'user') return x.actor_email || `user #${x.actor_id}`;
  if (x.actor_kind === 'partner') return partnerName(x.actor_id);
  if (x.actor_kind === 'gateway') return 'Payment gateway';
  return x.actor_kind || '—';
}

function summaryView(sum) {
  if (sum === null || sum === undefined) return noValue();
  if (typeof sum !== 'object') return String(sum);
  const entries = Object.entries(sum);
  if (!entries.length) return noValue();
  const simple = entries.every(([, v]) => v === null || typeof v !== 'object') && entries.length <= 5;
  if (simple) return kvList(sum);
  return h('details', null, h('summary', null, `${entries.length} fields`), h('pre', { class: 'json' }, JSON.stringify(sum, null, 2)));
}
