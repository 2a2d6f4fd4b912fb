// resource.Quantity: exact fixed-point numbers with the suffix grammar of
// apimachinery/pkg/api/resource/quantity.go.
//
//   <quantity> ::= <sign>? <digits> [ '.' <digits> ] <suffix>
//   <suffix>   ::= Ki | Mi | Gi | Ti | Pi | Ei        (BinarySI, powers of 1024)
//               |  n | u | m | "" | k | M | G | T | P | E   (DecimalSI)
//               |  (e|E) <sign>? <digits>            (DecimalExponent)
//
// Values are held as a whole number of nano-units: parsing rounds anything finer up (away
// from zero) to 1n, and BinarySI values are capped at 2^63-1, exactly as Kubernetes does.
// The canonical text is what the API server stores and returns: `1.5` → `1500m`,
// `1024Mi` → `1Gi`, `0.5Gi` → `512Mi`.

export type QuantityFormat = 'DecimalExponent' | 'BinarySI' | 'DecimalSI';

export interface Quantity {
  /** The value in units of 10^-9. */
  nanos: bigint;
  /** The suffix family it was written in; decides the canonical text. */
  format: QuantityFormat;
}

const SPLIT_RE = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$';
export const ERR_FORMAT_WRONG = `quantities must match the regular expression '${SPLIT_RE}'`;
export const ERR_NUMERIC = 'unable to parse numeric part of quantity';
export const ERR_SUFFIX = "unable to parse quantity's suffix";

export class QuantityError extends Error {}

const NANO = 1_000_000_000n;
const MAX_INT64 = (1n << 63n) - 1n;
const MAX_ALLOWED_NANOS = MAX_INT64 * NANO;
/** Exponents beyond this are refused rather than expanded into huge integers. */
const MAX_EXPONENT = 10_000;

const DEC_SUFFIXES: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const BIN_SUFFIXES: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };

const SUFFIX_CHARS = 'eEinumkKMGTP';

/** The scanner of parseQuantityString: sign, integer digits, fraction digits, suffix. */
function scan(str: string): { positive: boolean; num: string; denom: string; suffix: string } {
  let positive = true;
  let pos = 0;
  const end = str.length;
  if (pos < end && (str[0] === '-' || str[0] === '+')) {
    positive = str[0] !== '-';
    pos++;
  }
  while (pos < end && str[pos] === '0') pos++;
  if (pos >= end) return { positive, num: '0', denom: '', suffix: '' };
  let i = pos;
  while (i < end && str[i] >= '0' && str[i] <= '9') i++;
  const num = str.slice(pos, i) || '0';
  pos = i;
  let denom = '';
  if (pos < end && str[pos] === '.') {
    pos++;
    i = pos;
    while (i < end && str[i] >= '0' && str[i] <= '9') i++;
    denom = str.slice(pos, i);
    pos = i;
  }
  const suffixStart = pos;
  while (pos < end && SUFFIX_CHARS.includes(str[pos])) pos++;
  if (pos < end && (str[pos] === '-' || str[pos] === '+')) pos++;
  while (pos < end && str[pos] >= '0' && str[pos] <= '9') pos++;
  if (pos < end) throw new QuantityError(ERR_FORMAT_WRONG);
  return { positive, num, denom, suffix: str.slice(suffixStart) };
}

function interpret(suffix: string): { base: 2 | 10; exponent: number; format: QuantityFormat } {
  if (suffix in DEC_SUFFIXES) {
    return { base: 10, exponent: DEC_SUFFIXES[suffix], format: 'DecimalSI' };
  }
  if (suffix in BIN_SUFFIXES)
    return { base: 2, exponent: BIN_SUFFIXES[suffix], format: 'BinarySI' };
  if (suffix.length > 1 && (suffix[0] === 'e' || suffix[0] === 'E')) {
    const rest = suffix.slice(1);
    if (/^[+-]?\d+$/.test(rest)) {
      const exponent = Number(rest);
      if (Math.abs(exponent) <= 2147483647) {
        return { base: 10, exponent, format: 'DecimalExponent' };
      }
    }
  }
  throw new QuantityError(ERR_SUFFIX);
}

function pow10(n: number): bigint {
  return 10n ** BigInt(n);
}

/** Divides rounding away from zero (inf.RoundUp). */
function divAway(a: bigint, b: bigint): bigint {
  const q = a / b;
  return q * b === a ? q : a < 0n ? q - 1n : q + 1n;
}

// Every pod is defaulted, validated and scheduled with the same few strings ('100m',
// '128Mi'), and parsing is BigInt arithmetic: parsed quantities are remembered by their
// text, up to a bound, and shared (frozen).
const MEMO_LIMIT = 4096;
const memo = new Map<string, Quantity>();

/** ParseQuantity; throws QuantityError with apimachinery's message. */
export function parseQuantity(str: string): Quantity {
  let q = memo.get(str);
  if (q === undefined) {
    q = Object.freeze(parse(str));
    if (memo.size >= MEMO_LIMIT) memo.clear();
    memo.set(str, q);
  }
  return q;
}

