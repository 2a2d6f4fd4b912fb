import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { RestClient, type RestClientOptions } from './rest-client.ts';

// Reading a kubeconfig into client options: the current (or a named) context's cluster
// and user. Supported: `certificate-authority-data` or `certificate-authority`, and a
// `token` or `tokenFile` user. Anything else (client certificates, exec plugins) is
// rejected loudly rather than silently connecting unauthenticated.

interface Named<T> {
  name: string;
  cluster?: T;
  user?: T;
  context?: T;
}

type Section = Record<string, unknown>;

export function loadKubeconfig(file: string, opts: { context?: string } = {}): RestClientOptions {
  const doc = (YAML.parse(fs.readFileSync(file, 'utf8')) ?? {}) as Record<string, unknown>;
  const fail = (what: string): never => {
    throw new Error(`kubeconfig ${file}: ${what}`);
  };
  const find = (list: unknown, name: string, kind: 'cluster' | 'user' | 'context'): Section => {
    const entry = ((list as Named<Section>[] | undefined) ?? []).find((e) => e.name === name);
    return entry?.[kind] ?? fail(`no ${kind} named ${JSON.stringify(name)}`);
  };
  const contextName =
    opts.context ?? (doc['current-context'] as string | undefined) ?? fail('no current-context');
  const context = find(doc.contexts, contextName, 'context');
  const cluster = find(doc.clusters, String(context.cluster), 'cluster');
  const user = find(doc.users, String(context.user), 'user');
  const relative = (p: unknown) => path.resolve(path.dirname(file), String(p));

  const server =
    typeof cluster.server === 'string'
      ? cluster.server
      : fail(`cluster ${String(context.cluster)} has no server`);
  let caPem = '';
  if (typeof cluster['certificate-authority-data'] === 'string') {
    caPem = Buffer.from(cluster['certificate-authority-data'], 'base64').toString('utf8');
  } else if (cluster['certificate-authority'] !== undefined) {
    caPem = fs.readFileSync(relative(cluster['certificate-authority']), 'utf8');
  } else if (server.startsWith('https:')) {
    fail(`cluster ${String(context.cluster)} has no certificate-authority-data`);
  }
  let token: string;
  if (typeof user.token === 'string') token = user.token;
  else if (user.tokenFile !== undefined)
    token = fs.readFileSync(relative(user.tokenFile), 'utf8').trim();
  else token = fail(`user ${String(context.user)} has no token (only token users are supported)`);
  return { server, caPem, token };
}

export function fromKubeconfig(
  file: string,
  opts: { context?: string; userAgent?: string } = {},
): RestClient {
  return new RestClient({ ...loadKubeconfig(file, opts), userAgent: opts.userAgent });
}
