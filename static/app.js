// Gangway staff console: session, shell, hash router.
import { api, isAbort, onUnauthorized } from './api.js';
import { h, clearToasts, errorBox, field, formErrorLine, loading, onSubmit, toast } from './ui.js';
import { renderAccount } from './account.js';
import { renderAudit } from './audit.js';
import { renderBatches } from './batches.js';
import { renderDashboard } from './dashboard.js';
import { setTimeZone } from './format.js';
import { renderLookup } from './lookup.js';
import { renderManifest } from './manifest.js';
import { renderOrder } from './order.js';
import { renderPartners } from './partners.js';
import { renderPrint } from './print.js';
import { renderResellers } from './resellers.js';
import { renderScanner } from './scanner.js';
import { renderUsers } from './users.js';
import { renderTicket } from './ticket.js';

// One module per screen. Each render function gets (root, ctx) with
// ctx = {params, query, signal, user, sameView, navigate}; ctx.signal aborts when the user leaves
// the view (timers and late answers stop with it). `nav: false` routes are reached from the
// header (your password) or from other screens (a ticket the lookup found, a print view).
const STAFF = ['staff', 'admin'];
const ROUTES = [
  { key: 'dashboard', label: 'Dashboard', roles: STAFF, render: renderDashboard },
  { key: 'batches', label: 'Batches', roles: STAFF, render: renderBatches },
  { key: 'partners', label: 'Partners & keys', roles: ['admin'], render: renderPartners },
  { key: 'resellers', label: 'Resellers & settlement', roles: STAFF, render: renderResellers },
  { key: 'audit', label: 'Audit', roles: STAFF, render: renderAudit },
  { key: 'users', label: 'Users', roles: ['admin'], render: renderUsers },
  { key: 'scanner', label: 'Scanner', roles: ['venue', ...STAFF], render: renderScanner },
  { key: 'account', label: 'Your password', roles: ['venue', ...STAFF], render: renderAccount, nav: false },
  { key: 'manifest', label: 'Passengers', roles: ['venue', ...STAFF], render: renderManifest },
  { key: 'lookup', label: 'Lookup', roles: STAFF, render: renderLookup },
  { key: 'tickets', label: 'Ticket', roles: STAFF, render: renderTicket, nav: false },
  { key: 'orders', label: 'Order', roles: STAFF, render: renderOrder, nav: false },
  { key: 'print', label: 'Print vouchers', roles: STAFF, render: renderPrint, nav: false },
];
const CONSOLE_ROLES = new Set(['venue', 'staff', 'admin']);

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const navList = document.getElementById('nav-list');
const session = document.getElementById('session');
const userEmail = document.getElementById('user-email');
const userRole = document.getElementById('user-role');
const logoutBtn = document.getElementById('logout');

let user = null;
let current = null; // { key, path, controller }
let loginShown = false;

const homeFor = (role) => (role === 'venue' ? 'scanner' : 'dashboard');

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const q = raw.indexOf('?');
  const path = q === -1 ? raw : raw.slice(0, q);
  const query = new URLSearchParams(q === -1 ? '' : raw.slice(q + 1));
  const segments = path
    .split('/')
    .filter(Boolean)
    .map((p) => {
      try {
        return decodeURIComponent(p);
      } catch {
        return p;
      }
    });
  return { path, segments, query };
}

