// Small DOM and formatting helpers. All text goes through text nodes / textContent, never innerHTML.
import { api, isAbort } from './api.js';
import { fmtDate, fmtDateTime, fmtInt, timeZone } from './format.js';

const VALUE_PROPS = new Set(['value', 'checked', 'selected', 'indeterminate']);

function applyProps(el, props) {
  if (!props) return;
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') {
      el.setAttribute('class', Array.isArray(v) ? v.filter(Boolean).join(' ') : v);
    } else if (k === 'text') {
      el.textContent = v;
    } else if (k.startsWith('on') && typeof v === 'function') {
      el.addEventListener(k.slice(2), v);
    } else if (VALUE_PROPS.has(k)) {
      el[k] = v;
    } else if (v === true) {
      el.setAttribute(k, '');
    } else {
      el.setAttribute(k, String(v));
    }
  }
}

function appendChildren(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) appendChildren(el, c);
    else if (c instanceof Node) el.append(c);
    else el.append(document.createTextNode(String(c)));
  }
}

/** h('tag', {attr: value, onclick: fn, class: [...]}, ...children) */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  applyProps(el, props);
  appendChildren(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
/** Same as h() for SVG elements. */
export function s(tag, props, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  applyProps(el, props);
  appendChildren(el, children);
  return el;
}

// ---------- formatting (format.js: one format for every screen) ----------

export {
  fmtBytes, fmtClock, fmtDate, fmtDateTime, fmtInt, fmtMoney, fmtPercent, fmtWhen, parseDay, posInt, shortId,
  venueToday, wallClockToRfc3339, ymd,
} from './format.js';

/** The muted dash shown where a value is missing. */
export function noValue() {
  return h('span', { class: 'muted' }, '—');
}

/** <time> showing the venue's date and time (`2026-12-02 09:12`), with the exact UTC value as tooltip. */
export function timeEl(iso) {
  if (!iso) return noValue();
  return h('time', { datetime: iso, title: `${iso} (UTC) · shown in ${timeZone()}` }, fmtDateTime(iso));
}

/** <time> showing the venue's date only (for narrow tables); the date and time in the tooltip. */
export function dateEl(iso) {
  if (!iso) return noValue();
  return h('time', { datetime: iso, title: `${fmtDateTime(iso)} ${timeZone()} (${iso})` }, fmtDate(iso));
}

const LABELS = {
  direct: 'Direct',
  ota: 'OTA',
  direct_sale: 'Direct sale',
  reseller_batch: 'Reseller batch',
  PRE_GENERATED: 'Pre-generated',
  ACTIVE: 'Active',
  USED: 'Used',
  CANCELLED: 'Cancelled',
  EXPIRED: 'Expired',
  PENDING_PAYMENT: 'Pending payment',
  PAID: 'Paid',
  REFUND_REQUIRED: 'Refund required',
};
export function label(v) {
  return LABELS[v] ?? String(v ?? '—');
}

export const TICKET_STATUSES = ['PRE_GENERATED', 'ACTIVE', 'USED', 'CANCELLED', 'EXPIRED'];

// ---------- building blocks ----------

export function badge(value, text) {
  const v = String(value ?? '').toLowerCase().replace(/[^a-z0-9]+/g, '-');
  return h('span', { class: `badge badge-${v}` }, text ?? label(value));
}

export function pageHeader(title, ...extra) {
  return h(
    'header',
    { class: 'page-header' },
    h('h1', { tabindex: '-1' }, title),
    extra.length ? h('div', { class: 'page-header-extra' }, extra) : null,
  );
}

export function section(title, ...children) {
  const id = `sec-${Math.random().toString(36).slice(2, 9)}`;
  return h(
    'section',
    { class: 'card', 'aria-labelledby': id },
    h('h2', { id }, title),
    children,
  );
}

export function loading(text = 'Loading…') {
  return h('p', { class: 'loading', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), text);
}

/** Plain error message (the problem `detail`), with an optional retry button. */
export function errorBox(err, retry) {
  return h(
    'div',
    { class: 'alert alert-error', role: 'alert' },
    h('p', null, err && err.message ? err.message : String(err)),
    err && err.code && err.code !== 'NETWORK_ERROR' ? h('p', { class: 'alert-code' }, err.code) : null,
    retry ? h('button', { type: 'button', class: 'btn btn-small', onclick: retry }, 'Try again') : null,
  );
}

export function emptyState(text) {
  return h('p', { class: 'empty' }, text);
}

/** Scrollable, keyboard-focusable wrapper for wide tables. */
export function tableWrap(table, ariaLabel) {
  return h('div', { class: 'table-wrap', role: 'region', 'aria-label': ariaLabel, tabindex: '0' }, table);
}

export function th(text, cls) {
  return h('th', { scope: 'col', class: cls }, text);
}

/** Prev / next paging for `{total_count, page, page_size}` answers. */
export function pager({ total_count: total = 0, page = 1, page_size: size = 50 }, onPage, noun = 'items') {
  const pages = Math.max(1, Math.ceil(total / Math.max(1, size)));
  const first = total === 0 ? 0 : (page - 1) * size + 1;
  const last = Math.min(total, page * size);
  return h(
    'nav',
    { class: 'pager', 'aria-label': 'Pagination' },
    h('button', { type: 'button', class: 'btn btn-small', disabled: page <= 1, onclick: () => onPage(page - 1) }, '← Previous'),
    h('span', { class: 'pager-info' }, total === 0 ? `No ${noun}` : `${fmtInt(first)}–${fmtInt(last)} of ${fmtInt(total)} ${noun} · page ${page} of ${pages}`),
    h('button', { type: 'button', class: 'btn btn-small', disabled: page >= pages, onclick: () => onPage(page + 1) }, 'Next →'),
  );
}

/** One term of a `<dl class="facts">`. */
export function fact(term, value) {
  return h('div', { class: 'fact' }, h('dt', null, term), h('dd', null, value));
}

/** An object's keys and values as a `<dl class="kv">`; nested values as JSON. */
export function kvList(obj) {
  if (!obj || typeof obj !== 'object') return noValue();
  const entries = Object.entries(obj);
  if (!entries.length) return noValue();
  return h(
    'dl',
    { class: 'kv' },
    entries.map(([k, v]) => [h('dt', null, k), h('dd', null, v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v ?? '—'))]),
  );
}