function parse(str: string): Quantity {
  if (str.length === 0) throw new QuantityError(ERR_FORMAT_WRONG);
  if (str === '0') return { nanos: 0n, format: 'DecimalSI' };
  const { positive, num, denom, suffix } = scan(str);
  const { base, exponent, format: parsedFormat } = interpret(suffix);
  let format = parsedFormat;
  let mantissa = BigInt(num + denom);
  let exp10 = -denom.length;
  if (base === 10) {
    exp10 += exponent;
  } else {
    mantissa *= 1n << BigInt(exponent);
  }
  if (mantissa !== 0n && Math.abs(exp10) > MAX_EXPONENT) throw new QuantityError(ERR_NUMERIC);
  let nanos = exp10 >= -9 ? mantissa * pow10(exp10 + 9) : divAway(mantissa, pow10(-9 - exp10));
  if (format === 'BinarySI' && nanos > MAX_ALLOWED_NANOS) nanos = MAX_ALLOWED_NANOS;
  if (format === 'BinarySI' && nanos > 0n && nanos < NANO) format = 'DecimalSI';
  if (!positive) nanos = -nanos;
  return { nanos, format };
}

/** Accepts a Quantity as it appears in JSON: a string, or a bare number. */
export function tryParseQuantity(v: unknown): Quantity | undefined {
  try {
    if (typeof v === 'string') return parseQuantity(v);
    if (typeof v === 'number' && Number.isFinite(v)) return parseQuantity(String(v));
  } catch {
    return undefined;
  }
  return undefined;
}

/** The parse error for a JSON quantity value, or '' when it parses. */
export function quantityError(v: unknown): string {
  if (typeof v !== 'string' && typeof v !== 'number') return ERR_FORMAT_WRONG;
  try {
    parseQuantity(String(v));
    return '';
  } catch (e) {
    return (e as Error).message;
  }
}

const DEC_SUFFIX_OF: Record<number, string> = Object.fromEntries(
  Object.entries(DEC_SUFFIXES).map(([s, e]) => [e, s]),
);
const BIN_SUFFIX_OF: Record<number, string> = Object.fromEntries(
  Object.entries(BIN_SUFFIXES).map(([s, e]) => [e, s]),
);

/** Mantissa and base-10 exponent, the exponent a multiple of 3 and as large as possible. */
function canonicalDecimal(nanos: bigint): { digits: string; exponent: number } {
  let m = nanos;
  let e = -9;
  while ((m >= 10n || m <= -10n) && m % 10n === 0n) {
    m /= 10n;
    e++;
  }
  while (((e % 3) + 3) % 3 !== 0) {
    m *= 10n;
    e--;
  }
  return { digits: m.toString(), exponent: e };
}

function decimalText(nanos: bigint, format: QuantityFormat): string {
  const { digits, exponent } = canonicalDecimal(nanos);
  if (format === 'DecimalSI' && exponent in DEC_SUFFIX_OF) return digits + DEC_SUFFIX_OF[exponent];
  return exponent === 0 ? digits : `${digits}e${exponent}`;
}

/** Quantity.String(): the canonical text Kubernetes stores and returns. */
export function formatQuantity(q: Quantity): string {
  if (q.nanos === 0n) return '0';
  if (q.format !== 'BinarySI') return decimalText(q.nanos, q.format);
  const limit = 1024n * NANO;
  if ((q.nanos > -limit && q.nanos < limit) || q.nanos % NANO !== 0n) {
    return decimalText(q.nanos, 'DecimalSI');
  }
  let v = q.nanos / NANO;
  let times = 0;
  while ((v >= 1024n || v <= -1024n) && v % 1024n === 0n) {
    v /= 1024n;
    times++;
  }
  if (times === 0) return v.toString();
  const suffix = BIN_SUFFIX_OF[times * 10];
  if (suffix !== undefined) return v.toString() + suffix;
  return decimalText(q.nanos, 'DecimalExponent');
}

/** Canonical text of a JSON quantity, or the input unchanged when it does not parse. */
export function canonicalQuantity(v: unknown): unknown {
  const q = tryParseQuantity(v);
  return q ? formatQuantity(q) : v;
}

export function compareQuantities(a: Quantity, b: Quantity): -1 | 0 | 1 {
  return a.nanos < b.nanos ? -1 : a.nanos > b.nanos ? 1 : 0;
}

/** Quantity.RoundUp(scale): round away from zero to a multiple of 10^scale. */
export function roundUpQuantity(q: Quantity, scale: number): Quantity {
  if (scale + 9 <= 0) return q;
  return { nanos: divAway(q.nanos, pow10(scale + 9)) * pow10(scale + 9), format: q.format };
}

/** Quantity.MilliValue(): rounded away from zero. */
export function milliValue(q: Quantity): bigint {
  return divAway(q.nanos, 1_000_000n);
}

/** Quantity.Value(): rounded away from zero. */
export function quantityValue(q: Quantity): bigint {
  return divAway(q.nanos, NANO);
}