/** Go to a hash route; re-renders even when the hash does not change. */
function navigate(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

function stopCurrent() {
  if (current) {
    current.controller.abort();
    current = null;
  }
}

function renderNav(activeKey) {
  const items = user ? ROUTES.filter((r) => r.nav !== false && r.roles.includes(user.role)) : [];
  navList.replaceChildren(
    ...items.map((r) =>
      h('li', null, h('a', { href: `#/${r.key}`, 'aria-current': r.key === activeKey ? 'page' : null }, r.label)),
    ),
  );
  nav.hidden = items.length === 0;
}

function route() {
  if (!user) return;
  const { path, segments, query } = parseHash();
  const key = segments[0];
  const r = ROUTES.find((x) => x.key === key);
  if (!r) {
    location.replace(`#/${homeFor(user.role)}`);
    return;
  }
  const sameView = Boolean(current && current.key === key && current.path === path);
  stopCurrent();
  const controller = new AbortController();
  current = { key, path, controller };
  renderNav(key);
  document.title = `${r.label} · Gangway`;

  const root = h('div', { class: `view view-${key}` });
  main.replaceChildren(root);

  if (!r.roles.includes(user.role)) {
    root.append(
      h('header', { class: 'page-header' }, h('h1', { tabindex: '-1' }, r.label)),
      h(
        'div',
        { class: 'alert alert-error', role: 'alert' },
        h('p', null, `This page is not available to the ${user.role} role.`),
        h('p', null, h('a', { href: `#/${homeFor(user.role)}` }, 'Go to your start page')),
      ),
    );
  } else {
    const ctx = { params: segments.slice(1), query, signal: controller.signal, user, sameView, navigate };
    const fail = (e) => {
      if (isAbort(e, controller.signal)) return;
      console.error(e);
      root.append(errorBox(e));
    };
    // Called synchronously: each view draws its header before its first await.
    try {
      Promise.resolve(r.render(root, ctx)).catch(fail);
    } catch (e) {
      fail(e);
    }
  }
  // Move focus into the new view (views that focus something themselves keep it).
  if (!sameView) window.scrollTo(0, 0);
  if (!root.contains(document.activeElement)) {
    const target = (sameView && root.querySelector('[data-results]')) || root.querySelector('h1');
    if (target) target.focus({ preventScroll: !sameView });
  }
}

// ---------- session ----------

function setUser(me, { afterLogin = false } = {}) {
  user = me;
  loginShown = false;
  userEmail.textContent = me.email || '';
  userEmail.title = `${me.name ? `${me.name}: ` : ''}change your password`;
  userRole.textContent = me.role;
  userRole.className = `role-badge role-${me.role}`;
  session.hidden = false;
  document.body.dataset.role = me.role;
  const home = `#/${homeFor(me.role)}`;
  const { segments } = parseHash();
  if (afterLogin || !segments.length) navigate(home);
  else route();
}

function showLogin(message = '', kind = 'info') {
  stopCurrent();
  clearToasts(); // a message of the last session means nothing to the next user
  user = null;
  session.hidden = true;
  renderNav(null);
  delete document.body.dataset.role;
  document.title = 'Sign in · Gangway';

  if (loginShown) {
    const note = main.querySelector('.login-note');
    if (note && message) {
      note.textContent = message;
      note.hidden = false;
    }
    return;
  }
  loginShown = true;

  const email = h('input', { id: 'email', name: 'email', type: 'email', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false' });
  const password = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, 'Sign in');
  const note = h('p', { class: `login-note note-${kind}`, hidden: !message }, message);
  const form = h(
    'form',
    { class: 'login-form' },
    note,
    field('Email', email),
    field('Password', password),
    formErrorLine(),
    submit,
  );
  onSubmit(
    form,
    async () => {
      note.hidden = true;
      await api('/api/auth/login', {
        method: 'POST',
        body: { email: email.value.trim(), password: password.value },
        auth: false,
      });
      const me = await api('/api/me', { auth: false });
      if (!CONSOLE_ROLES.has(me.role)) {
        await api('/api/auth/logout', { method: 'POST', body: {}, auth: false }).catch(() => {});
        throw new Error(`This console is for operator and venue staff. Your account has the “${me.role}” role.`);
      }
      await loadVenueDay();
      setUser(me, { afterLogin: true });
    },
    {
      busyText: 'Signing in…',
      onError: () => {
        password.value = '';
        password.focus();
      },
    },
  );

  main.replaceChildren(
    h(
      'div',
      { class: 'login-wrap' },
      h(
        'section',
        { class: 'card login-card', 'aria-labelledby': 'login-title' },
        h('h1', { id: 'login-title', tabindex: '-1' }, 'Sign in'),
        h('p', { class: 'muted' }, 'Gangway staff console — operator and venue staff.'),
        form,
      ),
    ),
  );
  email.focus();
}

/** Every screen shows times on the venue's clock: learn its zone once per sign-in. */
async function loadVenueDay() {
  try {
    const day = await api('/venue/today', { auth: false });
    setTimeZone(day.timezone);
  } catch {
    /* the browser's own zone until the next sign-in */
  }
}

async function logout() {
  logoutBtn.disabled = true;
  try {
    await api('/api/auth/logout', { method: 'POST', body: {}, auth: false });
  } catch (e) {
    if (e.status !== 401) {
      toast(`Could not log out: ${e.message}`, 'error');
      return;
    }
  } finally {
    logoutBtn.disabled = false;
  }
  history.replaceState(null, '', location.pathname + location.search);
  showLogin('You have logged out.');
}

async function loadSession() {
  main.replaceChildren(loading('Starting…'));
  try {
    const me = await api('/api/me', { auth: false });
    if (!CONSOLE_ROLES.has(me.role)) {
      showLogin(`This console is for operator and venue staff. You are signed in with the “${me.role}” role.`, 'warn');
      return;
    }
    await loadVenueDay();
    setUser(me);
  } catch (e) {
    if (e.status === 401) showLogin();
    else main.replaceChildren(h('div', { class: 'login-wrap' }, errorBox(e, () => loadSession())));
  }
}

onUnauthorized(() => showLogin('Your session has ended. Please sign in again.', 'warn'));
window.addEventListener('hashchange', route);
logoutBtn.addEventListener('click', logout);
document.getElementById('skip-link').addEventListener('click', (e) => {
  e.preventDefault();
  const target = main.querySelector('h1') || main;
  target.focus();
});
loadSession();
