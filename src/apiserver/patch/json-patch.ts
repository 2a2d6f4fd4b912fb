import { cloneJson } from '../../api/index.ts';
import fastJsonPatch from 'fast-json-patch';
import { StatusError, badRequest } from '../errors.ts';

// JSON Patch (RFC 6902) with fast-json-patch; a failed `test` operation is a conflict of
// expectations, everything else malformed is the client's mistake.

const { applyPatch, JsonPatchError } = fastJsonPatch;

export function applyJsonPatch(target: unknown, patch: unknown): unknown {
  if (!Array.isArray(patch)) {
    throw badRequest(
      'json patch must be a JSON array of operations, e.g. [{"op":"replace","path":"/spec/replicas","value":3}]',
    );
  }
  for (const [i, op] of patch.entries()) {
    if (typeof op !== 'object' || op === null || typeof (op as { op?: unknown }).op !== 'string') {
      throw badRequest(`json patch operation ${i} is not an object with an "op"`);
    }
    if (typeof (op as { path?: unknown }).path !== 'string') {
      throw badRequest(`json patch operation ${i} (${(op as { op: string }).op}) has no "path"`);
    }
  }
  try {
    return applyPatch(cloneJson(target), patch, true, false, true).newDocument;
  } catch (err) {
    if (err instanceof JsonPatchError) {
      if (err.name === 'TEST_OPERATION_FAILED') {
        throw new StatusError(
          'Invalid',
          `the server rejected our request due to an error in our request: json patch test operation failed at ${err.operation?.path ?? '?'}`,
        );
      }
      throw new StatusError(
        'Invalid',
        `the server rejected our request due to an error in our request: json patch ${err.operation?.op ?? ''} operation does not apply: ${humanize(err)}`,
      );
    }
    throw badRequest(`json patch could not be applied: ${String(err)}`);
  }
}

function humanize(err: InstanceType<typeof JsonPatchError>): string {
  const path = err.operation?.path ?? '';
  switch (err.name) {
    case 'OPERATION_PATH_UNRESOLVABLE':
      return `doc is missing path: "${path}": missing value`;
    case 'OPERATION_PATH_ILLEGAL_ARRAY_INDEX':
    case 'OPERATION_VALUE_OUT_OF_BOUNDS':
      return `index out of range at "${path}"`;
    case 'OPERATION_FROM_UNRESOLVABLE':
      return `"from" path does not exist: "${(err.operation as { from?: string })?.from ?? ''}"`;
    default:
      return err.message.split('\n')[0]!;
  }
}
