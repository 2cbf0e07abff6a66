// Venue scanner, phone-first. Type / paste / wedge-scan a QR token, or use the camera (camera.js:
// read on the phone where it can, else frames read by the server). Every answer about a genuine
// ticket shows who it is for (ticket-card.js); refusals say why in plain words, the code small.
import { api, isAbort, withQuery } from './api.js';
import { cameraAvailable, cameraError, startCamera } from './camera.js';
import { customerTypeBadge, ticketCard } from './ticket-card.js';
import { errorBox, fmtClock, getCatalog, h, pageHeader, store } from './ui.js';

const HINTS = {
  QR_INVALID: 'Not a Gangway ticket. Check that the guest shows the right QR code.',
  QR_EXPIRED: 'This live QR code has expired. Ask the guest to refresh it in their app.',
  TICKET_NOT_ACTIVE: 'Send the guest to the ticket desk.',
  WRONG_VISIT_DATE: 'Send the guest to the ticket desk: staff can let them in if it is right to.',
};

function newScanId() {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  // Plain-HTTP deployments have no randomUUID; build a v4 UUID from getRandomValues.
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map((n) => n.toString(16).padStart(2, '0')).join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

const FN_KEY = 'scanner.function_code';
const VENUE_KEY = 'scanner.venue_code';

export function renderScanner(root, { signal, user, query }) {
  const fnNames = new Map();
  const staff = user.role !== 'venue';

  const fnSel = h('select', { id: 'function-code', name: 'function_code', disabled: true, 'aria-describedby': 'function-code-msg' }, h('option', { value: '' }, 'Loading…'));
  const fnMsg = h('p', { id: 'function-code-msg', class: 'field-msg', role: 'alert' });
  const venueIn = h('input', { id: 'venue-code', name: 'venue_code', type: 'text', autocomplete: 'off', spellcheck: 'false', value: store.get(VENUE_KEY) || '' });
  const overrideIn = staff ? h('input', { id: 'override-visit-date', type: 'checkbox', 'data-testid': 'override-visit-date' }) : null;
  const tokenIn = h('textarea', {
    id: 'qr-token',
    name: 'qr_token',
    rows: 3,
    autocomplete: 'off',
    autocapitalize: 'none',
    autocorrect: 'off',
    spellcheck: 'false',
    enterkeyhint: 'go',
    placeholder: 'Scan, type or paste the QR token',
    'aria-describedby': 'qr-token-msg',
  });
  const tokenMsg = h('p', { id: 'qr-token-msg', class: 'field-msg', role: 'alert' });
  const redeemBtn = h('button', { type: 'submit', class: 'btn btn-primary btn-huge', 'data-testid': 'redeem' }, 'Redeem');

  const camera = cameraAvailable();
  const cameraBtn = camera ? h('button', { type: 'button', class: 'btn btn-block', 'data-testid': 'scan-camera' }, h('span', { 'aria-hidden': 'true' }, '📷 '), 'Scan with camera') : null;
  const stopBtn = camera ? h('button', { type: 'button', class: 'btn btn-block', hidden: true }, 'Stop camera') : null;
  const video = camera ? h('video', { class: 'camera', playsinline: true, muted: true, hidden: true, 'aria-label': 'Camera preview' }) : null;
  if (video) video.muted = true;
  const camMsg = h('p', { class: 'cam-msg muted small', role: 'status', 'data-testid': 'camera-status' });

  const result = h(
    'div',
    { class: 'scan-result idle', 'data-testid': 'scan-result', 'aria-live': 'assertive', 'aria-atomic': 'true' },
    h('p', { class: 'scan-idle' }, 'Scan a ticket: the result appears here.'),
  );
  const history = h('ol', { class: 'scan-history', 'aria-label': 'Recent scans' });

  const form = h(
    'form',
    { class: 'scanner-form', novalidate: true, 'aria-label': 'Redeem a ticket' },
    h(
      'div',
      { class: 'scanner-settings' },
      h('div', { class: 'field' }, h('label', { for: 'function-code' }, 'Function'), fnSel, fnMsg),
      h('div', { class: 'field' }, h('label', { for: 'venue-code' }, 'Venue code ', h('span', { class: 'muted' }, '(optional)')), venueIn),
    ),
    camera ? h('div', { class: 'camera-box' }, cameraBtn, video, stopBtn) : null,
    camMsg,
    h('div', { class: 'field' }, h('label', { for: 'qr-token' }, 'QR token'), tokenIn, tokenMsg),
    overrideIn ? h('label', { class: 'check override', for: 'override-visit-date' }, overrideIn, ' Let in outside its visit date (staff, audited)') : null,
    redeemBtn,
  );

  root.append(
    pageHeader('Scanner'),
    h(
      'div',
      { class: 'scanner' },
      h('section', { class: 'card scanner-card', 'aria-label': 'Scan' }, form),
      h('div', { class: 'scanner-side' }, result, h('section', { class: 'card history-card', 'aria-labelledby': 'history-title' }, h('h2', { id: 'history-title' }, 'Recent scans'), history)),
    ),
  );

  // ---- function codes from the catalog
  async function loadFunctions() {
    fnMsg.replaceChildren();
    try {
      const cat = await getCatalog();
      if (signal.aborted) return;
      fnNames.clear();
      for (const p of cat.products || []) {
        for (const e of p.entitlements || []) {
          if (!fnNames.has(e.function_code)) fnNames.set(e.function_code, e.name || e.function_code);
        }
      }
      const saved = store.get(FN_KEY);
      fnSel.replaceChildren(
        h('option', { value: '' }, 'Choose a function…'),
        ...[...fnNames].map(([code, name]) => h('option', { value: code, selected: code === saved }, name && name !== code ? `${name} (${code})` : code)),
      );
      if (!fnNames.has(saved) && fnNames.size === 1) fnSel.value = [...fnNames.keys()][0];
      fnSel.disabled = false;
    } catch (e) {
      if (isAbort(e, signal)) return;
      fnSel.replaceChildren(h('option', { value: '' }, 'Not loaded'));
      fnMsg.replaceChildren(errorBox(e, loadFunctions));
    }
  }
  fnSel.addEventListener('change', () => {
    store.set(FN_KEY, fnSel.value);
    fnMsg.textContent = '';
  });
  venueIn.addEventListener('change', () => store.set(VENUE_KEY, venueIn.value.trim()));

  /** The chosen function, or null (with the message shown) when none is chosen. */
  function chosenFunction() {
    if (fnSel.value) return fnSel.value;
    fnMsg.textContent = 'Choose the function to redeem first.';
    fnSel.focus();
    return null;
  }

  // ---- answers
  function setResult(kind, ...children) {
    result.className = `scan-result ${kind}`;
    result.replaceChildren(...children.filter((c) => c !== null && c !== undefined && c !== false));
    // On a phone the verdict sits below the form: bring it into view.
    if (kind !== 'pending' && result.getBoundingClientRect().top > window.innerHeight * 0.6) result.scrollIntoView({ block: 'start' });
  }

  function addHistory(ok, fnCode, text) {
    history.prepend(
      h(
        'li',
        { class: ok ? 'ok' : 'bad' },
        h('span', { class: 'h-time' }, fmtClock(new Date())),
        h('span', { class: 'h-verdict' }, ok ? 'Accepted' : 'Refused'),
        h('span', { class: 'h-fn' }, fnNames.get(fnCode) || fnCode),
        h('span', { class: 'h-text' }, text),
      ),
    );
    while (history.children.length > 10) history.lastElementChild.remove();
  }

  function showAccepted(r) {
    const card = r.ticket;
    setResult(
      'accepted',
      h('p', { class: 'verdict' }, h('span', { 'aria-hidden': 'true' }, '✓ '), 'ACCEPTED'),
      h('p', { class: 'what' }, fnNames.get(r.function_code) || r.function_code, card ? ' · ' : '', card ? customerTypeBadge(card.customer_type) : null),
      r.visit_date_overridden ? h('p', { class: 'note', 'data-testid': 'overridden' }, `Let in outside its visit date (${card?.visit_date || '—'}) by staff override.`) : null,
      h(
        'dl',
        { class: 'scan-facts' },
        h('div', null, h('dt', null, 'Remaining uses'), h('dd', { 'data-field': 'remaining_uses' }, String(r.remaining_uses))),
        h('div', null, h('dt', null, 'Ticket status'), h('dd', { 'data-field': 'ticket_status' }, r.ticket_status)),
      ),
      r.ticket_status === 'USED' ? h('p', { class: 'note' }, 'All entitlements are now used: the ticket is complete.') : null,
      ticketCard(card, { scanned: r.function_code }),
      h('p', { class: 'meta' }, card ? null : h('span', { class: 'mono' }, `${r.ticket_code} · `), fmtClock(r.redeemed_at ? new Date(r.redeemed_at) : new Date())),
    );
    result.dataset.remainingUses = String(r.remaining_uses);
    result.dataset.ticketStatus = r.ticket_status;
    result.dataset.customerType = card?.customer_type || '';
    delete result.dataset.code;
    addHistory(true, r.function_code, `${r.remaining_uses} left${card?.customer_type ? ` · ${card.customer_type}` : ''}`);
    buzz(true);
  }

  /** The problem's words for the gate: a 422's detail without the field name it starts with. */
  function refusalText(e) {
    const prefix = e.field ? `${e.field}: ` : '';
    if (!prefix || !e.message.startsWith(prefix)) return e.message;
    const rest = e.message.slice(prefix.length);
    return rest.charAt(0).toUpperCase() + rest.slice(1);
  }

  function showRefused(e, fn) {
    const card = e.problem && e.problem.ticket;
    const hint = e.code === 'WRONG_VISIT_DATE' && staff ? 'Tick “Let in outside its visit date” and scan again to let the guest in (audited).' : HINTS[e.code];
    setResult(
      'refused',
      h('p', { class: 'verdict' }, h('span', { 'aria-hidden': 'true' }, '✕ '), 'REFUSED'),
      h('p', { class: 'detail', 'data-testid': 'refusal' }, refusalText(e)),
      hint ? h('p', { class: 'note' }, hint) : null,
      ticketCard(card, { scanned: fn }),
      e.code ? h('p', { class: 'meta' }, h('span', { class: 'mono code', 'data-testid': 'refusal-code' }, e.code), ` · ${fmtClock(new Date())}`) : null,
    );
    result.dataset.code = e.code || '';
    result.dataset.customerType = card?.customer_type || '';
    delete result.dataset.remainingUses;
    delete result.dataset.ticketStatus;
    addHistory(false, fn, refusalText(e));
    buzz(false);
  }

  function showNotChecked(e) {
    setResult(
      'error',
      h('p', { class: 'verdict' }, 'NOT CHECKED'),
      h('p', { class: 'detail' }, e.message),
      h('p', { class: 'note' }, 'Scan again to retry: the same scan is never counted twice.'),
    );
    buzz(false);
  }

  // ---- one scan at a time; an attempt that got no answer keeps its scan_id for the retry
  let inFlight = false;
  let unanswered = null; // { key, scanId }

  function scanIdFor(key) {
    if (!unanswered || unanswered.key !== key) unanswered = { key, scanId: newScanId() };
    return unanswered.scanId;
  }

  /** Runs one redemption call; returns 'answered', 'unanswered', or 'no-code' (a frame with no QR). */
  async function attempt(call, fn) {
    inFlight = true;
    redeemBtn.disabled = true;
    form.setAttribute('aria-busy', 'true');
    try {
      showAccepted(await call());
      return 'answered';
    } catch (e) {
      if (isAbort(e, signal) || e.status === 401) return 'unanswered';
      if (e.code === 'QR_NOT_FOUND' || (e.code === 'VALIDATION_FAILED' && e.field === 'image')) return 'no-code';
      if (e.code === 'NETWORK_ERROR' || e.status >= 500) {
        showNotChecked(e);
        return 'unanswered';
      }
      showRefused(e, fn);
      return 'answered';
    } finally {
      inFlight = false;
      redeemBtn.disabled = false;
      form.removeAttribute('aria-busy');
    }
  }

  function options(fn, scanId) {
    const venue = venueIn.value.trim();
    store.set(VENUE_KEY, venue);
    const o = { function_code: fn, scan_id: scanId };
    if (venue) o.venue_code = venue;
    if (overrideIn && overrideIn.checked) o.override_visit_date = true;
    return o;
  }

  function settle(outcome) {
    if (outcome !== 'answered') return;
    unanswered = null;
    if (overrideIn) overrideIn.checked = false; // an override is decided scan by scan
  }

  async function redeemToken({ fromCamera = false } = {}) {
    if (inFlight) return; // a double tap while the first request runs does nothing
    tokenMsg.textContent = '';
    fnMsg.textContent = '';
    const token = tokenIn.value.replace(/\s+/g, '');
    const fn = chosenFunction();
    if (!fn) return;
    if (!token) {
      tokenMsg.textContent = 'Scan, type or paste a QR token first.';
      tokenIn.focus();
      return;
    }
    const o = options(fn, scanIdFor(`${token}|${fn}|${venueIn.value.trim()}`));
    setResult('pending', h('p', { class: 'verdict' }, 'Checking…'));
    const outcome = await attempt(() => api('/venue/redeem', { method: 'POST', body: { qr_token: token, ...o }, signal }), fn);
    settle(outcome);
    if (outcome === 'answered') tokenIn.value = '';
    if (signal.aborted) return;
    if (fromCamera && cameraBtn) cameraBtn.focus();
    else tokenIn.focus();
  }

  /** A frame for the server to read (no BarcodeDetector): true keeps the camera looking. */
  async function redeemFrame(blob) {
    if (inFlight) return true;
    const fn = fnSel.value;
    const o = options(fn, scanIdFor(`camera|${fn}`));
    const outcome = await attempt(() => api(withQuery('/venue/scan-image', o), { method: 'POST', body: blob, signal }), fn);
    if (outcome === 'no-code') {
      camMsg.textContent = 'Looking for a QR code… hold it steady in the frame.';
      return true;
    }
    settle(outcome);
    stopCamera();
    return false;
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    redeemToken();
  });
  // Keyboard-wedge scanners type the token and press Enter: redeem on Enter, new line on Shift+Enter.
  tokenIn.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      redeemToken();
    }
  });
  tokenIn.addEventListener('input', () => {
    tokenMsg.textContent = '';
  });

  // ---- camera
  let cam = null;
  function stopCamera() {
    if (cam) cam.stop();
    cam = null;
    camMsg.textContent = '';
    if (video) video.hidden = true;
    if (cameraBtn) cameraBtn.hidden = false;
    if (stopBtn) stopBtn.hidden = true;
  }

  async function openCamera() {
    camMsg.textContent = '';
    if (!chosenFunction()) return;
    try {
      video.hidden = false;
      cam = await startCamera(video, {
        signal,
        forceServer: query.get('camera') === 'server',
        onToken: (text) => {
          stopCamera();
          tokenIn.value = text;
          redeemToken({ fromCamera: true });
        },
        onFrame: redeemFrame,
      });
      if (signal.aborted) return stopCamera();
      video.dataset.mode = cam.mode;
      camMsg.textContent = cam.mode === 'server' ? 'Point the camera at the QR code (read by the server).' : 'Point the camera at the QR code.';
      cameraBtn.hidden = true;
      stopBtn.hidden = false;
      stopBtn.focus();
    } catch (e) {
      stopCamera();
      camMsg.textContent = cameraError(e);
    }
  }

  if (camera) {
    cameraBtn.addEventListener('click', openCamera);
    stopBtn.addEventListener('click', () => {
      stopCamera();
      camMsg.textContent = '';
      cameraBtn.focus();
    });
  }
  signal.addEventListener('abort', stopCamera);

  tokenIn.focus();
  return loadFunctions();
}

function buzz(ok) {
  try {
    if (navigator.vibrate) navigator.vibrate(ok ? 80 : [150, 80, 150]);
  } catch {
    /* not supported */
  }
}
