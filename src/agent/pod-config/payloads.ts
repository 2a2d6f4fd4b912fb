import path from 'node:path';
import type { KubeObject } from '../../api/index.ts';
import type { Payload } from './atomic-writer.ts';
import {
  containerResourceValue,
  extractFieldPath,
  findContainer,
  withDefaultLimits,
} from './downward.ts';
import { aggregateMessage, ConfigError } from './types.ts';
import type {
  ConfigSources,
  DownwardAPIVolumeFile,
  KeyToPath,
  ObjectVolumeSource,
  Pod,
  VolumeProjection,
} from './types.ts';

// The contents of configMap, secret, downwardAPI and projected volumes, as the kubelet's
// volume plugins compute them (MakePayload, CollectData, projected collectData).

/** The API server's default for defaultMode when a client left it out. */
export const DEFAULT_MODE = 0o644;
/** The API server's default for serviceAccountToken.expirationSeconds. */
const DEFAULT_TOKEN_EXPIRATION = 3600;

/** The decoded entries of a ConfigMap (`data`, then `binaryData`) or Secret (`data`). */
function entries(obj: KubeObject, kind: 'configmap' | 'secret'): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const data = (obj.data ?? {}) as Record<string, string>;
  for (const [k, v] of Object.entries(data)) {
    out.set(k, kind === 'secret' ? Buffer.from(v, 'base64') : Buffer.from(v, 'utf8'));
  }
  if (kind === 'configmap') {
    for (const [k, v] of Object.entries((obj.binaryData ?? {}) as Record<string, string>)) {
      out.set(k, Buffer.from(v, 'base64'));
    }
  }
  return out;
}

/**
 * configmap.MakePayload / secret.MakePayload for the object named by `source`; a missing
 * object is an empty one when `optional`, else kubelet's NotFound message.
 */
export function objectPayload(
  kind: 'configmap' | 'secret',
  pod: Pod,
  name: string,
  source: Omit<ObjectVolumeSource, 'name'>,
  defaultMode: number,
  sources: ConfigSources,
): Payload {
  const namespace = pod.metadata?.namespace ?? '';
  const obj =
    kind === 'configmap' ? sources.configMap(namespace, name) : sources.secret(namespace, name);
  if (!obj && !source.optional) throw new ConfigError(`${kind} "${name}" not found`);
  const available = obj ? entries(obj, kind) : new Map<string, Buffer>();
  const payload: Payload = new Map();
  const items: KeyToPath[] | undefined = source.items;
  if (!items || items.length === 0) {
    for (const [k, data] of available) payload.set(k, { data, mode: defaultMode });
    return payload;
  }
  for (const item of items) {
    const data = available.get(item.key);
    if (!data) {
      if (source.optional) continue;
      throw new ConfigError(
        kind === 'configmap'
          ? `configmap references non-existent config key: ${item.key}`
          : `references non-existent secret key: ${item.key}`,
      );
    }
    payload.set(item.path, { data, mode: item.mode ?? defaultMode });
  }
  return payload;
}

/**
 * downwardapi.CollectData: each item's value; failures are gathered and thrown together
 * (as the kubelet's aggregate) after every item was tried.
 */
export function downwardPayload(
  pod: Pod,
  items: DownwardAPIVolumeFile[],
  defaultMode: number,
  sources: ConfigSources,
): Payload {
  const payload: Payload = new Map();
  const errors: string[] = [];
  for (const item of items) {
    const mode = item.mode ?? defaultMode;
    let value = '';
    try {
      if (item.fieldRef) {
        value = extractFieldPath(pod, item.fieldRef.fieldPath);
      } else if (item.resourceFieldRef) {
        const ref = item.resourceFieldRef;
        const container = findContainer(pod, ref.containerName ?? '');
        value = containerResourceValue(ref, withDefaultLimits(container, sources.nodeAllocatable));
      }
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      errors.push(err.message);
    }
    payload.set(path.posix.normalize(item.path), { data: Buffer.from(value), mode });
  }
  if (errors.length > 0) throw new ConfigError(aggregateMessage(errors));
  return payload;
}

/**
 * projected collectData: the sources merged in order (a later path replaces an earlier
 * one). Every source is tried; failures are thrown together afterwards.
 */
export async function projectedPayload(
  pod: Pod,
  projections: VolumeProjection[],
  defaultMode: number,
  sources: ConfigSources,
): Promise<Payload> {
  const payload: Payload = new Map();
  const errors: string[] = [];
  for (const projection of projections) {
    try {
      let part: Payload;
      if (projection.secret) {
        const { name = '', ...rest } = projection.secret;
        part = objectPayload('secret', pod, name, rest, defaultMode, sources);
      } else if (projection.configMap) {
        const { name = '', ...rest } = projection.configMap;
        part = objectPayload('configmap', pod, name, rest, defaultMode, sources);
      } else if (projection.downwardAPI) {
        part = downwardPayload(pod, projection.downwardAPI.items ?? [], defaultMode, sources);
      } else if (projection.serviceAccountToken) {
        const tp = projection.serviceAccountToken;
        if (!sources.serviceAccountToken) {
          throw new ConfigError('serviceAccountToken projections need a token source');
        }
        // The kubelet writes 0600 when the pod has an fsGroup or one runAsUser for all its
        // containers, and hands the file to that group or user; wharf keeps defaultMode
        // (0644 unless the pod says otherwise), so any user of the pod can read it.
        const token = await sources
          .serviceAccountToken(
            pod,
            tp.audience || undefined,
            tp.expirationSeconds ?? DEFAULT_TOKEN_EXPIRATION,
          )
          .catch((err: Error) => {
            throw new ConfigError(err.message, { cause: err });
          });
        part = new Map([[tp.path, { data: Buffer.from(token), mode: defaultMode }]]);
      } else if (projection.clusterTrustBundle) {
        throw new ConfigError('clusterTrustBundle projections are not supported by wharf');
      } else {
        const kind = Object.keys(projection)[0] ?? 'empty';
        throw new ConfigError(`${kind} projections are not supported by wharf`);
      }
      for (const [p, content] of part) payload.set(p, content);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      errors.push(err.message);
    }
  }
  if (errors.length > 0) throw new ConfigError(aggregateMessage(errors));
  return payload;
}
