// One way to write numbers, money and time on every screen. Times are the venue's wall clock (its
// IANA zone, from GET /venue/today at sign-in) written `2026-12-02 09:12` everywhere — the same on
// the scanner, the passenger list, the audit log and a ticket's history, whatever the browser's
// own zone. Pure strings, no DOM (ui.js builds the elements).

let zone; // undefined until the venue's zone is known: the browser's own zone meanwhile
const partFormatters = new Map();

/** Shows every time from now on in `tz` (an IANA name); an unknown name keeps the browser's. */
export function setTimeZone(tz) {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    zone = tz;
  } catch {
    zone = undefined;
  }
  partFormatters.clear();
}

export function timeZone() {
  return zone || Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

function parts(d) {
  const key = zone || '';
  if (!partFormatters.has(key)) {
    partFormatters.set(
      key,
      new Intl.DateTimeFormat('en-GB', {
        timeZone: zone,
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
        hourCycle: 'h23',
      }),
    );
  }
  const out = {};
  for (const p of partFormatters.get(key).formatToParts(d)) out[p.type] = p.value;
  return out;
}

function toDate(v) {
  const d = v instanceof Date ? v : new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** `2026-12-02 09:12`, the venue's wall clock. */
export function fmtDateTime(iso) {
  if (!iso) return '—';
  const d = toDate(iso);
  if (!d) return String(iso);
  const p = parts(d);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

/** `2026-12-02`, the venue's date at that instant. */
export function fmtDate(iso) {
  const d = iso ? toDate(iso) : null;
  if (!d) return iso ? String(iso) : '—';
  const p = parts(d);
  return `${p.year}-${p.month}-${p.day}`;
}

/** `09:12:05`, the venue's clock (default: now). */
export function fmtClock(v = new Date()) {
  const d = toDate(v);
  if (!d) return '—';
  const p = parts(d);
  return `${p.hour}:${p.minute}:${p.second}`;
}

/** `09:12` when `iso` is today at the venue, else `2026-12-01 09:12`. */
export function fmtWhen(iso) {
  const full = fmtDateTime(iso);
  return full.slice(0, 10) === venueToday() ? full.slice(11) : full;
}

/** The venue's date today, `YYYY-MM-DD`. */
export function venueToday() {
  return fmtDate(new Date());
}

/** A `<input type=datetime-local>` value read as the venue's wall clock → RFC 3339 UTC. */
export function wallClockToRfc3339(v) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?/.exec(v || '');
  if (!m) return '';
  const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] || 0));
  // The zone's offset at that moment, found by reading the guess back (twice: across a DST change
  // the first guess may sit on the other side of it).
  let t = wall;
  for (let i = 0; i < 2; i += 1) {
    const p = parts(new Date(t));
    const seen = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second);
    t = wall - (seen - t);
  }
  return new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

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

/** Bytes as `1.4 MB`. */
export function fmtBytes(n) {
  const v = Number(n) || 0;
  if (v < 1024) return `${v} B`;
  if (v < 1024 * 1024) return `${(v / 1024).toFixed(0)} KB`;
  return `${(v / (1024 * 1024)).toFixed(1)} MB`;
}

const pad2 = (n) => String(n).padStart(2, '0');

/** 'YYYY-MM-DD' → local Date at midnight (no UTC shift). */
export function parseDay(ymdText) {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(ymdText || '');
  return m ? new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : null;
}

/** Local Date → 'YYYY-MM-DD'. */
export function ymd(d) {
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;
}

export function shortId(id) {
  const s = String(id ?? '');
  return s.length > 12 ? `${s.slice(0, 8)}…` : s;
}

export function posInt(v, fallback) {
  const n = Number.parseInt(v, 10);
  return Number.isFinite(n) && n >= 1 ? n : fallback;
}
