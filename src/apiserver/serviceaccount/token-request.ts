import { rfc3339, type KubeObject } from '../../api/index.ts';
import { StatusError } from '../errors.ts';
import type { ResourceStore } from '../storage/resource-store.ts';
import { API_AUDIENCES, type BoundKind, type ServiceAccountTokens } from './tokens.ts';

// POST serviceaccounts/<name>/token (kubectl create token, the kubelet's projected
// tokens): kube-apiserver's TokenRequest REST, checks and messages included.

const MIN_SECONDS = 600;
const MAX_SECONDS = 2 ** 32;

interface BoundObjectRef {
  kind?: string;
  apiVersion?: string;
  name?: string;
  uid?: string;
}

interface TokenRequestSpec {
  audiences?: string[];
  expirationSeconds?: number;
  boundObjectRef?: BoundObjectRef | null;
}

export interface TokenRequestCall {
  namespace: string;
  /** The service account's name. */
  name: string;
  body: KubeObject;
  /** The core/v1 store of a resource: serviceaccounts, pods, secrets, nodes. */
  storeOf: (resource: string) => ResourceStore;
  tokens: ServiceAccountTokens;
}

function invalid(name: string, field: string, value: unknown, why: string): StatusError {
  return new StatusError(
    'Invalid',
    `TokenRequest.authentication.k8s.io "${name}" is invalid: ${field}: Invalid value: ${JSON.stringify(value)}: ${why}`,
  );
}

export async function answerTokenRequest(call: TokenRequestCall): Promise<KubeObject> {
  const { namespace, name } = call;
  const spec = (call.body.spec ?? {}) as TokenRequestSpec;
  const seconds = spec.expirationSeconds ?? 3600;
  if (!Number.isInteger(seconds) || seconds < MIN_SECONDS) {
    throw invalid(
      name,
      'spec.expirationSeconds',
      seconds,
      'may not specify a duration less than 10 minutes',
    );
  }
  if (seconds > MAX_SECONDS) {
    throw invalid(
      name,
      'spec.expirationSeconds',
      seconds,
      'may not specify a duration larger than 2^32 seconds',
    );
  }
  const audiences = spec.audiences?.length ? spec.audiences : API_AUDIENCES;
  if (!Array.isArray(audiences) || audiences.some((a) => typeof a !== 'string' || a === '')) {
    throw invalid(name, 'spec.audiences', spec.audiences, 'audiences must be non-empty strings');
  }
  const serviceAccount = await call.storeOf('serviceaccounts').get(namespace, name);
  const ref = spec.boundObjectRef ?? undefined;
  let bound: { kind: BoundKind; object: KubeObject } | undefined;
  let node: KubeObject | undefined;
  if (ref) {
    const kind = ref.kind ?? '';
    const group = (ref.apiVersion ?? '').includes('/') ? ref.apiVersion!.split('/')[0] : '';
    if (group !== '' || !['Pod', 'Secret', 'Node'].includes(kind)) {
      throw new StatusError(
        'BadRequest',
        `cannot bind token to object of type ${ref.apiVersion ?? ''}, Kind=${kind}`,
      );
    }
    const resource = { Pod: 'pods', Secret: 'secrets', Node: 'nodes' }[kind]!;
    const object = await call
      .storeOf(resource)
      .get(kind === 'Node' ? '' : namespace, ref.name ?? '');
    if (kind === 'Pod') {
      const podSpec = (object.spec ?? {}) as { serviceAccountName?: string; nodeName?: string };
      if ((podSpec.serviceAccountName || 'default') !== name) {
        throw new StatusError(
          'BadRequest',
          `cannot bind token for serviceaccount "${name}" to pod running with different serviceaccount name.`,
        );
      }
      if (podSpec.nodeName) {
        node = await call
          .storeOf('nodes')
          .get('', podSpec.nodeName)
          .catch(() => undefined);
      }
    }
    if (ref.uid && ref.uid !== object.metadata?.uid) {
      throw new StatusError(
        'Conflict',
        `Operation cannot be fulfilled on ${kind} "${ref.name}": the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`,
      );
    }
    bound = { kind: kind as BoundKind, object };
  }
  const { token, expirationTimestamp } = await call.tokens.issue({
    serviceAccount,
    audiences,
    expirationSeconds: seconds,
    ...(bound ? { bound } : {}),
    ...(node ? { node } : {}),
  });
  return {
    kind: 'TokenRequest',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { name, namespace, creationTimestamp: null },
    spec: {
      audiences,
      expirationSeconds: seconds,
      boundObjectRef: ref
        ? {
            kind: ref.kind,
            apiVersion: ref.apiVersion ?? 'v1',
            name: ref.name,
            uid: bound?.object.metadata?.uid,
          }
        : null,
    },
    status: { token, expirationTimestamp: rfc3339(expirationTimestamp) },
  };
}