/** A form's error line (role=alert) + aria-invalid on the field the problem names. */
export function formErrorLine() {
  return h('p', { class: 'form-error', role: 'alert' });
}
export function showFormError(form, err) {
  const line = form.querySelector('.form-error');
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  if (line) line.textContent = err ? err.message : '';
  if (err && err.field) {
    const input = form.querySelector(`[name="${CSS.escape(err.field)}"]`);
    if (input) {
      input.setAttribute('aria-invalid', 'true');
      input.focus();
    }
  }
}

/** Labelled form field. `input` is an element with an id. */
export function field(labelText, input, hint) {
  const hintEl = hint ? h('span', { class: 'hint', id: `${input.id}-hint` }, hint) : null;
  if (hintEl) input.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: input.id }, labelText), input, hintEl);
}

/** A one-line form: its fields, the submit button, and the error line below them. */
export function rowForm(ariaLabel, fields, submitBtn) {
  return h('form', { class: 'form-row', 'aria-label': ariaLabel }, fields, h('div', { class: 'field field-submit' }, submitBtn), formErrorLine());
}

// ---------- toasts ----------

/** Removes every toast (they belong to the session that raised them). */
export function clearToasts() {
  document.getElementById('toasts')?.replaceChildren();
}

export function toast(message, kind = 'ok') {
  const host = document.getElementById('toasts');
  if (!host) return;
  const t = h('div', { class: `toast toast-${kind}` }, message);
  host.append(t);
  setTimeout(() => t.remove(), 5000);
}

// ---------- actions ----------

/**
 * Runs `action` with `button` disabled, so a double click sends one request. A failure shows on
 * `form`'s error line (marking the field it names) or, without a form, as a toast; then `onError`
 * runs. Leaving the view (an aborted request) shows nothing. The button is enabled again after a
 * failure, and after a success unless `redraws`: such an action draws a new button, the old one
 * stays disabled. `busyText` is the button's label while the action runs.
 */
async function whileBusy(button, action, { form = null, redraws = false, busyText = '', onError = null } = {}) {
  const idleText = button.textContent;
  button.disabled = true;
  if (busyText) button.textContent = busyText;
  let done = false;
  try {
    await action();
    done = true;
  } catch (err) {
    if (!isAbort(err)) {
      if (form) showFormError(form, err);
      else toast(err.message, 'error');
      if (onError) onError(err);
    }
  } finally {
    if (!done || !redraws) button.disabled = false;
    if (busyText) button.textContent = idleText;
  }
}

/** On submit: clears the form's error line and runs `action` with the submit button busy (see whileBusy). */
export function onSubmit(form, action, { button = form.querySelector('button[type=submit]'), ...options } = {}) {
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    showFormError(form, null);
    whileBusy(button, action, { ...options, form });
  });
}

