// Partners & keys (admin): create and suspend OTA partners, issue and revoke their API keys.
import { api, isAbort } from './api.js';
import {
  badge, dateEl, emptyState, errorBox, fact, field, fmtInt, h, loading, onClick, onSubmit, pageHeader, rowForm,
  secretBox, section, tableWrap, th, timeEl, toast,
} from './ui.js';

export function renderPartners(root, { params, signal }) {
  const state = {
    partners: [],
    selectedId: params[0] ? String(params[0]) : null,
    newKey: null, // { partnerId, key_id, api_key, prefix, label }
  };

  // --- create partner form
  const nameIn = h('input', { id: 'partner-name', name: 'name', type: 'text', required: true, autocomplete: 'organization', maxlength: 200 });
  const emailIn = h('input', { id: 'partner-email', name: 'contact_email', type: 'email', required: true, autocomplete: 'email' });
  const createBtn = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'create-partner' }, 'Create partner');
  const createForm = rowForm('New partner', [field('Partner name', nameIn), field('Contact email', emailIn)], createBtn);
  onSubmit(createForm, async () => {
    const p = await api('/api/admin/partners', { method: 'POST', body: { name: nameIn.value.trim(), contact_email: emailIn.value.trim() }, signal });
    toast(`Partner “${p.name ?? nameIn.value.trim()}” created.`);
    createForm.reset();
    state.selectedId = String(p.partner_id);
    state.newKey = null;
    await reload();
  });

  const listBody = h('div', null, loading('Loading partners…'));
  const detail = h('div', { class: 'partner-detail' });

  root.append(
    pageHeader('Partners & keys'),
    h('p', { class: 'lead' }, 'OTA partners and the API keys they use in the X-API-Key header. Keys are stored hashed and shown only once.'),
    h('div', { class: 'split' }, h('div', { class: 'stack' }, section('New partner', createForm), section('Partners', listBody)), detail),
  );

  async function reload() {
    try {
      const data = await api('/api/admin/partners', { signal });
      if (signal.aborted) return;
      state.partners = data.partners || [];
      drawList();
      drawDetail();
    } catch (e) {
      if (!isAbort(e, signal)) listBody.replaceChildren(errorBox(e, reload));
    }
  }

  function select(id) {
    state.selectedId = String(id);
    if (!state.newKey || String(state.newKey.partnerId) !== state.selectedId) state.newKey = null;
    history.replaceState(null, '', `#/partners/${encodeURIComponent(id)}`);
    drawList();
    drawDetail();
    const h2 = detail.querySelector('h2');
    if (h2) h2.focus();
  }

  function drawList() {
    if (!state.partners.length) {
      listBody.replaceChildren(emptyState('No partners yet. Create the first one above.'));
      return;
    }
    const table = h(
      'table',
      { class: 'data selectable', 'data-testid': 'partners-table' },
      h('caption', { class: 'sr-only' }, 'Partners'),
      h('thead', null, h('tr', null, th('Partner'), th('Status'), th('Keys', 'num'), th('Created'))),
      h(
        'tbody',
        null,
        state.partners.map((p) => {
          const sel = String(p.partner_id) === state.selectedId;
          const active = (p.api_keys || []).filter((k) => !k.revoked_at).length;
          return h(
            'tr',
            { class: sel ? 'selected' : null, 'data-partner': p.partner_id },
            h(
              'td',
              null,
              h('button', { type: 'button', class: 'link-btn', 'aria-current': sel ? 'true' : null, onclick: () => select(p.partner_id) }, p.name),
              h('span', { class: 'muted id' }, ` #${p.partner_id}`),
              h('div', { class: 'muted small' }, p.contact_email || ''),
            ),
            h('td', null, badge(p.status, p.status === 'active' ? 'Active' : p.status === 'suspended' ? 'Suspended' : p.status)),
            h('td', { class: 'num' }, fmtInt(active)),
            h('td', null, dateEl(p.created_at)),
          );
        }),
      ),
    );
    listBody.replaceChildren(tableWrap(table, 'Partners'));
  }

  function drawDetail() {
    const p = state.partners.find((x) => String(x.partner_id) === state.selectedId);
    if (!p) {
      detail.replaceChildren(
        h('section', { class: 'card placeholder', 'aria-label': 'Partner details' }, h('p', { class: 'muted' }, state.partners.length ? 'Select a partner to manage its status and API keys.' : 'Create a partner to issue API keys.')),
      );
      return;
    }
    const suspended = p.status === 'suspended';
    const statusBtn = h(
      'button',
      { type: 'button', class: suspended ? 'btn' : 'btn btn-danger-outline', 'data-testid': suspended ? 'reactivate-partner' : 'suspend-partner' },
      suspended ? 'Reactivate partner' : 'Suspend partner',
    );
    onClick(
      statusBtn,
      async () => {
        await api(`/api/admin/partners/${encodeURIComponent(p.partner_id)}`, { method: 'PATCH', body: { status: suspended ? 'active' : 'suspended' }, signal });
        toast(suspended ? `${p.name} is active again.` : `${p.name} is suspended: its API keys get 403 until reactivated.`);
        await reload();
        detail.querySelector('[data-testid$="-partner"]')?.focus();
      },
      { redraws: true },
    );

    // --- keys
    const keys = p.api_keys || [];
    const keysTable = keys.length
      ? tableWrap(
          h(
            'table',
            { class: 'data', 'data-testid': 'keys-table' },
            h('caption', { class: 'sr-only' }, `API keys of ${p.name}`),
            h('thead', null, h('tr', null, th('Prefix'), th('Label'), th('Limit / min', 'num'), th('Created'), th('Status'), th('', 'actions'))),
            h(
              'tbody',
              null,
              keys.map((k) =>
                h(
                  'tr',
                  { class: k.revoked_at ? 'revoked' : null, 'data-key': k.key_id },
                  h('td', { class: 'mono' }, `${k.prefix}…`),
                  h('td', null, k.label || '—'),
                  h('td', { class: 'num' }, k.rate_limit_per_minute ? fmtInt(k.rate_limit_per_minute) : h('span', { class: 'muted' }, 'default')),
                  h('td', null, dateEl(k.created_at)),
                  h('td', null, k.revoked_at ? h('span', { class: 'nowrap' }, badge('revoked', 'Revoked'), ' ', dateEl(k.revoked_at)) : badge('active', 'Active')),
                  h('td', { class: 'actions' }, k.revoked_at ? null : revokeButton(p, k)),
                ),
              ),
            ),
          ),
          'API keys',
        )
      : emptyState('No API keys yet.');

    const labelIn = h('input', { id: 'key-label', name: 'label', type: 'text', required: true, maxlength: 200, placeholder: 'e.g. production' });
    const rateIn = h('input', { id: 'key-rate-limit', name: 'rate_limit_per_minute', type: 'number', min: 1, step: 1, inputmode: 'numeric', placeholder: 'server default' });
    const keyBtn = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'create-key'}, 'Create API key');
    const keyForm = rowForm('New API key', [field('Key label', labelIn), field('Rate limit per minute (optional)', rateIn)], keyBtn);
    onSubmit(
      keyForm,
      async () => {
        const body = { label: labelIn.value.trim() };
        if (rateIn.value !== '') body.rate_limit_per_minute = Number(rateIn.value);
        const res = await api(`/api/admin/partners/${encodeURIComponent(p.partner_id)}/api-keys`, { method: 'POST', body, signal });
        state.newKey = { ...res, partnerId: String(p.partner_id), partnerName: p.name, label: body.label };
        await reload();
        detail.querySelector('[data-testid="new-api-key"]')?.focus();
      },
      { redraws: true },
    );

    const showKey = state.newKey && String(state.newKey.partnerId) === String(p.partner_id) ? newKeyBox(state.newKey, () => {
      state.newKey = null;
      drawDetail();
      labelIn.focus();
    }) : null;

    detail.replaceChildren(
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'partner-detail-title', 'data-testid': 'partner-detail', 'data-partner': p.partner_id },
        h('div', { class: 'card-head' }, h('h2', { id: 'partner-detail-title', tabindex: '-1' }, p.name), badge(p.status, p.status === 'suspended' ? 'Suspended' : 'Active')),
        h('dl', { class: 'facts facts-inline' }, fact('Partner ID', String(p.partner_id)), fact('Contact', p.contact_email || '—'), fact('Created', timeEl(p.created_at))),
        h('div', { class: 'card-actions' }, statusBtn),
        suspended ? h('p', { class: 'alert alert-warn' }, 'This partner is suspended: every call with its keys is refused (403).') : null,
        showKey,
        h('h3', { id: 'keys-title', tabindex: '-1' }, 'API keys'),
        keysTable,
        h('h3', null, 'New API key'),
        keyForm,
      ),
    );
  }

  function revokeButton(p, k) {
    const b = h('button', { type: 'button', class: 'btn btn-small btn-danger-outline', 'data-testid': 'revoke-key', 'aria-label': `Revoke key ${k.prefix} (${k.label || 'no label'})` }, 'Revoke');
    onClick(
      b,
      async () => {
        await api(`/api/admin/api-keys/${encodeURIComponent(k.key_id)}`, { method: 'DELETE', signal });
        toast(`Key ${k.prefix}… revoked.`);
        if (state.newKey && String(state.newKey.key_id) === String(k.key_id)) state.newKey = null;
        await reload();
        detail.querySelector('#keys-title')?.focus();
      },
      {
        confirm: `Revoke API key ${k.prefix}… “${k.label || 'no label'}” of ${p.name}?\n\nIntegrations using it stop working immediately. This cannot be undone.`,
        redraws: true,
      },
    );
    return b;
  }

  drawDetail();
  return reload();
}

function newKeyBox(k, onDismiss) {
  return secretBox({
    testid: 'new-api-key',
    what: 'api-key',
    title: `New API key “${k.label}” for ${k.partnerName}`,
    warning: 'Gangway stores only a hash of the key. Give it to the partner over a secure channel.',
    value: k.api_key,
    note: `Prefix ${k.prefix} · key #${k.key_id}. Sent by the partner as the X-API-Key header.`,
    dismissText: 'I have stored the key — hide it',
    onDismiss,
  });
}
