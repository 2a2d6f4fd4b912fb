import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';

// The admin kubeconfig: written into the data dir, and on request merged into
// ~/.kube/config as context `wharf` without touching the other contexts.

export const CONTEXT = 'wharf';

export interface KubeconfigInput {
  server: string;
  caPem: string;
  token: string;
}

interface Named<T> {
  name: string;
  [key: string]: T | string;
}

export function renderKubeconfig(input: KubeconfigInput): string {
  return YAML.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: CONTEXT, cluster: clusterEntry(input) }],
    users: [{ name: `${CONTEXT}-admin`, user: { token: input.token } }],
    contexts: [{ name: CONTEXT, context: { cluster: CONTEXT, user: `${CONTEXT}-admin` } }],
    'current-context': CONTEXT,
    preferences: {},
  });
}

function clusterEntry(input: KubeconfigInput) {
  return {
    server: input.server,
    'certificate-authority-data': Buffer.from(input.caPem).toString('base64'),
  };
}

export function writeKubeconfig(file: string, input: KubeconfigInput): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, renderKubeconfig(input), { mode: 0o600 });
  fs.chmodSync(file, 0o600);
}

function upsert<T>(list: Named<T>[] | undefined, item: Named<T>): Named<T>[] {
  const out = (list ?? []).filter((x) => x.name !== item.name);
  out.push(item);
  return out;
}

/** Merges the wharf cluster, user and context into `file` (default ~/.kube/config). */
export function mergeIntoUserKubeconfig(
  input: KubeconfigInput,
  file = path.join(os.homedir(), '.kube', 'config'),
): string {
  let doc: Record<string, unknown> = { apiVersion: 'v1', kind: 'Config', preferences: {} };
  if (fs.existsSync(file)) {
    const parsed = YAML.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown> | null;
    if (parsed && typeof parsed === 'object') doc = parsed;
  }
  doc.clusters = upsert(doc.clusters as Named<unknown>[] | undefined, {
    name: CONTEXT,
    cluster: clusterEntry(input),
  });
  doc.users = upsert(doc.users as Named<unknown>[] | undefined, {
    name: `${CONTEXT}-admin`,
    user: { token: input.token },
  });
  doc.contexts = upsert(doc.contexts as Named<unknown>[] | undefined, {
    name: CONTEXT,
    context: { cluster: CONTEXT, user: `${CONTEXT}-admin` },
  });
  doc['current-context'] = CONTEXT;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, YAML.stringify(doc), { mode: 0o600 });
  return file;
}
