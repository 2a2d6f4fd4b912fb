// A stand-in API server that records what kubectl sends: enough discovery for kubectl to
// resolve the resources used in the fixtures, a few canned objects to GET, and a JSON
// echo of every write. Used by the fixture capture script and the live kubectl test.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PROTOBUF_CONTENT_TYPE, decodeProtobufObject } from '../index.ts';

export interface Capture {
  method: string;
  path: string;
  contentType: string;
  body: Buffer;
}

interface Resource {
  name: string;
  kind: string;
  namespaced: boolean;
  /** Subresources, with the group/version/kind of their body where it is not the parent's. */
  subresources?: ReadonlyArray<{ name: string; group?: string; version?: string; kind?: string }>;
}

const r = (
  name: string,
  kind: string,
  namespaced: boolean,
  subresources?: Resource['subresources'],
): Resource => ({
  name,
  kind,
  namespaced,
  subresources,
});

/** Resources served by discovery, by group/version. */
const RESOURCES: ReadonlyArray<readonly [string, readonly Resource[]]> = [
  [
    'v1',
    [
      r('namespaces', 'Namespace', false),
      r('nodes', 'Node', false),
      r('pods', 'Pod', true, [
        { name: 'eviction', group: 'policy', version: 'v1', kind: 'Eviction' },
        { name: 'ephemeralcontainers' },
      ]),
      r('services', 'Service', true),
      r('configmaps', 'ConfigMap', true),
      r('secrets', 'Secret', true),
      r('serviceaccounts', 'ServiceAccount', true, [
        { name: 'token', group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' },
      ]),
      r('resourcequotas', 'ResourceQuota', true),
    ],
  ],
  [
    'apps/v1',
    [
      r('deployments', 'Deployment', true, [
        { name: 'scale', group: 'autoscaling', version: 'v1', kind: 'Scale' },
      ]),
      r('replicasets', 'ReplicaSet', true),
    ],
  ],
  ['batch/v1', [r('jobs', 'Job', true), r('cronjobs', 'CronJob', true)]],
  [
    'rbac.authorization.k8s.io/v1',
    [
      r('roles', 'Role', true),
      r('rolebindings', 'RoleBinding', true),
      r('clusterroles', 'ClusterRole', false),
      r('clusterrolebindings', 'ClusterRoleBinding', false),
    ],
  ],
  ['policy/v1', [r('poddisruptionbudgets', 'PodDisruptionBudget', true)]],
  ['scheduling.k8s.io/v1', [r('priorityclasses', 'PriorityClass', false)]],
  ['networking.k8s.io/v1', [r('ingresses', 'Ingress', true)]],
  ['autoscaling/v1', [r('horizontalpodautoscalers', 'HorizontalPodAutoscaler', true)]],
  [
    'authorization.k8s.io/v1',
    [
      r('selfsubjectaccessreviews', 'SelfSubjectAccessReview', false),
      r('selfsubjectrulesreviews', 'SelfSubjectRulesReview', false),
    ],
  ],
  ['authentication.k8s.io/v1', [r('selfsubjectreviews', 'SelfSubjectReview', false)]],
];

const POD = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'p1',
    namespace: 'default',
    uid: 'u-p1',
    ownerReferences: [
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u-rs', controller: true },
    ],
  },
  spec: { nodeName: 'n1', securityContext: {}, containers: [{ name: 'app', image: 'nginx' }] },
  status: { phase: 'Running' },
};

/** Objects kubectl reads before it writes (drain, cordon, autoscale, debug). */
const OBJECTS: Readonly<Record<string, object>> = {
  '/api/v1/nodes/n1': {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'n1', uid: 'u-n1' },
    spec: {},
  },
  '/api/v1/pods': { apiVersion: 'v1', kind: 'PodList', metadata: {}, items: [POD] },
  '/api/v1/namespaces/default/pods/p1': POD,
  '/apis/apps/v1/namespaces/default/deployments/web': {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', uid: 'u-web' },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'nginx', image: 'nginx' }] },
      },
    },
  },
};

