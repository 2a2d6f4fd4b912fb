// Human-readable durations and timestamps, as apimachinery's `duration.HumanDuration` and the
// printers' `translateTimestampSince` render them.

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/**
 * A succinct duration with ~2-3 significant figures: `45s`, `3m20s`, `25m`, `3h40m`,
 * `2d5h`, `3y120d`. Up to one second in the future counts as `0s`; further is `<invalid>`.
 */
export function humanDuration(ms: number): string {
  if (Number.isNaN(ms)) return '<invalid>';
  // Go converts with int(), which truncates toward zero.
  const seconds = Math.trunc(ms / SECOND);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(ms / MINUTE);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(ms / HOUR);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${days}d` : `${days}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.floor(days / 365);
  if (hours < 24 * 365 * 8) {
    const d = days % 365;
    return d === 0 ? `${years}y` : `${years}y${d}d`;
  }
  return `${years}y`;
}

// Go's zero time.Time (0001-01-01T00:00:00Z) is how an unset metav1.Time serializes.
const GO_ZERO_TIME_MS = Date.parse('0001-01-01T00:00:00Z');

/** Milliseconds since the epoch for an RFC 3339 timestamp; null when unset, zero or unparsable. */
export function parseTime(value: unknown): number | null {
  if (typeof value !== 'string' || value === '') return null;
  const ms = Date.parse(value);
  if (Number.isNaN(ms) || ms <= GO_ZERO_TIME_MS) return null;
  return ms;
}

/** Elapsed time since `timestamp` (`<unknown>` when it is unset). */
export function translateTimestampSince(timestamp: unknown, now: Date): string {
  const ms = parseTime(timestamp);
  if (ms === null) return '<unknown>';
  return humanDuration(now.getTime() - ms);
}

/** `time.Time.UTC().Format(time.RFC3339)`: second precision, `Z` suffix, Go's zero when unset. */
export function formatRFC3339(timestamp: unknown): string {
  const ms = parseTime(timestamp);
  if (ms === null) return '0001-01-01T00:00:00Z';
  return new Date(Math.floor(ms / SECOND) * SECOND).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
