// Wall-clock arithmetic in an IANA time zone, enough to run robfig/cron's Next the way Go
// does with a *time.Location: fields of an instant, and Go's time.Date (which normalizes
// overflowing fields and resolves a wall time falling in a DST gap or overlap).

export interface Fields {
  year: number;
  /** 1–12 */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 0 = Sunday */
  weekday: number;
}

/** Go's zero time.Time (0001-01-01T00:00:00Z): what Next answers when nothing matches. */
export const ZERO_TIME = -62135596800000;

/** Milliseconds of a UTC wall time; overflowing fields carry over, years < 100 stay literal. */
export function utcMs(y: number, mo: number, d: number, h = 0, mi = 0, s = 0): number {
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, 0);
  return date.getTime();
}

function utcFields(ms: number): Fields {
  const d = new Date(ms);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    weekday: d.getUTCDay(),
  };
}

export class Zone {
  readonly name: string;
  readonly #format?: Intl.DateTimeFormat;

  /** `name` is an IANA zone or UTC; throws `unknown time zone <name>` otherwise. */
  constructor(name: string) {
    this.name = name;
    if (name === 'UTC' || name === '') return;
    try {
      this.#format = new Intl.DateTimeFormat('en-US', {
        timeZone: name,
        hourCycle: 'h23',
        era: 'short',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      throw new Error(`unknown time zone ${name}`);
    }
  }

  /** The zone's offset from UTC at instant `ms`, in ms. */
  offset(ms: number): number {
    if (!this.#format) return 0;
    const seconds = Math.floor(ms / 1000) * 1000;
    const parts: Record<string, string> = {};
    for (const p of this.#format.formatToParts(seconds)) parts[p.type] = p.value;
    let year = Number(parts.year);
    if (parts.era === 'BC' || parts.era === 'B') year = 1 - year;
    const local = utcMs(
      year,
      Number(parts.month),
      Number(parts.day),
      Number(parts.hour),
      Number(parts.minute),
      Number(parts.second),
    );
    return local - seconds;
  }

  fields(ms: number): Fields {
    return utcFields(ms + this.offset(ms));
  }

  /** Go's time.Date in this zone. */
  date(y: number, mo: number, d: number, h = 0, mi = 0, s = 0): number {
    const local = utcMs(y, mo, d, h, mi, s);
    let offset = this.offset(local);
    const guess = local - offset;
    const actual = this.offset(guess);
    if (actual !== offset) offset = actual;
    return local - offset;
  }
}

/** `2006-01-02T15:04:05Z07:00` of instant `ms` in `zone`. */
export function formatRfc3339(ms: number, zone: Zone): string {
  const offset = zone.offset(ms);
  const f = utcFields(ms + offset);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const wall = `${p(f.year, 4)}-${p(f.month)}-${p(f.day)}T${p(f.hour)}:${p(f.minute)}:${p(f.second)}`;
  if (offset === 0) return `${wall}Z`;
  const abs = Math.abs(offset) / 60_000;
  return `${wall}${offset < 0 ? '-' : '+'}${p(Math.floor(abs / 60))}:${p(abs % 60)}`;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Go's time.RFC1123Z of a UTC instant: `Mon, 02 Jan 2006 15:04:05 +0000`. */
export function formatRfc1123z(ms: number): string {
  const f = utcFields(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${DAYS[f.weekday]}, ${p(f.day)} ${MONTHS[f.month - 1]} ${f.year} ${p(f.hour)}:${p(f.minute)}:${p(f.second)} +0000`;
}
