// The kubectl commands whose request bodies the fixtures hold, and how to run one against
// a capture server.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { CaptureServer, Capture } from './capture-server.ts';

const run = promisify(execFile);

export interface KubectlCommand {
  name: string;
  /** `{dir}` is replaced by a scratch directory holding tls.crt and tls.key. */
  args: string[];
  /** Whether `-o json --dry-run=client` prints the object that is sent. */
  dryRun: boolean;
}

export const KUBECTL_BINARIES = ['1.32', '1.33']
  .map((minor) => ({ minor, path: `/usr/lib/google-cloud-sdk/bin/kubectl.${minor}` }))
  .filter((b) => fs.existsSync(b.path));

/** `args` with `flags` added before a `--` that starts the container command. */
export function withFlags(args: readonly string[], ...flags: string[]): string[] {
  const end = args.includes('--') ? args.indexOf('--') : args.length;
  return [...args.slice(0, end), ...flags, ...args.slice(end)];
}

/** `create` generators validate against OpenAPI unless told not to. */
const create = (name: string, ...args: string[]): KubectlCommand => ({
  name,
  args: withFlags(['create', ...args], '--validate=false'),
  dryRun: true,
});
const other = (name: string, ...args: string[]): KubectlCommand => ({ name, args, dryRun: false });

export const KUBECTL_COMMANDS: readonly KubectlCommand[] = [
  create('namespace', 'namespace', 'foo'),
  create('deployment', 'deployment', 'web', '--image=nginx', '--replicas=2', '--port=80'),
  create(
    'deployment-images',
    'deployment',
    'multi',
    '--image=nginx',
    '--image=redis:7',
    '--replicas=0',
  ),
  create('configmap', 'configmap', 'c', '--from-literal=a=b', '--from-literal=empty='),
  create('secret-generic', 'secret', 'generic', 's', '--from-literal=p=q', '--type=Opaque'),
  create('secret-tls', 'secret', 'tls', 't', '--cert={dir}/tls.crt', '--key={dir}/tls.key'),
  create(
    'secret-docker-registry',
    'secret',
    'docker-registry',
    'd',
    '--docker-username=u',
    '--docker-password=p',
    '--docker-server=r.example.com',
    '--docker-email=e@example.com',
  ),
  create('job', 'job', 'j', '--image=busybox', '--', 'echo', 'hi'),
  create(
    'cronjob',
    'cronjob',
    'cj',
    '--image=busybox',
    '--schedule=*/1 * * * *',
    '--restart=OnFailure',
    '--',
    'date',
  ),
  create('service-clusterip', 'service', 'clusterip', 'svc', '--tcp=80:8080', '--tcp=443:https'),
  create('service-clusterip-none', 'service', 'clusterip', 'headless', '--clusterip=None'),
  create('service-nodeport', 'service', 'nodeport', 'np', '--tcp=80:8080', '--node-port=30080'),
  create('service-loadbalancer', 'service', 'loadbalancer', 'lb', '--tcp=443:8443'),
  create('service-externalname', 'service', 'externalname', 'ext', '--external-name=example.com'),
  create(
    'role',
    'role',
    'r',
    '--verb=get',
    '--verb=list',
    '--resource=pods',
    '--resource=deployments.apps',
    '--resource-name=web',
  ),
  create('rolebinding', 'rolebinding', 'rb', '--role=r', '--user=u', '--serviceaccount=default:sa'),
  create('clusterrole', 'clusterrole', 'cr', '--verb=get,list', '--resource=nodes'),
  create(
    'clusterrole-nonresource',
    'clusterrole',
    'logs',
    '--verb=get',
    '--non-resource-url=/logs/*',
  ),
  create(
    'clusterrole-aggregate',
    'clusterrole',
    'agg',
    '--aggregation-rule=rbac.example.com/aggregate=true',
  ),
  create(
    'clusterrolebinding',
    'clusterrolebinding',
    'b',
    '--clusterrole=view',
    '--user=u',
    '--group=g',
  ),
  create(
    'priorityclass',
    'priorityclass',
    'p',
    '--value=10',
    '--description=important',
    '--preemption-policy=Never',
  ),
  create('priorityclass-default', 'priorityclass', 'zero', '--value=0', '--global-default'),
  create('pdb', 'pdb', 'p', '--selector=a=b', '--min-available=1'),
  create('pdb-percent', 'pdb', 'pp', '--selector=a=b', '--max-unavailable=50%'),
  create('quota', 'quota', 'q', '--hard=pods=3,cpu=1,memory=1Gi', '--scopes=BestEffort'),
  create(
    'ingress',
    'ingress',
    'i',
    '--rule=foo.com/bar=svc:80',
    '--rule=bar.com/*=svc2:http,tls=secret1',
    '--class=nginx',
    '--annotation=a=b',
  ),
  create('ingress-default-backend', 'ingress', 'd', '--default-backend=svc:8080'),
  create('serviceaccount', 'serviceaccount', 'sa'),
  other('token', 'create', 'token', 'sa', '--duration=1h', '--audience=api'),
  other(
    'token-bound',
    'create',
    'token',
    'sa',
    '--bound-object-kind=Pod',
    '--bound-object-name=p1',
    '--bound-object-uid=u-p1',
  ),
  other('can-i', 'auth', 'can-i', 'get', 'pods'),
  other('can-i-subresource', 'auth', 'can-i', 'create', 'deployments/scale', '--namespace=prod'),
  other('can-i-nonresource', 'auth', 'can-i', 'get', '/logs'),
  other('can-i-list', 'auth', 'can-i', '--list'),
  other('whoami', 'auth', 'whoami'),
  other(
    'drain',
    'drain',
    'n1',
    '--force',
    '--ignore-daemonsets',
    '--delete-emptydir-data',
    '--grace-period=30',
    '--timeout=5s',
  ),
  other('cordon', 'cordon', 'n1'),
  {
    name: 'autoscale',
    args: ['autoscale', 'deployment', 'web', '--min=2', '--max=5', '--cpu-percent=80'],
    dryRun: true,
  },
  other('debug-node', 'debug', 'node/n1', '--image=busybox', '--profile=general'),
  other(
    'debug-copy',
    'debug',
    'p1',
    '--copy-to=p1-debug',
    '--image=busybox',
    '--container=dbg',
    '--profile=general',
  ),
];

export interface CommandResult {
  stdout: string;
  stderr: string;
  exitCode: number;
  captures: Capture[];
}

/** Runs one command against `server`; captures are the writes it made. */
export async function runKubectl(
  binary: string,
  server: CaptureServer,
  args: string[],
  dir: string,
): Promise<CommandResult> {
  server.reset();
  const argv = [
    `--server=${server.url}`,
    `--cache-dir=${path.join(dir, 'cache')}`,
    ...args.map((a) => a.replaceAll('{dir}', dir)),
  ];
  const env = { ...process.env, KUBECONFIG: path.join(dir, 'no-kubeconfig'), HOME: dir };
  try {
    const { stdout, stderr } = await run(binary, argv, { env, timeout: 30_000 });
    return { stdout, stderr, exitCode: 0, captures: [...server.captures] };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; code?: number };
    return {
      stdout: e.stdout ?? '',
      stderr: e.stderr ?? '',
      exitCode: e.code ?? 1,
      captures: [...server.captures],
    };
  }
}

/** Writes a throwaway self-signed certificate for `create secret tls`. */
export async function writeTlsPair(dir: string): Promise<void> {
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=wharf.test',
    '-keyout',
    path.join(dir, 'tls.key'),
    '-out',
    path.join(dir, 'tls.crt'),
  ]);
}
