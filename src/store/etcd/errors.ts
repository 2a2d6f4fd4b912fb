import { StoreError } from '../types.ts';

// etcd reports its sentinel conditions as gRPC errors whose only stable part is the
// message text (mvcc's ErrCompacted and ErrFutureRev), so they are matched by text.

const COMPACTED = 'required revision has been compacted';
const FUTURE_REVISION = 'required revision is a future revision';

/** gRPC codes and client errors that mean the server could not be reached or answer. */
const UNREACHABLE_CODES = new Set([4 /* DEADLINE_EXCEEDED */, 14 /* UNAVAILABLE */]);
const UNREACHABLE_NAMES = new Set([
  'GRPCUnavailableError',
  'GRPCDeadlineExceededError',
  'BrokenCircuitError',
  'ClientClosedError',
  'EtcdWatchStreamEnded',
]);

export function isCompactedError(err: unknown): boolean {
  return err instanceof Error && err.message.includes(COMPACTED);
}

export function isFutureRevisionError(err: unknown): boolean {
  return err instanceof Error && err.message.includes(FUTURE_REVISION);
}

export function isUnreachableError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'number' && UNREACHABLE_CODES.has(code)) return true;
  if (UNREACHABLE_NAMES.has(err.constructor.name)) return true;
  return /ECONNREFUSED|No connection established|UNAVAILABLE|DEADLINE_EXCEEDED/.test(err.message);
}

export function unreachable(hosts: readonly string[], err: unknown): StoreError {
  const reason = err instanceof Error ? err.message : String(err);
  return new StoreError('Unavailable', `etcd at ${hosts.join(',')} is unreachable: ${reason}`, {
    cause: err,
  });
}

/**
 * Maps what the etcd client threw onto a StoreError when it is one of the conditions the
 * Backend contract names; anything else is returned unchanged, as it is a bug to surface.
 * Compacted is left to the caller, which must look up the compacted revision.
 */
export function mapEtcdError(hosts: readonly string[], err: unknown): unknown {
  if (err instanceof StoreError) return err;
  if (isFutureRevisionError(err)) {
    return new StoreError('FutureRevision', 'the requested revision is newer than the store', {
      cause: err,
    });
  }
  if (isUnreachableError(err)) return unreachable(hosts, err);
  return err;
}
