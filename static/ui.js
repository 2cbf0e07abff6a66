// Small DOM and formatting helpers. All text goes through text nodes / textContent, never innerHTML.
import { api, isAbort } from './api.js';

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

// ---------- formatting ----------

const intFmt = new Intl.NumberFormat();
export function fmtInt(n) {
  return n === null || n === undefined || Number.isNaN(Number(n)) ? '—' : intFmt.format(Number(n));
}

const moneyFmts = new Map();
/** Integer minor units + ISO currency → localized money string. */
export function fmtMoney(cents, currency = 'USD') {
  if (cents === null || cents === undefined) return '—';
  if (!moneyFmts.has(currency)) {
    let f = null;
    try {
      f = new Intl.NumberFormat(undefined, { style: 'currency', currency });
    } catch {
      f = null;
    }
    moneyFmts.set(currency, f);
  }
  const f = moneyFmts.get(currency);
  if (!f) return `${(Number(cents) / 100).toFixed(2)} ${currency}`;
  const digits = f.resolvedOptions().maximumFractionDigits;
  return f.format(Number(cents) / 10 ** digits);
}

const pctFmt = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 2 });
export function fmtPercent(rate) {
  return rate === null || rate === undefined ? '—' : pctFmt.format(Number(rate));
}

const pad2 = (n) => String(n).padStart(2, '0');

/** hh:mm:ss, 24 h, local time. */
export function fmtClock(d = new Date()) {
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

const dtFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
export function fmtDateTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : dtFmt.format(d);
}

/** The muted dash shown where a value is missing. */
export function noValue() {
  return h('span', { class: 'muted' }, '—');
}

/** <time> showing local date-time, with the exact UTC value as tooltip. */
export function timeEl(iso) {
  if (!iso) return noValue();
  return h('time', { datetime: iso, title: iso }, fmtDateTime(iso));
}

const dFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
/** <time> showing the local date only (for narrow tables); the full local time and UTC in the tooltip. */
export function dateEl(iso) {
  if (!iso) return noValue();
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return h('time', { datetime: iso, title: iso }, String(iso));
  return h('time', { datetime: iso, title: `${dtFmt.format(d)} (${iso})` }, dFmt.format(d));
}

/** 'YYYY-MM-DD' → local Date at midnight (no UTC shift). */
export function parseDay(ymd) {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(ymd || '');
  return m ? new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : null;
}

/** Local Date → 'YYYY-MM-DD'. */
export function ymd(d) {
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;
}

/** Value of <input type=datetime-local> (local time) → RFC 3339 UTC without milliseconds. */
export function localInputToRfc3339(v) {
  if (!v) return '';
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) return '';
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function shortId(id) {
  const s = String(id ?? '');
  return s.length > 12 ? `${s.slice(0, 8)}…` : s;
}

export function posInt(v, fallback) {
  const n = Number.parseInt(v, 10);
  return Number.isFinite(n) && n >= 1 ? n : fallback;
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
