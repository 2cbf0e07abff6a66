// Venue scanner: phone-first. Type / paste / wedge-scan a QR token, or use the camera where the
// browser has BarcodeDetector; POST /venue/redeem with a fresh scan_id per scan attempt.
import { api, isAbort } from './api.js';
import { errorBox, fmtClock, getCatalog, h, pageHeader, store } from './ui.js';

const HINTS = {
  QR_INVALID: 'Not a valid Gangway ticket code. Check that the guest shows the right QR code.',
  QR_EXPIRED: 'This live QR code has expired. Ask the guest to refresh the QR code in their app.',
  NO_REMAINING_USES: 'This entitlement is already used up on this ticket.',
  TICKET_NOT_ACTIVE: 'The ticket is not active: not sold yet, cancelled, or fully used.',
  VALIDATION_FAILED: 'The ticket’s package does not include this function, or a field is invalid.',
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

export function renderScanner(root, { signal }) {
  const fnNames = new Map();

  const fnSel = h('select', { id: 'function-code', name: 'function_code', disabled: true, 'aria-describedby': 'function-code-msg' }, h('option', { value: '' }, 'Loading…'));
  const fnMsg = h('p', { id: 'function-code-msg', class: 'field-msg', role: 'alert' });
  const venueIn = h('input', { id: 'venue-code', name: 'venue_code', type: 'text', autocomplete: 'off', spellcheck: 'false', value: store.get(VENUE_KEY) || '' });
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

  const canCamera = 'BarcodeDetector' in window && Boolean(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
  const cameraBtn = canCamera ? h('button', { type: 'button', class: 'btn btn-block', 'data-testid': 'scan-camera' }, h('span', { 'aria-hidden': 'true' }, '📷 '), 'Scan with camera') : null;
  const stopBtn = canCamera ? h('button', { type: 'button', class: 'btn btn-block', hidden: true }, 'Stop camera') : null;
  const video = canCamera ? h('video', { class: 'camera', playsinline: true, muted: true, hidden: true, 'aria-label': 'Camera preview' }) : null;
  if (video) video.muted = true;
  const camMsg = h('p', { class: 'field-msg', role: 'alert' });

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
    h('div', { class: 'field' }, h('label', { for: 'qr-token' }, 'QR token'), tokenIn, tokenMsg),
    canCamera ? h('div', { class: 'camera-box' }, cameraBtn, video, stopBtn) : null,
    camMsg,
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

  // ---- redeem
  let inFlight = false;
  let unanswered = null; // { token, fn, venue, scanId } of an attempt that got no answer: a retry reuses its scan_id

  function setResult(kind, ...children) {
    result.className = `scan-result ${kind}`;
    result.replaceChildren(...children.filter((c) => c !== null && c !== undefined && c !== false));
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

  async function redeem({ fromCamera = false } = {}) {
    if (inFlight) return; // a double tap while the first request runs does nothing
    tokenMsg.textContent = '';
    fnMsg.textContent = '';
    const token = tokenIn.value.replace(/\s+/g, '');
    const fn = fnSel.value;
    if (!fn) {
      fnMsg.textContent = 'Choose the function to redeem first.';
      fnSel.focus();
      return;
    }
    if (!token) {
      tokenMsg.textContent = 'Scan, type or paste a QR token first.';
      tokenIn.focus();
      return;
    }
    const venue = venueIn.value.trim();
    store.set(VENUE_KEY, venue);
    const same = unanswered && unanswered.token === token && unanswered.fn === fn && unanswered.venue === venue;
    const scanId = same ? unanswered.scanId : newScanId();
    unanswered = { token, fn, venue, scanId };

    inFlight = true;
    redeemBtn.disabled = true;
    form.setAttribute('aria-busy', 'true');
    setResult('pending', h('p', { class: 'verdict' }, 'Checking…'));

    const body = { qr_token: token, function_code: fn, scan_id: scanId };
    if (venue) body.venue_code = venue;
    let answered = false;
    try {
      const r = await api('/venue/redeem', { method: 'POST', body, signal });
      answered = true;
      if (signal.aborted) return;
      const fnLabel = fnNames.get(r.function_code) || r.function_code;
      setResult(
        'accepted',
        h('p', { class: 'verdict' }, h('span', { 'aria-hidden': 'true' }, '✓ '), 'ACCEPTED'),
        h('p', { class: 'what' }, fnLabel),
        h(
          'dl',
          { class: 'scan-facts' },
          h('div', null, h('dt', null, 'Remaining uses'), h('dd', { 'data-field': 'remaining_uses' }, String(r.remaining_uses))),
          h('div', null, h('dt', null, 'Ticket status'), h('dd', { 'data-field': 'ticket_status' }, r.ticket_status)),
        ),
        r.ticket_status === 'USED' ? h('p', { class: 'note' }, 'All entitlements are now used: the ticket is complete.') : null,
        h('p', { class: 'meta' }, h('span', { class: 'mono' }, r.ticket_code), ` · ${fmtClock(r.redeemed_at ? new Date(r.redeemed_at) : new Date())}`),
      );
      result.dataset.remainingUses = String(r.remaining_uses);
      result.dataset.ticketStatus = r.ticket_status;
      delete result.dataset.code;
      addHistory(true, r.function_code, `${r.remaining_uses} left`);
      buzz(true);
    } catch (e) {
      if (isAbort(e, signal)) return;
      if (e.status === 401) return; // the console is back at the login form
      const noAnswer = e.code === 'NETWORK_ERROR' || e.status >= 500;
      if (noAnswer) {
        setResult(
          'error',
          h('p', { class: 'verdict' }, 'NOT CHECKED'),
          h('p', { class: 'detail' }, e.message),
          h('p', { class: 'note' }, 'Tap Redeem again to retry: the same scan is never counted twice.'),
        );
        buzz(false);
      } else {
        answered = true;
        setResult(
          'refused',
          h('p', { class: 'verdict' }, h('span', { 'aria-hidden': 'true' }, '✕ '), 'REFUSED'),
          h('p', { class: 'detail' }, e.message),
          HINTS[e.code] ? h('p', { class: 'note' }, HINTS[e.code]) : null,
          e.code ? h('p', { class: 'meta' }, h('span', { class: 'mono' }, e.code), ` · ${fmtClock(new Date())}`) : null,
        );
        result.dataset.code = e.code || '';
        delete result.dataset.remainingUses;
        delete result.dataset.ticketStatus;
        addHistory(false, fn, e.code || e.message);
        buzz(false);
      }
    } finally {
      inFlight = false;
      redeemBtn.disabled = false;
      form.removeAttribute('aria-busy');
    }
    if (answered) {
      unanswered = null;
      tokenIn.value = '';
    }
    if (signal.aborted) return;
    if (fromCamera && cameraBtn && answered) cameraBtn.focus();
    else tokenIn.focus();
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    redeem();
  });
  // Keyboard-wedge scanners type the token and press Enter: redeem on Enter, new line on Shift+Enter.
  tokenIn.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      redeem();
    }
  });
  tokenIn.addEventListener('input', () => {
    tokenMsg.textContent = '';
  });

  // ---- camera
  let stream = null;
  let detector = null;
  let loopTimer = null;
  let scanning = false;

  function stopCamera() {
    scanning = false;
    clearTimeout(loopTimer);
    if (stream) for (const t of stream.getTracks()) t.stop();
    stream = null;
    if (video) {
      video.srcObject = null;
      video.hidden = true;
    }
    if (cameraBtn) cameraBtn.hidden = false;
    if (stopBtn) stopBtn.hidden = true;
  }

  async function startCamera() {
    camMsg.textContent = '';
    try {
      if (!detector) {
        if (typeof window.BarcodeDetector.getSupportedFormats === 'function') {
          const formats = await window.BarcodeDetector.getSupportedFormats();
          if (!formats.includes('qr_code')) throw new Error('This browser cannot read QR codes from the camera. Type or paste the token instead.');
        }
        detector = new window.BarcodeDetector({ formats: ['qr_code'] });
      }
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: { ideal: 'environment' } }, audio: false });
      if (signal.aborted) {
        stopCamera();
        return;
      }
      video.srcObject = stream;
      video.hidden = false;
      await video.play();
      cameraBtn.hidden = true;
      stopBtn.hidden = false;
      stopBtn.focus();
      scanning = true;
      detectLoop();
    } catch (e) {
      stopCamera();
      camMsg.textContent =
        e && e.name === 'NotAllowedError'
          ? 'Camera access was refused. Allow the camera in the browser settings, or type the token.'
          : e && e.name === 'NotFoundError'
            ? 'No camera found on this device.'
            : (e && e.message) || 'The camera could not be started.';
    }
  }

  async function detectLoop() {
    if (!scanning) return;
    try {
      if (video.readyState >= 2) {
        const codes = await detector.detect(video);
        const hit = codes.find((c) => c.rawValue);
        if (hit && scanning) {
          stopCamera();
          tokenIn.value = hit.rawValue;
          redeem({ fromCamera: true });
          return;
        }
      }
    } catch {
      /* a frame that cannot be decoded: try the next one */
    }
    if (scanning) loopTimer = setTimeout(detectLoop, 150);
  }

  if (canCamera) {
    cameraBtn.addEventListener('click', startCamera);
    stopBtn.addEventListener('click', () => {
      stopCamera();
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