/** What the server adds to the echo of a created object, by kind. */
const STATUS: Readonly<Record<string, object>> = {
  SelfSubjectAccessReview: { allowed: true },
  SelfSubjectRulesReview: { resourceRules: [], nonResourceRules: [], incomplete: false },
  SelfSubjectReview: { userInfo: { username: 'tester', groups: ['system:authenticated'] } },
  TokenRequest: { token: 'token-123', expirationTimestamp: '2030-01-01T00:00:00Z' },
};

export interface CaptureServer {
  url: string;
  captures: Capture[];
  /** Forgets captures and evictions, so each command starts from the same state. */
  reset(): void;
  close(): Promise<void>;
}

export async function startCaptureServer(): Promise<CaptureServer> {
  const captures: Capture[] = [];
  /** Paths of objects evicted or deleted, which GET then reports as gone. */
  const gone = new Set<string>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const method = req.method ?? 'GET';
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const contentType = req.headers['content-type'] ?? '';
      const body = Buffer.concat(chunks);
      if (method !== 'GET') captures.push({ method, path, contentType, body });
      if (path.endsWith('/eviction')) gone.add(path.slice(0, -'/eviction'.length));
      const [status, payload] = gone.has(path)
        ? NOT_FOUND
        : answer(method, path, contentType, body, port());
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(payload));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = () => (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port()}`,
    captures,
    reset: () => {
      captures.length = 0;
      gone.clear();
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const NOT_FOUND: [number, object] = [
  404,
  { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 },
];

function answer(
  method: string,
  path: string,
  contentType: string,
  body: Buffer,
  port: number,
): [number, object] {
  if (method === 'GET') {
    if (path === '/version') {
      return [
        200,
        { major: '1', minor: '32', gitVersion: 'v1.32.0-wharf.0', platform: 'linux/amd64' },
      ];
    }
    if (path === '/api') {
      const serverAddressByClientCIDRs = [
        { clientCIDR: '0.0.0.0/0', serverAddress: `127.0.0.1:${port}` },
      ];
      return [200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs }];
    }
    if (path === '/apis') {
      const groups = RESOURCES.filter(([gv]) => gv.includes('/')).map(([gv]) => {
        const [name, version] = gv.split('/');
        const v = { groupVersion: gv, version };
        return { name, versions: [v], preferredVersion: v };
      });
      return [200, { kind: 'APIGroupList', apiVersion: 'v1', groups }];
    }
    const discovery = RESOURCES.find(([gv]) => path === (gv === 'v1' ? '/api/v1' : `/apis/${gv}`));
    if (discovery) return [200, resourceList(...discovery)];
    if (path === '/openapi/v3') return [200, { paths: {} }];
    return OBJECTS[path] ? [200, OBJECTS[path]] : NOT_FOUND;
  }
  if (method === 'PATCH') return [200, OBJECTS[path] ?? {}];
  if (!contentType.startsWith(PROTOBUF_CONTENT_TYPE))
    return [201, JSON.parse(body.toString() || '{}')];
  const { kind, object } = decodeProtobufObject(body);
  const metadata = (object.metadata ?? {}) as Record<string, unknown>;
  metadata.name ||= `${String(metadata.generateName ?? 'object-')}x1`;
  metadata.uid = 'u-1';
  metadata.creationTimestamp = '2025-01-01T00:00:00Z';
  return [201, { ...object, metadata, ...(STATUS[kind] ? { status: STATUS[kind] } : {}) }];
}

function resourceList(groupVersion: string, resources: readonly Resource[]): object {
  const verbs = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion,
    resources: resources.flatMap(({ name, kind, namespaced, subresources = [] }) => [
      { name, singularName: kind.toLowerCase(), namespaced, kind, verbs },
      ...subresources.map((sub) => ({
        name: `${name}/${sub.name}`,
        singularName: '',
        namespaced,
        group: sub.group,
        version: sub.version,
        kind: sub.kind ?? kind,
        verbs: ['create', 'get', 'patch', 'update'],
      })),
    ]),
  };
}
