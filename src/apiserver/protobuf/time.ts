// JSON forms of metav1.Time (RFC 3339, whole seconds), metav1.MicroTime (RFC 3339 with
// microseconds) and metav1.Duration (Go's time.Duration.String()), and their inverses.

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;

/** Formats Unix seconds (and nanos, for MicroTime) in UTC; undefined outside years 0–9999. */
export function formatTime(seconds: number, nanos: number, micro: boolean): string | undefined {
  const ms = seconds * 1000;
  if (!Number.isFinite(ms) || ms < -62_167_219_200_000 || ms > 253_402_300_799_000) {
    return undefined;
  }
  const iso = new Date(ms).toISOString().slice(0, 19);
  if (!micro) return `${iso}Z`;
  const micros = Math.floor(Math.min(Math.max(nanos, 0), 999_999_999) / 1000);
  return `${iso}.${String(micros).padStart(6, '0')}Z`;
}

/** Parses an RFC 3339 timestamp into Unix seconds and nanoseconds. */
export function parseTime(text: string): { seconds: number; nanos: number } | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac = '', sign, oh = '0', om = '0'] = m;
  const date = new Date(0);
  // setUTCFullYear, unlike Date.UTC, does not map years 0–99 to 1900–1999.
  date.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  date.setUTCHours(Number(h), Number(mi), Number(s), 0);
  const offset = (Number(oh) * 60 + Number(om)) * 60 * (sign === '-' ? -1 : 1);
  return { seconds: date.getTime() / 1000 - offset, nanos: Number(frac.padEnd(9, '0')) };
}

const UNITS: ReadonlyArray<readonly [string, bigint]> = [
  ['h', 3_600_000_000_000n],
  ['m', 60_000_000_000n],
  ['s', 1_000_000_000n],
];

/** Go's time.Duration.String(): "1h2m3.5s", "1.5ms", "0s". */
export function formatDuration(nanoseconds: number): string {
  let ns = BigInt(Math.trunc(nanoseconds));
  if (ns === 0n) return '0s';
  const sign = ns < 0n ? '-' : '';
  if (ns < 0n) ns = -ns;
  if (ns < 1_000_000_000n) {
    const [unit, size] =
      ns < 1000n ? ['ns', 1n] : ns < 1_000_000n ? ['µs', 1000n] : ['ms', 1_000_000n];
    return `${sign}${fraction(ns, size)}${unit}`;
  }
  let text = '';
  let rest = ns;
  for (const [unit, size] of UNITS) {
    if (unit === 's') {
      text += `${fraction(rest, size)}s`;
    } else if (rest >= size || text) {
      text += `${rest / size}${unit}`;
      rest %= size;
    }
  }
  return sign + text;
}

/** `value / size` with the remainder as decimals without trailing zeros. */
function fraction(value: bigint, size: bigint): string {
  const whole = value / size;
  const remainder = value % size;
  if (remainder === 0n) return String(whole);
  const digits = String(size).length - 1;
  return `${whole}.${String(remainder).padStart(digits, '0').replace(/0+$/, '')}`;
}

const DURATION_UNITS: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Go's time.ParseDuration, to nanoseconds; undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const m = /^([-+]?)(.*)$/s.exec(text)!;
  if (m[2] === '0') return 0;
  const part = /(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/gy;
  let total = 0;
  let end = 0;
  for (let p = part.exec(m[2]!); p; p = part.exec(m[2]!)) {
    total += Number(p[1]) * DURATION_UNITS[p[2]!]!;
    end = part.lastIndex;
  }
  if (end === 0 || end !== m[2]!.length) return undefined;
  return Math.round(m[1] === '-' ? -total : total);
}
