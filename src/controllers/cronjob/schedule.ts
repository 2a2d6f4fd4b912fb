import { cronScheduleError } from '../../api/validation/cron.ts';
import { ZERO_TIME, Zone, type Fields } from './zone.ts';

// Cron schedules as CronJobs read them: robfig/cron/v3's ParseStandard (five fields —
// minute, hour, day of month, month, day of week — with ranges, steps, lists, month and
// day names, `*` and `?`; or a descriptor: @yearly, @monthly, @weekly, @daily, @hourly,
// @every <duration>) with an optional `TZ=` / `CRON_TZ=` prefix, and its Next.
//
// Day of month and day of week combine as in cron: when both are restricted (neither
// starts with `*` or `?`, a step > 1 counting as a restriction) a day matching either
// one matches; otherwise both must match.

export interface Schedule {
  /** The first activation strictly after `ms` (whole seconds); ZERO_TIME if none in 5 years. */
  next(ms: number): number;
}

interface Field {
  bits: boolean[];
  /** The field was `*` or `?` (robfig's starBit). */
  star: boolean;
}

interface Bounds {
  min: number;
  max: number;
  names?: Record<string, number>;
}

const MONTH_NAMES = [
  'jan',
  'feb',
  'mar',
  'apr',
  'may',
  'jun',
  'jul',
  'aug',
  'sep',
  'oct',
  'nov',
  'dec',
];
const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const MINUTE: Bounds = { min: 0, max: 59 };
const HOUR: Bounds = { min: 0, max: 23 };
const DOM: Bounds = { min: 1, max: 31 };
const MONTH: Bounds = {
  min: 1,
  max: 12,
  names: Object.fromEntries(MONTH_NAMES.map((m, i) => [m, i + 1])),
};
const DOW: Bounds = { min: 0, max: 6, names: Object.fromEntries(DAY_NAMES.map((d, i) => [d, i])) };

function bits(start: number, end: number, step: number, star: boolean): Field {
  const out: boolean[] = [];
  for (let i = start; i <= end; i += step) out[i] = true;
  return { bits: out, star };
}
const only = (v: number): Field => bits(v, v, 1, false);
const all = (b: Bounds): Field => bits(b.min, b.max, 1, true);

function value(expr: string, b: Bounds): number {
  return b.names?.[expr.toLowerCase()] ?? Number(expr);
}

/** One comma-separated part of a field; the spec was validated before. */
function range(expr: string, b: Bounds): Field {
  const [rangePart, stepPart] = expr.split('/');
  const lowHigh = rangePart!.split('-');
  let start: number;
  let end: number;
  let star = false;
  if (lowHigh[0] === '*' || lowHigh[0] === '?') {
    start = b.min;
    end = b.max;
    star = true;
  } else {
    start = value(lowHigh[0]!, b);
    end = lowHigh.length === 2 ? value(lowHigh[1]!, b) : start;
  }
  let step = 1;
  if (stepPart !== undefined) {
    step = Number(stepPart);
    if (lowHigh.length === 1) end = b.max;
    if (step > 1) star = false;
  }
  return bits(start, end, step, star);
}

function field(text: string, b: Bounds): Field {
  const out: Field = { bits: [], star: false };
  for (const part of text.split(',')) {
    const r = range(part, b);
    r.bits.forEach((v, i) => v && (out.bits[i] = true));
    out.star ||= r.star;
  }
  return out;
}

const DESCRIPTORS: Record<string, () => Field[]> = {
  '@yearly': () => [only(0), only(0), only(1), only(1), all(DOW)],
  '@monthly': () => [only(0), only(0), only(1), all(MONTH), all(DOW)],
  '@weekly': () => [only(0), only(0), all(DOM), all(MONTH), only(0)],
  '@daily': () => [only(0), only(0), all(DOM), all(MONTH), all(DOW)],
  '@hourly': () => [only(0), all(HOUR), all(DOM), all(MONTH), all(DOW)],
};
DESCRIPTORS['@annually'] = DESCRIPTORS['@yearly']!;
DESCRIPTORS['@midnight'] = DESCRIPTORS['@daily']!;

/**
 * Parses `spec` as robfig's ParseStandard does; throws its error text. Schedules without
 * a TZ prefix run in `localZone` (kube-controller-manager's time.Local).
 */
