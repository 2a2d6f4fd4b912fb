// The revision hash of a pod template (controller.ComputeHash): FNV-32a over the template,
// then the collision count as four little-endian bytes when there is one, printed in
// decimal and spelled with rand.SafeEncodeString's alphabet (no vowels, no look-alikes).
//
// Kubernetes hashes its Go struct as printed by spew, which cannot be reproduced here;
// wharf hashes the template's JSON with keys sorted. The hashes differ from a real
// cluster's but have the same shape and the same properties: equal templates, equal hash.

const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** JSON with the keys of every object sorted, so equal objects print equal. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function fnv32a(bytes: Uint8Array, hash = 0x811c9dc5): number {
  let h = hash;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** rand.SafeEncodeString: each character replaced by the alphabet's entry at its code mod 27. */
export function safeEncodeString(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += SAFE_ALPHABET[s.charCodeAt(i) % SAFE_ALPHABET.length];
  return out;
}

export function computeHash(template: unknown, collisionCount?: number): string {
  let h = fnv32a(new TextEncoder().encode(stableStringify(template)));
  if (collisionCount !== undefined) {
    const buf = new Uint8Array(4);
    new DataView(buf.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(buf, h);
  }
  return safeEncodeString(String(h));
}
