import { randomUUID, type KeyObject } from 'node:crypto';
import { createPublicKey } from 'node:crypto';
import { decodeProtectedHeader, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import type { KubeObject } from '../../api/index.ts';
import type { Backend } from '../../store/index.ts';
import type { UserInfo } from '../auth.ts';
import { decodeObject } from '../storage/codec.ts';
import type { WatchCache } from '../storage/watch-cache.ts';
import type { SigningKey } from './signing-key.ts';

// Service-account tokens as kube-apiserver issues them since 1.22: JWTs signed by the
// API server, bound to an audience, a lifetime and, through a TokenRequest, an object
// (a Pod, a Secret or a Node) whose deletion revokes them. A token names its service
// account by name and uid; every use checks that the account and the bound object still
// exist with those uids, as kube-apiserver's validator does from its informers — here
// from the watch cache.
//
// Every API server publishes its public key in the store (`/wharf/serviceaccount-keys/`),
// so API servers sharing a store accept each other's tokens without sharing a key file.

export const ISSUER = 'https://kubernetes.default.svc.cluster.local';
/** The audiences the API server itself accepts (--api-audiences defaults to the issuer). */
export const API_AUDIENCES = [ISSUER];
/** What the kubelet asks for by default; kube-apiserver extends it (below). */
export const WARN_ONLY_SECONDS = 3607;
/**
 * --service-account-extend-token-expiration: a pod-bound token asked for 3607 s is valid
 * a year, and its `warnafter` marks when the kubelet should have refreshed it.
 */
const EXTENDED_SECONDS = 365 * 24 * 3600;
/** A bound object deleted longer ago than this no longer vouches for its tokens. */
const DELETION_GRACE_MS = 60_000;
const KEYS_PREFIX = '/wharf/serviceaccount-keys/';
const VERIFIED_CACHE_SIZE = 10_000;

export type BoundKind = 'Pod' | 'Secret' | 'Node';

export interface TokenToIssue {
  serviceAccount: KubeObject;
  audiences: string[];
  expirationSeconds: number;
  bound?: { kind: BoundKind; object: KubeObject };
  /** The node a bound pod runs on. */
  node?: KubeObject;
}

interface Ref {
  name: string;
  uid: string;
}

interface KubernetesClaim {
  namespace: string;
  serviceaccount: Ref;
  pod?: Ref;
  secret?: Ref;
  node?: Ref;
  warnafter?: number;
}

interface Verified {
  payload: JWTPayload & { 'kubernetes.io'?: KubernetesClaim };
  claim: KubernetesClaim;
}

export type TokenCheck = { user: UserInfo; audiences?: string[] } | { error: string };

const keyOf: Record<BoundKind | 'ServiceAccount', (ns: string, name: string) => string> = {
  ServiceAccount: (ns, name) => `/registry/core/serviceaccounts/${ns}/${name}`,
  Pod: (ns, name) => `/registry/core/pods/${ns}/${name}`,
  Secret: (ns, name) => `/registry/core/secrets/${ns}/${name}`,
  Node: (_ns, name) => `/registry/core/nodes/${name}`,
};

const ref = (o: KubeObject): Ref => ({ name: o.metadata?.name ?? '', uid: o.metadata?.uid ?? '' });

/** A JWT has three base64url parts; anything else is not for this verifier. */
export function looksLikeJwt(token: string): boolean {
  return /^[\w-]+\.[\w-]+\.[\w-]+$/.test(token);
}

export class ServiceAccountTokens {
  readonly #key: SigningKey;
  readonly #cache: WatchCache;
  readonly #store: Backend;
  readonly #publicKeys = new Map<string, KeyObject>();
  /** Tokens whose signature and claims checked out: token → what they say. */
  readonly #verified = new Map<string, Verified>();

  constructor(key: SigningKey, objects: { cache: WatchCache; store: Backend }) {
    this.#key = key;
    this.#cache = objects.cache;
    this.#store = objects.store;
    this.#publicKeys.set(key.kid, key.publicKey);
  }

  /** Makes this server's public key known to the others on the store. Idempotent. */
  async publishKey(): Promise<void> {
    const key = KEYS_PREFIX + this.#key.kid;
    if (await this.#store.get(key)) return;
    const pem = this.#key.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    try {
      await this.#store.create(key, Buffer.from(pem));
    } catch (err) {
      if (!(await this.#store.get(key))) throw err;
    }
  }

  /** Signs a token; answers it with the expiry a TokenRequest's status reports. */
  async issue(t: TokenToIssue): Promise<{ token: string; expirationTimestamp: Date }> {
    const now = Math.floor(Date.now() / 1000);
    const sa = t.serviceAccount.metadata ?? {};
    const claim: KubernetesClaim = {
      namespace: sa.namespace ?? '',
      serviceaccount: ref(t.serviceAccount),
    };
    if (t.bound?.kind === 'Pod') claim.pod = ref(t.bound.object);
    if (t.bound?.kind === 'Secret') claim.secret = ref(t.bound.object);
    if (t.bound?.kind === 'Node') claim.node = ref(t.bound.object);
    if (t.node && t.bound?.kind === 'Pod') claim.node = ref(t.node);
    let lifetime = t.expirationSeconds;
    const apiAudiences = t.audiences.every((a) => API_AUDIENCES.includes(a));
    if (t.bound?.kind === 'Pod' && lifetime === WARN_ONLY_SECONDS && apiAudiences) {
      claim.warnafter = now + lifetime;
      lifetime = EXTENDED_SECONDS;
    }
    const token = await new SignJWT({ 'kubernetes.io': claim })
      .setProtectedHeader({ alg: 'ES256', kid: this.#key.kid })
      .setIssuer(ISSUER)
      .setSubject(`system:serviceaccount:${claim.namespace}:${sa.name}`)
      .setAudience(t.audiences)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + lifetime)
      .setJti(randomUUID())
      .sign(this.#key.privateKey);
    return { token, expirationTimestamp: new Date((now + t.expirationSeconds) * 1000) };
  }

  /**
   * Who the token says it is, if it is ours, current, meant for one of `audiences` (the
   * API server's own by default; a TokenReview may name others), and not revoked.
   */
  async authenticate(token: string, audiences = API_AUDIENCES): Promise<TokenCheck> {
    const cacheKey = audiences === API_AUDIENCES ? token : `${token}\0${audiences.join('\0')}`;
    let verified = this.#verified.get(cacheKey);
    if (!verified) {
      const checked = await this.#verify(token, audiences);
      if ('error' in checked) return checked;
      verified = checked;
      if (this.#verified.size >= VERIFIED_CACHE_SIZE) {
        this.#verified.delete(this.#verified.keys().next().value!);
      }
      this.#verified.set(cacheKey, verified);
    }
    const { payload, claim } = verified;
    if ((payload.exp ?? 0) * 1000 <= Date.now()) {
      this.#verified.delete(cacheKey);
      return { error: 'service account token has expired' };
    }
    const revoked = await this.#revoked(claim);
    if (revoked) return { error: `service account token has been invalidated: ${revoked}` };
    const ns = claim.namespace;
    const extra: Record<string, string[]> = {};
    if (payload.jti) extra['authentication.kubernetes.io/credential-id'] = [`JTI=${payload.jti}`];
    if (claim.pod) {
      extra['authentication.kubernetes.io/pod-name'] = [claim.pod.name];
      extra['authentication.kubernetes.io/pod-uid'] = [claim.pod.uid];
    }
    if (claim.node) {
      extra['authentication.kubernetes.io/node-name'] = [claim.node.name];
      extra['authentication.kubernetes.io/node-uid'] = [claim.node.uid];
    }
    const aud = typeof payload.aud === 'string' ? [payload.aud] : (payload.aud ?? []);
    return {
      audiences: audiences.filter((a) => aud.includes(a)),
      user: {
        username: `system:serviceaccount:${ns}:${claim.serviceaccount.name}`,
        uid: claim.serviceaccount.uid,
        groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'],
        extra,
      },
    };
  }

  async #verify(token: string, audiences: string[]): Promise<Verified | { error: string }> {
    let kid: string | undefined;
    try {
      kid = decodeProtectedHeader(token).kid;
    } catch {
      return { error: 'invalid bearer token' };
    }
    const key = kid ? await this.#publicKey(kid) : undefined;
    if (!key) return { error: 'invalid bearer token: signed by an unknown key' };
    try {
      const { payload } = await jwtVerify<{ 'kubernetes.io'?: KubernetesClaim }>(token, key, {
        issuer: ISSUER,
        audience: audiences,
        algorithms: ['ES256'],
      });
      const claim = payload['kubernetes.io'];
      const sub = `system:serviceaccount:${claim?.namespace}:${claim?.serviceaccount?.name}`;
      if (!claim?.namespace || !claim.serviceaccount?.name || payload.sub !== sub) {
        return { error: 'invalid bearer token: not a service account token' };
      }
      return { payload, claim };
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'ERR_JWT_EXPIRED') return { error: 'service account token has expired' };
      if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') {
        return { error: `invalid bearer token: ${(err as Error).message}` };
      }
      return { error: 'invalid bearer token' };
    }
  }

  async #publicKey(kid: string): Promise<KeyObject | undefined> {
    const known = this.#publicKeys.get(kid);
    if (known) return known;
    if (!/^[\w-]+$/.test(kid)) return undefined;
    const kv = await this.#store.get(KEYS_PREFIX + kid);
    if (!kv) return undefined;
    const key = createPublicKey(kv.value.toString());
    this.#publicKeys.set(kid, key);
    return key;
  }

  /** Why the token no longer holds (its account or bound object is gone), or undefined. */
  async #revoked(claim: KubernetesClaim): Promise<string | undefined> {
    const ns = claim.namespace;
    const checks: [BoundKind | 'ServiceAccount', Ref | undefined][] = [
      ['ServiceAccount', claim.serviceaccount],
      ['Pod', claim.pod],
      ['Secret', claim.secret],
      // A pod's token names its node for information; only a node-bound one depends on it.
      ['Node', claim.pod ? undefined : claim.node],
    ];
    for (const [kind, r] of checks) {
      if (!r) continue;
      const what = `${kind} ${kind === 'Node' ? '' : `${ns}/`}${r.name}`;
      const obj = await this.#object(keyOf[kind](ns, r.name));
      if (!obj) return `${what} not found`;
      if (obj.metadata?.uid !== r.uid) return `${what} has uid ${obj.metadata?.uid}, not ${r.uid}`;
      const deleted = obj.metadata?.deletionTimestamp;
      if (deleted && Date.parse(deleted) < Date.now() - DELETION_GRACE_MS) {
        return `${what} is being deleted`;
      }
    }
    return undefined;
  }

  async #object(key: string): Promise<KubeObject | undefined> {
    const cached = this.#cache.get(key);
    if (cached) return cached;
    const kv = await this.#store.get(key);
    return kv ? decodeObject(kv) : undefined;
  }
}
