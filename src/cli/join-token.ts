import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { UserInfo } from '../apiserver/index.ts';

// The join token, as k3s shapes it: `wharf1::<sha256 of the cluster CA>::<secret>`. The
// hash lets a joining machine trust the API server before it sends anything; the secret
// is then both the agent's identity towards the API server and the token the API server
// presents to agents when it proxies logs, exec and port-forward — one secret, both ways.

export const JOIN_TOKEN_PREFIX = 'wharf1';

/**
 * Who the join secret authenticates as. There is no RBAC yet, so this identity may do
 * everything the admin may: the join token is as powerful as the admin kubeconfig.
 */
export const NODE_BOOTSTRAP_USER: UserInfo = {
  username: 'system:node-bootstrap',
  uid: 'wharf-node-bootstrap',
  groups: ['system:bootstrappers', 'system:nodes', 'system:authenticated'],
};

export interface JoinToken {
  /** sha256 of the CA certificate's DER bytes, lower-case hex. */
  caHash: string;
  secret: string;
}

/** The secret file; its name predates join tokens, and existing data dirs keep theirs. */
export function joinSecretFile(dataDir: string): string {
  return path.join(dataDir, 'tokens', 'node-proxy.token');
}

/** The CA certificate of a cluster's data dir. */
export function caFile(dataDir: string): string {
  return path.join(dataDir, 'tls', 'ca.crt');
}

/**
 * The hash a join token pins: sha256 over the certificate's DER encoding, so PEM line
 * breaks do not matter (`openssl x509 -in ca.crt -outform der | sha256sum` gives it too).
 */
export function caHash(caPemOrDer: string | Buffer): string {
  const der = new X509Certificate(caPemOrDer).raw;
  return createHash('sha256').update(der).digest('hex');
}

export function formatJoinToken(caPem: string, secret: string): string {
  return `${JOIN_TOKEN_PREFIX}::${caHash(caPem)}::${secret}`;
}

/** Parses a join token; throws a sentence saying what a good one looks like. */
export function parseJoinToken(text: string): JoinToken {
  const parts = text.trim().split('::');
  const [prefix, hash, secret] = parts;
  if (parts.length !== 3 || prefix !== JOIN_TOKEN_PREFIX || !hash || !secret) {
    throw new Error(
      `--token is not a wharf join token: expected ${JOIN_TOKEN_PREFIX}::<CA hash>::<secret>, ` +
        'as `wharf join-token` prints it on the control plane',
    );
  }
  if (!/^[0-9a-f]{64}$/i.test(hash)) {
    throw new Error(
      `the CA hash in --token is not a sha256 in hex (64 characters): ${hash}; ` +
        'copy the whole token that `wharf join-token` prints',
    );
  }
  return { caHash: hash.toLowerCase(), secret };
}

/** The join secret of a data dir, created on the control plane's first start (mode 0600). */
export function ensureJoinSecret(dataDir: string): string {
  const file = joinSecretFile(dataDir);
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const secret = randomBytes(32).toString('base64url');
  fs.writeFileSync(file, secret + '\n', { mode: 0o600 });
  return secret;
}

/** The join token of an existing cluster's data dir (`wharf join-token`); never creates one. */
export function readJoinToken(dataDir: string): string {
  const dir = path.resolve(dataDir);
  const ca = caFile(dir);
  const secret = joinSecretFile(dir);
  if (!fs.existsSync(ca) || !fs.existsSync(secret)) {
    throw new Error(
      `no cluster in ${dir} (${fs.existsSync(ca) ? secret : ca} is missing): ` +
        `start it first with \`wharf up --data-dir ${dataDir}\``,
    );
  }
  return formatJoinToken(fs.readFileSync(ca, 'utf8'), fs.readFileSync(secret, 'utf8').trim());
}
