// The canonical string of a resource.Quantity (apimachinery `Quantity.String()`), so that
// `1024Mi` prints as `1Gi`, `1500m` stays `1500m`, `2000m` becomes `2` and `1000` becomes
// `1k`, whatever spelling the stored object used.

type QuantityFormat = 'BinarySI' | 'DecimalSI' | 'DecimalExponent';

interface ParsedQuantity {
  /** value = mantissa × 10^exponent */
  mantissa: bigint;
  exponent: number;
  format: QuantityFormat;
}

const DECIMAL_SUFFIXES: Record<string, number> = {
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
const BINARY_SUFFIXES: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL_BY_EXPONENT = new Map(Object.entries(DECIMAL_SUFFIXES).map(([s, e]) => [e, s]));
const BINARY_BY_POWER = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
const MAX_EXPONENT = 1000;

export function parseQuantity(input: string): ParsedQuantity | null {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(.*)$/.exec(input.trim());
  if (!m) return null;
  const [, sign, whole = '', fraction = '', suffix = ''] = m;
  if (whole === '' && fraction === '') return null;
  let mantissa = BigInt(whole + fraction || '0');
  let exponent = -fraction.length;
  let format: QuantityFormat;
  if (suffix in BINARY_SUFFIXES) {
    mantissa *= 2n ** BigInt(BINARY_SUFFIXES[suffix]);
    format = 'BinarySI';
  } else if (suffix in DECIMAL_SUFFIXES) {
    exponent += DECIMAL_SUFFIXES[suffix];
    format = 'DecimalSI';
  } else if (/^[eE][+-]?\d+$/.test(suffix)) {
    const e = Number(suffix.slice(1));
    if (Math.abs(e) > MAX_EXPONENT) return null;
    exponent += e;
    format = 'DecimalExponent';
  } else {
    return null;
  }
  if (sign === '-') mantissa = -mantissa;
  // Precision finer than nano is rounded away from zero, as ParseQuantity does.
  if (exponent < -9) {
    const divisor = 10n ** BigInt(-9 - exponent);
    let q = mantissa / divisor;
    if (mantissa % divisor !== 0n) q += mantissa < 0n ? -1n : 1n;
    mantissa = q;
    exponent = -9;
  }
  return { mantissa, exponent, format };
}

function abs(n: bigint): bigint {
  return n < 0n ? -n : n;
}

/** The integer value when exact, else null. */
function integerValue(q: ParsedQuantity): bigint | null {
  if (q.exponent >= 0) return q.mantissa * 10n ** BigInt(q.exponent);
  const divisor = 10n ** BigInt(-q.exponent);
  return q.mantissa % divisor === 0n ? q.mantissa / divisor : null;
}

function absLessThan(q: ParsedQuantity, limit: bigint): boolean {
  if (q.exponent >= 0) return abs(q.mantissa) * 10n ** BigInt(q.exponent) < limit;
  return abs(q.mantissa) < limit * 10n ** BigInt(-q.exponent);
}

function canonicalDecimal(q: ParsedQuantity, format: QuantityFormat): string {
  let { mantissa, exponent } = q;
  while (mantissa % 10n === 0n) {
    mantissa /= 10n;
    exponent += 1;
  }
  const r = ((exponent % 3) + 3) % 3;
  if (r !== 0) {
    mantissa *= 10n ** BigInt(r);
    exponent -= r;
  }
  if (format === 'DecimalExponent')
    return exponent === 0 ? `${mantissa}` : `${mantissa}e${exponent}`;
  // An exponent without an SI suffix prints bare, as Go's suffixer does.
  return `${mantissa}${DECIMAL_BY_EXPONENT.get(exponent) ?? ''}`;
}

/** Canonical form of a parsed quantity (Quantity.String()). */
export function canonicalQuantity(q: ParsedQuantity): string {
  if (q.mantissa === 0n) return '0';
  if (q.format !== 'BinarySI') return canonicalDecimal(q, q.format);
  const value = absLessThan(q, 1024n) ? null : integerValue(q);
  if (value === null) return canonicalDecimal(q, 'DecimalSI');
  let amount = value;
  let power = 0;
  while (amount % 1024n === 0n) {
    amount /= 1024n;
    power += 1;
  }
  return `${amount}${BINARY_BY_POWER[power] ?? ''}`;
}

/**
 * Canonical string of a quantity field. Quantities are JSON strings (numbers are accepted, as
 * Go's decoder does); an unset field prints as `unset` — `'0'` for a value-typed field, `'<nil>'`
 * for a pointer. Strings that do not parse are printed unchanged.
 */
export function formatQuantity(value: unknown, unset = '0'): string {
  if (typeof value === 'number' && Number.isFinite(value)) value = `${value}`;
  if (typeof value !== 'string') return unset;
  const parsed = parseQuantity(value);
  return parsed ? canonicalQuantity(parsed) : value;
}
