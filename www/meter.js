// Speed and time left, as the demo shows them: bytes per second over the last few seconds of
// progress (the SDK reports progress as parts complete, so one sample alone says nothing).

const WINDOW_MS = 3000;
// Less than this says more about which part happened to finish first than about the link.
const MIN_SPAN_MS = 1000;

export class Meter {
  #samples = [];

  // Records that `bytes` were done at `now` (ms); returns bytes per second, or null until the
  // samples span a second.
  add(now, bytes) {
    const samples = this.#samples;
    samples.push({ now, bytes });
    // Keep the newest sample older than the window, so that the span covers the whole window.
    while (samples.length > 2 && samples[1].now <= now - WINDOW_MS) samples.shift();
    const first = samples[0];
    const span = now - first.now;
    return span >= MIN_SPAN_MS ? ((bytes - first.bytes) * 1000) / span : null;
  }

  // Forgets the past: after a stop, a wait or a resume, the speed starts afresh.
  reset() {
    this.#samples = [];
  }
}

export function size(bytes) {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (bytes >= 1000 && i < units.length - 1) { bytes /= 1000; i += 1; }
  return `${bytes.toFixed(i ? 1 : 0)} ${units[i]}`;
}

export function speed(perSecond) {
  if (perSecond === null) return '';
  return perSecond < 1e6 ? `${Math.round(perSecond / 1e3)} KB/s` : `${(perSecond / 1e6).toFixed(1)} MB/s`;
}

// "12 s left", "3 min 05 s left"; nothing while the speed is unknown or nil.
export function timeLeft(remaining, perSecond) {
  if (!perSecond || perSecond <= 0 || remaining <= 0) return '';
  const s = Math.ceil(remaining / perSecond);
  if (s < 60) return `${s} s left`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s left`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor(s / 60) % 60).padStart(2, '0')} min left`;
}
