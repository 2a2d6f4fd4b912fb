import { HASH_LABEL, type PodTemplate } from './types.ts';

// The pod-template-hash, and when two templates are the same one.
//
// Kubernetes hashes the Go struct of the template (controller.ComputeHash: spew's dump of
// a PodTemplateSpec fed to FNV-32a, then the collisionCount as 8 little-endian bytes, the
// decimal sum rendered through rand.SafeEncodeString). Reproducing spew's dump of every
// Go field, nil pointers included, is impractical; wharf feeds FNV-32a a canonical JSON of
// the template instead (keys sorted; nulls, empty objects and empty arrays left out) and
// keeps the rest of the recipe. Hashes are therefore stable for a template, but differ
// from the ones a Kubernetes cluster would compute for it.

/** rand.SafeEncodeString's alphabet: no vowels, no 0, 1 or 3 (no words, no look-alikes). */
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

export function safeEncodeString(s: string): string {
  let out = '';
  for (const ch of s) out += ALPHANUMS[ch.codePointAt(0)! % ALPHANUMS.length];
  return out;
}

/** FNV-1a, 32 bits. */
export function fnv32a(bytes: Uint8Array, seed = 0x811c9dc5): number {
  let h = seed;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

/**
 * The value with nulls, empty objects and empty arrays dropped from objects (recursively),
 * so that `creationTimestamp: null` or `resources: {}` are the same as their absence, as
 * Kubernetes' semantic equality treats nil and empty alike.
 */
export function normalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalize);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const v = normalize((value as Record<string, unknown>)[key]);
    if (v === null || v === undefined) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) continue;
    out[key] = v;
  }
  return out;
}

/** ComputeHash of a template and the Deployment's collisionCount (absent: not hashed). */
export function computeHash(template: PodTemplate, collisionCount?: number | null): string {
  let h = fnv32a(new TextEncoder().encode(JSON.stringify(normalize(template))));
  if (collisionCount !== undefined && collisionCount !== null) {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(bytes, h);
  }
  return safeEncodeString(String(h));
}

/** The template without the pod-template-hash label. */
function withoutHash(t: PodTemplate): PodTemplate {
  const labels = t.metadata?.labels;
  if (!labels || !(HASH_LABEL in labels)) return t;
  const { [HASH_LABEL]: _hash, ...rest } = labels;
  return { ...t, metadata: { ...t.metadata, labels: rest } };
}

/** EqualIgnoreHash: semantically equal once the pod-template-hash labels are removed. */
export function equalIgnoreHash(a: PodTemplate, b: PodTemplate): boolean {
  return JSON.stringify(normalize(withoutHash(a))) === JSON.stringify(normalize(withoutHash(b)));
}
