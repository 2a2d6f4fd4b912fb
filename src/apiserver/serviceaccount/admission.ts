import type { KubeObject } from '../../api/index.ts';
import type { Backend } from '../../store/index.ts';
import { StatusError } from '../errors.ts';
import { decodeObject } from '../storage/codec.ts';
import { generateNameSuffix } from '../storage/object-meta.ts';
import type { WatchCache } from '../storage/watch-cache.ts';
import { WARN_ONLY_SECONDS } from './tokens.ts';

// Kubernetes' ServiceAccount admission for new pods: the pod runs as `default` unless it
// names an account; the account must exist; and unless the pod or the account turns
// automountServiceAccountToken off, every container and init container gets the
// `kube-api-access-<random>` projected volume at /var/run/secrets/kubernetes.io/serviceaccount:
// a token bound to the pod, the cluster CA and the namespace — what in-cluster clients read.
// Mirror pods (a node's static pods) are left alone.

export const TOKEN_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
const VOLUME_PREFIX = 'kube-api-access-';
const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';
const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';

interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
}
interface Container {
  volumeMounts?: VolumeMount[];
}
interface PodSpec {
  serviceAccountName?: string;
  serviceAccount?: string;
  automountServiceAccountToken?: boolean;
  volumes?: { name: string }[];
  containers?: Container[];
  initContainers?: Container[];
}

function forbidden(pod: KubeObject, message: string): StatusError {
  const name = pod.metadata?.name ?? pod.metadata?.generateName ?? '';
  return new StatusError('Forbidden', `pods "${name}" is forbidden: ${message}`, {
    name,
    kind: 'pods',
  });
}

/** The projected volume kube-apiserver adds (its TokenVolumeSource). */
export function tokenVolume(name: string): Record<string, unknown> {
  return {
    name,
    projected: {
      defaultMode: 0o644,
      sources: [
        { serviceAccountToken: { expirationSeconds: WARN_ONLY_SECONDS, path: 'token' } },
        {
          configMap: { name: ROOT_CA_CONFIGMAP, items: [{ key: 'ca.crt', path: 'ca.crt' }] },
        },
        {
          downwardAPI: {
            items: [
              {
                path: 'namespace',
                fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' },
              },
            ],
          },
        },
      ],
    },
  };
}

/**
 * Mounts the token volume into every container without a mount at the token path, adding
 * the volume when one needs it (reusing a `kube-api-access-*` volume the pod has).
 */
export function mountServiceAccountToken(spec: PodSpec, suffix = generateNameSuffix): void {
  const existing = (spec.volumes ?? []).find((v) => v.name.startsWith(VOLUME_PREFIX));
  const volumeName = existing?.name ?? VOLUME_PREFIX + suffix();
  let needed = false;
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    if ((c.volumeMounts ?? []).some((m) => m.mountPath === TOKEN_MOUNT_PATH)) continue;
    (c.volumeMounts ??= []).push({ name: volumeName, readOnly: true, mountPath: TOKEN_MOUNT_PATH });
    needed = true;
  }
  if (needed && !existing) (spec.volumes ??= []).push(tokenVolume(volumeName) as { name: string });
}

/** Admits a new pod as the ServiceAccount plugin does; throws Forbidden for a missing account. */
export async function admitServiceAccount(
  store: Backend,
  cache: WatchCache,
  namespace: string,
  pod: KubeObject,
): Promise<void> {
  if (pod.metadata?.annotations?.[MIRROR_ANNOTATION] !== undefined) return;
  const spec = (pod.spec ??= {}) as PodSpec;
  const name = spec.serviceAccountName || 'default';
  spec.serviceAccountName = name;
  spec.serviceAccount = name;
  const key = `/registry/core/serviceaccounts/${namespace}/${name}`;
  let account = cache.get(key);
  if (!account) {
    const kv = await store.get(key);
    if (!kv) {
      throw forbidden(
        pod,
        `error looking up service account ${namespace}/${name}: serviceaccount "${name}" not found`,
      );
    }
    account = decodeObject(kv);
  }
  const automount =
    spec.automountServiceAccountToken ??
    (account as { automountServiceAccountToken?: boolean }).automountServiceAccountToken ??
    true;
  if (automount) mountServiceAccountToken(spec);
}
