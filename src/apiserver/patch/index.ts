import type { KubeObject } from '../../api/index.ts';
import { StatusError, badRequest, conflict, MODIFIED } from '../errors.ts';
import { mediaType, parseJsonValue, parseYamlObject, readBody } from '../http/body.ts';
import type { RequestScope } from '../resource-handler.ts';
import type { ResourceStore, WriteContext } from '../storage/resource-store.ts';
import { checkFieldValidation, type FieldValidation } from '../field-validation.ts';
import { applyServerSide } from './apply.ts';
import { applyJsonPatch } from './json-patch.ts';
import { applyMergePatch, isPlainObject } from './merge-patch.ts';
import { patchMetaLookup } from './meta.ts';
import { applyStrategicMergePatch } from './strategic-merge.ts';

// PATCH in its four flavours. The patch is applied to the object as stored, inside the
// storage retry loop, so a concurrent writer makes it re-apply rather than fail; a
// resourceVersion inside the patch pins the version it was meant for.

export const PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
] as const;

export type PatchType = (typeof PATCH_TYPES)[number];

export interface PatchOutcome {
  object: KubeObject;
  created: boolean;
  warnings: string[];
}

export function applyPatchTo(
  current: KubeObject,
  type: PatchType,
  patch: unknown,
  rs: ResourceStore,
): KubeObject {
  let patched: unknown;
  switch (type) {
    case 'application/json-patch+json':
      patched = applyJsonPatch(current, patch);
      break;
    case 'application/merge-patch+json':
      if (!isPlainObject(patch)) throw badRequest('merge patch must be a JSON object');
      patched = applyMergePatch(current, patch);
      break;
    case 'application/strategic-merge-patch+json':
      patched = applyStrategicMergePatch(current, patch, patchMetaLookup(rs.type));
      break;
    default:
      throw new Error(`unexpected patch type ${type}`);
  }
  if (!isPlainObject(patched)) throw badRequest('the patched object is not a JSON object');
  return patched as KubeObject;
}

/** Reads the patch body of a request and applies it to the main resource or `subresource`. */
export async function applyPatchRequest(
  rs: ResourceStore,
  scope: RequestScope,
  ctx: WriteContext,
  subresource = '',
): Promise<PatchOutcome> {
  const { req, query, info } = scope;
  const type = mediaType(req) as PatchType;
  if (!PATCH_TYPES.includes(type)) {
    throw new StatusError(
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.join(', ')}`,
    );
  }
  const body = await readBody(req);
  if (body.length === 0) throw badRequest('the patch is empty');
  const validation = query.get('fieldValidation') as FieldValidation | null;

  if (type === 'application/apply-patch+yaml') {
    const config = parseYamlObject(body, 'apply configuration') as KubeObject;
    const warnings = checkFieldValidation(rs.type, config, validation);
    const force = query.get('force') === 'true';
    return {
      ...(await applyServerSide(rs, info.namespace, info.name, config, ctx, force, subresource)),
      warnings,
    };
  }

  const patch = parseJsonValue(body, 'patch');
  let warnings: string[] = [];
  const object = await rs.guaranteedUpdate(
    info.namespace,
    info.name,
    (current) => {
      const patched = applyPatchTo(current, type, patch, rs);
      warnings = checkFieldValidation(rs.type, patched, validation);
      const wanted = patched.metadata?.resourceVersion;
      if (wanted && wanted !== current.metadata?.resourceVersion) {
        throw conflict(rs.type.group, rs.type.resource, info.name, MODIFIED);
      }
      if (subresource === 'status') return { ...current, status: patched.status };
      if (rs.type.hasStatus) patched.status = current.status;
      return patched;
    },
    ctx,
  );
  return { object, created: false, warnings };
}
