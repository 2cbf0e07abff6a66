// The scanner's camera, on every phone. Where the browser has BarcodeDetector (Chrome on Android,
// Safari on macOS) it reads QR codes itself; elsewhere (iOS Safari, Firefox) it sends a downscaled
// frame about twice a second to the server, which reads the code and redeems it
// (POST /venue/scan-image). `?camera=server` in the page's hash forces the server path.

/** Longest side of a frame sent to the server: plenty for a QR code, ~40–80 KB as JPEG. */
const FRAME_SIDE = 800;
const DETECT_EVERY_MS = 150;
const UPLOAD_EVERY_MS = 500;

/** Whether this browser can read QR codes itself. */
async function nativeDetector() {
  if (!('BarcodeDetector' in window)) return null;
  try {
    if (typeof window.BarcodeDetector.getSupportedFormats === 'function') {
      const formats = await window.BarcodeDetector.getSupportedFormats();
      if (!formats.includes('qr_code')) return null;
    }
    return new window.BarcodeDetector({ formats: ['qr_code'] });
  } catch {
    return null;
  }
}

export const cameraAvailable = () => Boolean(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);

/**
 * Starts the camera into `video`. With a native detector, `onToken(text)` gets the first code read;
 * otherwise `onFrame(blob)` gets JPEG frames and answers true to keep looking (no code in it) or
 * false to stop. Returns {stop, mode} where mode is 'device' or 'server'.
 */
export async function startCamera(video, { onToken, onFrame, forceServer = false, signal }) {
  const detector = forceServer ? null : await nativeDetector();
  const stream = await navigator.mediaDevices.getUserMedia({
    video: { facingMode: { ideal: 'environment' }, width: { ideal: 1280 } },
    audio: false,
  });
  let running = true;
  let timer = null;
  const stop = () => {
    running = false;
    clearTimeout(timer);
    for (const t of stream.getTracks()) t.stop();
    video.srcObject = null;
  };
  signal?.addEventListener('abort', stop);
  video.srcObject = stream;
  await video.play();

  const canvas = document.createElement('canvas');
  async function grab() {
    const w = video.videoWidth;
    const hgt = video.videoHeight;
    if (!w || !hgt) return null;
    const scale = Math.min(1, FRAME_SIDE / Math.max(w, hgt));
    canvas.width = Math.round(w * scale);
    canvas.height = Math.round(hgt * scale);
    canvas.getContext('2d').drawImage(video, 0, 0, canvas.width, canvas.height);
    return new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.8));
  }

  async function loop() {
    if (!running) return;
    let again = true;
    try {
      if (detector) {
        const codes = video.readyState >= 2 ? await detector.detect(video) : [];
        const hit = codes.find((c) => c.rawValue);
        if (hit && running) {
          stop();
          onToken(hit.rawValue);
          return;
        }
      } else {
        const blob = video.readyState >= 2 ? await grab() : null;
        if (blob && running) again = await onFrame(blob);
      }
    } catch {
      /* a frame that cannot be read: try the next one */
    }
    if (!again) {
      stop();
      return;
    }
    if (running) timer = setTimeout(loop, detector ? DETECT_EVERY_MS : UPLOAD_EVERY_MS);
  }
  loop();
  return { stop, mode: detector ? 'device' : 'server' };
}

/** A camera error in words. */
export function cameraError(e) {
  if (e && e.name === 'NotAllowedError') return 'Camera access was refused. Allow the camera in the browser settings, or type the token.';
  if (e && e.name === 'NotFoundError') return 'No camera found on this device.';
  if (e && e.name === 'NotReadableError') return 'The camera is in use by another app.';
  return (e && e.message) || 'The camera could not be started.';
}