/** On click: runs `action` with the button busy, a failure as a toast; with `confirm`, only once the user agrees. */
export function onClick(button, action, { confirm = '', ...options } = {}) {
  button.addEventListener('click', () => {
    if (confirm && !window.confirm(confirm)) return;
    whileBusy(button, action, options);
  });
}

// ---------- clipboard ----------

export async function copyText(text) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    /* fall through to the legacy path */
  }
  const active = document.activeElement;
  const ta = h('textarea', { class: 'offscreen', readonly: true, 'aria-hidden': 'true' });
  ta.value = text;
  document.body.append(ta);
  ta.select();
  let ok = false;
  try {
    ok = document.execCommand('copy');
  } catch {
    ok = false;
  }
  ta.remove();
  if (active && typeof active.focus === 'function') active.focus();
  return ok;
}

/**
 * A secret shown once (a new API key, a new password): the value, a Copy button, a warning, and a
 * button to hide it. `testid` names the box; its value is `${testid}-value`, the button `copy-${what}`.
 */
export function secretBox({ testid, what, title, warning, value, note = '', dismissText, onDismiss }) {
  const titleId = `${testid}-title`;
  const copyBtn = h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': `copy-${what}` }, 'Copy');
  const code = h('code', { class: 'key-value', 'data-testid': `${testid}-value` }, value);
  copyBtn.addEventListener('click', async () => {
    const ok = await copyText(value);
    if (ok) {
      copyBtn.textContent = 'Copied ✓';
      toast(`${what === 'api-key' ? 'API key' : 'Password'} copied to the clipboard.`);
      setTimeout(() => {
        copyBtn.textContent = 'Copy';
      }, 2500);
    } else {
      const range = document.createRange();
      range.selectNodeContents(code);
      const sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      toast('Copying is blocked here: the text is selected, press Ctrl+C (⌘C).', 'warn');
    }
  });
  return h(
    'div',
    { class: 'new-key', 'data-testid': testid, role: 'region', 'aria-labelledby': titleId, tabindex: '-1' },
    h('h3', { id: titleId }, title),
    h('p', { class: 'new-key-warn' }, h('strong', null, 'Copy it now — it will not be shown again.'), ` ${warning}`),
    h('div', { class: 'key-row' }, code, copyBtn),
    note ? h('p', { class: 'muted small' }, note) : null,
    h('button', { type: 'button', class: 'btn btn-small', onclick: onDismiss }, dismissText),
  );
}

// ---------- shared data ----------

let catalogPromise = null;
/** GET /api/catalog, fetched once per page load (retried after a failure). */
export function getCatalog() {
  if (!catalogPromise) {
    catalogPromise = api('/api/catalog').catch((e) => {
      catalogPromise = null;
      throw e;
    });
  }
  return catalogPromise;
}

/** Map product_id → name, or an empty map if the catalog cannot be read. */
export async function productNames() {
  try {
    const c = await getCatalog();
    return new Map((c.products || []).map((p) => [String(p.product_id), p.name]));
  } catch {
    return new Map();
  }
}

export function productLabel(names, id) {
  const n = names.get(String(id));
  return n ? `${n} (${id})` : `Package ${id}`;
}

/** Loads partners for a picker; null when this role may not list them (403). */
export async function loadPartners(signal) {
  try {
    const data = await api('/api/admin/partners', { signal });
    return data.partners || [];
  } catch (e) {
    if (e.status === 403) return null;
    throw e;
  }
}

/** A partner `<select>`, or a partner-ID input when the partners could not be listed (`partners` null). */
export function partnerPicker(id, partners, value, { allowAll = false } = {}) {
  if (partners === null) {
    return h('input', { id, name: 'partner_id', type: 'number', min: 1, step: 1, inputmode: 'numeric', value: value ?? '', placeholder: allowAll ? 'All' : 'Partner ID' });
  }
  const sel = h('select', { id, name: 'partner_id' });
  if (allowAll) sel.append(h('option', { value: '' }, 'All partners'));
  for (const p of partners) {
    sel.append(h('option', { value: String(p.partner_id), selected: String(p.partner_id) === String(value ?? '') }, `${p.name} (#${p.partner_id})${p.status === 'suspended' ? ' — suspended' : ''}`));
  }
  return sel;
}

/** Safe localStorage access (private mode / disabled storage). */
export const store = {
  get(key) {
    try {
      return localStorage.getItem(`gangway.${key}`);
    } catch {
      return null;
    }
  },
  set(key, value) {
    try {
      if (value === null || value === undefined || value === '') localStorage.removeItem(`gangway.${key}`);
      else localStorage.setItem(`gangway.${key}`, String(value));
    } catch {
      /* ignore */
    }
  },
};
