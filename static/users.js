// Users (admin): create venue, staff and admin accounts, reset passwords, disable and enable
// accounts, lift login locks. A new or reset password is shown once.
import { api, isAbort } from './api.js';
import {
  badge, dateEl, emptyState, errorBox, field, h, loading, noValue, onClick, onSubmit, pageHeader, pager, posInt,
  rowForm, secretBox, section, tableWrap, th, timeEl, toast,
} from './ui.js';

const ROLES = [
  ['venue', 'Venue (scanner)'],
  ['staff', 'Staff'],
  ['admin', 'Admin'],
];
const ROLE_LABELS = { customer: 'Customer', venue: 'Venue', staff: 'Staff', admin: 'Admin' };
const PAGE_SIZE = 50;

export function renderUsers(root, { query, signal, user: me }) {
  const state = {
    page: posInt(query.get('page'), 1),
    role: query.get('role') || '',
    secret: null, // { email, password, why }
  };

  // --- create
  const emailIn = h('input', { id: 'new-user-email', name: 'email', type: 'email', required: true, autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false' });
  const nameIn = h('input', { id: 'new-user-name', name: 'name', type: 'text', maxlength: 200, autocomplete: 'off' });
  const roleIn = h('select', { id: 'new-user-role', name: 'role' }, ROLES.map(([v, t]) => h('option', { value: v }, t)));
  const passwordIn = h('input', { id: 'new-user-password', name: 'password', type: 'password', minlength: 10, maxlength: 200, autocomplete: 'new-password', placeholder: 'generate one' });
  const createBtn = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'create-user' }, 'Create user');
  const createForm = rowForm(
    'New user',
    [field('Email', emailIn), field('Name', nameIn), field('Role', roleIn), field('Password (optional)', passwordIn)],
    createBtn,
  );
  onSubmit(createForm, async () => {
    const body = { email: emailIn.value.trim(), name: nameIn.value.trim(), role: roleIn.value };
    if (passwordIn.value) body.password = passwordIn.value;
    const u = await api('/api/admin/users', { method: 'POST', body, signal });
    toast(`${ROLE_LABELS[u.role] ?? u.role} user ${u.email} created.`);
    state.secret = u.password ? { email: u.email, password: u.password, why: 'created' } : null;
    createForm.reset();
    await reload();
    secretHost.querySelector('[data-testid="new-password"]')?.focus();
  });

  const roleFilter = h(
    'select',
    { id: 'users-role-filter', name: 'role', 'aria-label': 'Show role' },
    h('option', { value: '' }, 'All roles'),
    Object.entries(ROLE_LABELS).map(([v, t]) => h('option', { value: v, selected: v === state.role }, t)),
  );
  roleFilter.addEventListener('change', () => {
    state.role = roleFilter.value;
    state.page = 1;
    reload();
  });

  const secretHost = h('div');
  const listBody = h('div', { 'data-results': '', tabindex: '-1' }, loading('Loading users…'));
  root.append(
    pageHeader('Users'),
    h('p', { class: 'lead' }, 'Console and scanner accounts. Disabling an account ends its sessions at once; a reset password is shown only once.'),
    section('New user', createForm),
    secretHost,
    section('Users', h('div', { class: 'filters' }, field('Role', roleFilter)), listBody),
  );

  async function reload() {
    try {
      const data = await api('/api/admin/users', { query: { role: state.role, page: state.page, limit: PAGE_SIZE }, signal });
      if (signal.aborted) return;
      const qs = new URLSearchParams();
      if (state.role) qs.set('role', state.role);
      if (state.page > 1) qs.set('page', String(state.page));
      history.replaceState(null, '', `#/users${qs.size ? `?${qs}` : ''}`);
      drawSecret();
      drawList(data);
    } catch (e) {
      if (!isAbort(e, signal)) listBody.replaceChildren(errorBox(e, reload));
    }
  }

  function drawSecret() {
    const s = state.secret;
    secretHost.replaceChildren(
      s
        ? secretBox({
            testid: 'new-password',
            what: 'password',
            title: s.why === 'reset' ? `New password for ${s.email}` : `Password of the new user ${s.email}`,
            warning: 'Gangway stores only a hash of it. Hand it over in person or over a secure channel.',
            value: s.password,
            dismissText: 'I have handed it over — hide it',
            onDismiss: () => {
              state.secret = null;
              drawSecret();
            },
          })
        : '',
    );
  }

  function drawList(data) {
    const users = data.users || [];
    if (!users.length) {
      listBody.replaceChildren(emptyState(state.role ? 'No users with this role.' : 'No users yet.'));
      return;
    }
    const table = h(
      'table',
      { class: 'data', 'data-testid': 'users-table' },
      h('caption', { class: 'sr-only' }, 'Users'),
      h('thead', null, h('tr', null, th('User'), th('Role'), th('Status'), th('Last login'), th('Created'), th('', 'actions'))),
      h('tbody', null, users.map((u) => row(u))),
    );
    listBody.replaceChildren(
      tableWrap(table, 'Users'),
      pager(data, (page) => {
        state.page = page;
        reload();
      }, 'users'),
    );
  }

  function row(u) {
    const disabled = u.status === 'disabled';
    const status = [disabled ? badge('disabled', 'Disabled') : badge('active', 'Active')];
    if (u.locked_until) status.push(' ', h('span', { title: `Logins refused until ${u.locked_until}` }, badge('locked', 'Locked')));
    const isMe = u.user_id === me.user_id || u.email === me.email;
    return h(
      'tr',
      { 'data-user': u.user_id, 'data-email': u.email, 'data-status': u.status, class: disabled ? 'revoked' : null },
      h('td', null, h('div', null, u.email, isMe ? h('span', { class: 'muted' }, ' (you)') : null), u.name ? h('div', { class: 'muted small' }, u.name) : null),
      h('td', null, ROLE_LABELS[u.role] ?? u.role),
      h('td', { 'data-field': 'status' }, status),
      h('td', { 'data-field': 'last_login_at' }, u.last_login_at ? timeEl(u.last_login_at) : noValue()),
      h('td', null, dateEl(u.created_at)),
      h('td', { class: 'actions nowrap' }, actions(u, disabled)),
    );
  }

  function actions(u, disabled) {
    const id = encodeURIComponent(u.user_id);
    const button = (testid, text, cls, action, confirm) => {
      const b = h('button', { type: 'button', class: `btn btn-small ${cls}`, 'data-testid': testid, 'aria-label': `${text}: ${u.email}` }, text);
      onClick(b, action, { confirm, redraws: true });
      return b;
    };
    const out = [
      button('reset-password', 'Reset password', '', async () => {
        const r = await api(`/api/admin/users/${id}/reset-password`, { method: 'POST', signal });
        state.secret = { email: r.email, password: r.password, why: 'reset' };
        toast(`${u.email} has a new password; their sessions have ended.`);
        await reload();
        secretHost.querySelector('[data-testid="new-password"]')?.focus();
      }, `Give ${u.email} a new password?\n\nTheir current password stops working and every session of theirs ends.`),
      ' ',
      disabled
        ? button('enable-user', 'Enable', '', async () => {
            await api(`/api/admin/users/${id}/enable`, { method: 'POST', signal });
            toast(`${u.email} is enabled again.`);
            await reload();
          })
        : button('disable-user', 'Disable', 'btn-danger-outline', async () => {
            await api(`/api/admin/users/${id}/disable`, { method: 'POST', signal });
            toast(`${u.email} is disabled; their sessions have ended.`);
            await reload();
          }, `Disable ${u.email}?\n\nEvery session of theirs ends at once and they cannot log in until enabled again.`),
    ];
    if (u.locked_until) {
      out.push(' ', button('unlock-user', 'Unlock', '', async () => {
        await api(`/api/admin/users/${id}/unlock`, { method: 'POST', signal });
        toast(`${u.email} may log in again.`);
        await reload();
      }));
    }
    return out;
  }

  return reload();
}
