import { formatQuantity as canonical, tryParseQuantity } from '../quantity.ts';

/**
 * Canonical string of a quantity field, as the printers show it. Quantities are JSON
 * strings (numbers are accepted, as Go's decoder does); an unset field prints as `unset`:
 * `'0'` for a value-typed field, `'<nil>'` for a pointer. Strings that do not parse are
 * printed unchanged.
 */
export function formatQuantity(value: unknown, unset = '0'): string {
  if (typeof value === 'number' && Number.isFinite(value)) value = `${value}`;
  if (typeof value !== 'string') return unset;
  // Go's Quantity.UnmarshalJSON trims spaces before parsing.
  const parsed = tryParseQuantity(value.trim());
  return parsed ? canonical(parsed) : value;
}
