import { StoreError } from './types.ts';

// A list's continue token: the revision the first page was read at and the last key
// returned, so every later page reads the same snapshot. Opaque to clients.

export interface ContinuePosition {
  revision: number;
  /** Continue strictly after this key. */
  afterKey: string;
}

export function encodeContinue(pos: ContinuePosition): string {
  return Buffer.from(JSON.stringify({ v: 1, rv: pos.revision, after: pos.afterKey })).toString(
    'base64url',
  );
}

export function decodeContinue(token: string): ContinuePosition {
  try {
    const raw: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (
      typeof raw === 'object' &&
      raw !== null &&
      'v' in raw &&
      raw.v === 1 &&
      'rv' in raw &&
      Number.isSafeInteger(raw.rv) &&
      (raw.rv as number) > 0 &&
      'after' in raw &&
      typeof raw.after === 'string'
    ) {
      return { revision: raw.rv as number, afterKey: raw.after };
    }
  } catch {
    // fall through to the error below
  }
  throw new StoreError('InvalidContinue', 'continue key is not valid');
}

/** The smallest string greater than every string that starts with `prefix`. */
export function prefixEnd(prefix: string): string {
  if (prefix === '') return '\u{10FFFF}';
  const last = prefix.charCodeAt(prefix.length - 1);
  return prefix.slice(0, -1) + String.fromCharCode(last + 1);
}
