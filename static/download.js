// Downloads that show their progress. A batch ZIP is written while it streams (its QR images are
// rendered on the way), so its size is not known up front and there is no Content-Length; the
// console counts the bytes received instead, and a percentage when the server does send a length.
import { fmtBytes } from './format.js';
import { toast } from './ui.js';

/** Makes `link` (an `<a href download>`) fetch with progress shown in `status`; plain link where streams are missing. */
export function withProgress(link, status) {
  link.addEventListener('click', async (e) => {
    if (typeof ReadableStream === 'undefined' || link.dataset.busy) {
      if (link.dataset.busy) e.preventDefault();
      return;
    }
    e.preventDefault();
    link.dataset.busy = '1';
    link.setAttribute('aria-disabled', 'true');
    status.textContent = 'Starting…';
    try {
      const res = await fetch(link.href, { credentials: 'same-origin', cache: 'no-store' });
      if (!res.ok) {
        const problem = await res.json().catch(() => ({}));
        throw new Error(problem.detail || `The server answered ${res.status}.`);
      }
      const total = Number(res.headers.get('Content-Length')) || 0;
      const reader = res.body.getReader();
      const chunks = [];
      let received = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        received += value.length;
        status.textContent = total ? `${Math.floor((received / total) * 100)}% of ${fmtBytes(total)}` : `${fmtBytes(received)} received…`;
      }
      const url = URL.createObjectURL(new Blob(chunks, { type: res.headers.get('Content-Type') || 'application/octet-stream' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = link.getAttribute('download') || '';
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      status.textContent = `Downloaded ${fmtBytes(received)}.`;
      status.dataset.done = 'true';
    } catch (err) {
      status.textContent = '';
      toast(`Download failed: ${err.message}`, 'error');
    } finally {
      delete link.dataset.busy;
      link.removeAttribute('aria-disabled');
    }
  });
  return link;
}
