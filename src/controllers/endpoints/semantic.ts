// Comparing what the controllers computed with what the API server stored, as
// apimachinery's semantic equality does: key order does not matter, and an empty list
// or map is the same as an absent one (Go's omitempty drops both on the way through).

export function semanticEqual(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

/** A string equal for semantically equal JSON values. */
export function canonical(value: unknown): string {
  return JSON.stringify(normalize(value)) ?? 'null';
}

function normalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.length === 0 ? undefined : value.map(normalize);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const v = normalize((value as Record<string, unknown>)[key]);
    if (v !== undefined) out[key] = v;
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

/** Go's time.RFC3339Nano in UTC: fractional seconds only as far as they are not zero. */
export function rfc3339Nano(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/\.(\d*?)0*Z$/, (_m, frac: string) => (frac ? `.${frac}Z` : 'Z'));
}