export function parseSchedule(spec: string, localZone = 'UTC'): Schedule {
  const error = cronScheduleError(spec);
  if (error) throw new Error(error);
  let rest = spec;
  let zone = new Zone(localZone === 'Local' ? systemZone() : localZone);
  if (rest.startsWith('TZ=') || rest.startsWith('CRON_TZ=')) {
    const space = rest.indexOf(' ');
    const name = rest.slice(rest.indexOf('=') + 1, space);
    zone = new Zone(name === 'Local' ? systemZone() : name);
    rest = rest.slice(space).trim();
  }
  if (rest.startsWith('@every ')) return everySchedule(parseDuration(rest.slice(7)));
  const descriptor = DESCRIPTORS[rest];
  const fields = descriptor
    ? descriptor()
    : rest
        .split(/\s+/)
        .filter((f) => f !== '')
        .map((f, i) => field(f, [MINUTE, HOUR, DOM, MONTH, DOW][i]!));
  const [minute, hour, dom, month, dow] = fields as [Field, Field, Field, Field, Field];
  return new SpecSchedule(minute, hour, dom, month, dow, zone);
}

export function systemZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** ConstantDelaySchedule: every `ms`, rounded down to whole seconds, at least 1 s. */
function everySchedule(ms: number): Schedule {
  const delay = Math.max(1000, ms - (ms % 1000));
  return { next: (t) => Math.floor(t / 1000) * 1000 + delay };
}

const UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Go's time.ParseDuration, in ms. */
function parseDuration(text: string): number {
  let total = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) {
    total += Number(m[1]) * UNITS[m[2]!]!;
  }
  return text.startsWith('-') ? -total : total;
}

class SpecSchedule implements Schedule {
  constructor(
    readonly minute: Field,
    readonly hour: Field,
    readonly dom: Field,
    readonly month: Field,
    readonly dow: Field,
    readonly zone: Zone,
  ) {}

  #dayMatches(f: Fields): boolean {
    const domMatch = !!this.dom.bits[f.day];
    const dowMatch = !!this.dow.bits[f.weekday];
    if (this.dom.star || this.dow.star) return domMatch && dowMatch;
    return domMatch || dowMatch;
  }

  /** SpecSchedule.Next, step by step: month, day, hour, minute, second (always 0). */
  next(from: number): number {
    const z = this.zone;
    let t = Math.floor(from / 1000) * 1000 + 1000;
    let added = false;
    const yearLimit = z.fields(t).year + 5;
    wrap: for (;;) {
      let f = z.fields(t);
      if (f.year > yearLimit) return ZERO_TIME;
      while (!this.month.bits[f.month]) {
        if (!added) {
          added = true;
          t = z.date(f.year, f.month, 1);
          f = z.fields(t);
        }
        t = z.date(f.year, f.month + 1, f.day, f.hour, f.minute, f.second);
        f = z.fields(t);
        if (f.month === 1) continue wrap;
      }
      while (!this.#dayMatches(f)) {
        if (!added) {
          added = true;
          t = z.date(f.year, f.month, f.day);
          f = z.fields(t);
        }
        t = z.date(f.year, f.month, f.day + 1, f.hour, f.minute, f.second);
        f = z.fields(t);
        // A DST change can move midnight: get back to it.
        if (f.hour !== 0) {
          t += (f.hour > 12 ? 24 - f.hour : -f.hour) * 3_600_000;
          f = z.fields(t);
        }
        if (f.day === 1) continue wrap;
      }
      while (!this.hour.bits[f.hour]) {
        if (!added) {
          added = true;
          t = z.date(f.year, f.month, f.day, f.hour);
        }
        t += 3_600_000;
        f = z.fields(t);
        if (f.hour === 0) continue wrap;
      }
      while (!this.minute.bits[f.minute]) {
        if (!added) {
          added = true;
          t = Math.floor(t / 60_000) * 60_000;
        }
        t += 60_000;
        f = z.fields(t);
        if (f.minute === 0) continue wrap;
      }
      while (f.second !== 0) {
        if (!added) {
          added = true;
          t = Math.floor(t / 1000) * 1000;
        }
        t += 1000;
        f = z.fields(t);
        if (f.second === 0) continue wrap;
      }
      return t;
    }
  }
}
