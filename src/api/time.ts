// metav1.Time on the wire: RFC 3339 in whole seconds, UTC ("2026-11-22T17:22:30Z").
// Components stamp many objects a second (every write, event and condition), nearly all
// within the same second as the one before, so the last text is kept.

let lastSecond = NaN;
let lastText = '';

/** The metav1.Time text of `time` (a Date or milliseconds since the epoch). */
export function rfc3339(time: Date | number = Date.now()): string {
  const ms = typeof time === 'number' ? time : time.getTime();
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    lastSecond = second;
    lastText = new Date(second * 1000).toISOString().replace('.000Z', 'Z');
  }
  return lastText;
}
