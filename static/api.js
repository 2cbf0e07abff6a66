// The one place that talks to the server. Every request relies on the HttpOnly session cookie
// (credentials: 'same-origin'); the login token is never stored by the console.

export class ApiError extends Error {
  constructor(message, { status = 0, code = '', field = null, title = '', type = '', problem = {} } = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field;
    this.title = title;
    this.type = type;
    // The whole problem details, with any extension members (a refused scan's `ticket`).
    this.problem = problem;
  }
}

let unauthorizedHandler = null;

/** Called with the error whenever an authenticated request answers 401. */
export function onUnauthorized(fn) {
  unauthorizedHandler = fn;
}

/** Build `path?query`, leaving out empty values. */
export function withQuery(path, query) {
  if (!query) return path;
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
  }
  const s = qs.toString();
  return s ? `${path}${path.includes('?') ? '&' : '?'}${s}` : path;
}

/**
 * fetch + JSON. Resolves with the parsed body (null when empty).
 * Rejects with ApiError carrying the problem+json `detail`, `code`, `status` and `field`.
 * Options: method, body (serialised as JSON; a Blob is sent as it is, with its type), query, signal,
 *          auth=false to keep a 401 from sending the user back to the login form.
 */
export async function api(path, { method = 'GET', body, query, signal, auth = true } = {}) {
  const headers = { Accept: 'application/json, application/problem+json' };
  const init = { method, headers, credentials: 'same-origin', signal, cache: 'no-store' };
  if (body instanceof Blob) {
    headers['Content-Type'] = body.type || 'application/octet-stream';
    init.body = body;
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }

  let res;
  let text = '';
  try {
    res = await fetch(withQuery(path, query), init);
    text = await res.text();
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    throw new ApiError('Could not reach the server. Check the connection and try again.', {
      code: 'NETWORK_ERROR',
    });
  }

  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }

  if (!res.ok) {
    const p = data && typeof data === 'object' ? data : {};
    const message =
      (typeof p.detail === 'string' && p.detail) ||
      (typeof p.title === 'string' && p.title) ||
      `The server answered ${res.status}${res.statusText ? ` ${res.statusText}` : ''}.`;
    const err = new ApiError(message, {
      status: res.status,
      code: p.code || '',
      field: p.field || null,
      title: p.title || '',
      type: p.type || '',
      problem: p,
    });
    if (res.status === 401 && auth && unauthorizedHandler) unauthorizedHandler(err);
    throw err;
  }
  return data;
}

/**
 * True for errors caused by leaving a view: an aborted request, or any failure once `signal` (the
 * view's) has aborted, since there is nothing left to show it in.
 */
export function isAbort(e, signal) {
  return (Boolean(e) && e.name === 'AbortError') || Boolean(signal && signal.aborted);
}
