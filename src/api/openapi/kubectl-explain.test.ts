// Proves the generated /openapi/v3 documents against the real kubectl: a minimal plain-HTTP
// server answers discovery and OpenAPI for pods and deployments, and kubectl explains
// fields from it and uses it to decide on field validation.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  buildOpenApiV3Document,
  buildOpenApiV3Index,
  openApiV3PathOf,
  serializeDocument,
  type ResourceInfo,
} from './index.ts';

const KUBECTL = '/usr/bin/kubectl';
const VERSIONED = (minor: number) => `/usr/lib/google-cloud-sdk/bin/kubectl.1.${minor}`;
const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

const served: Record<string, { resource: ResourceInfo; shortNames: string[] }[]> = {
  v1: [
    {
      resource: {
        kind: 'Pod',
        plural: 'pods',
        namespaced: true,
        verbs: VERBS,
        subresources: ['status', 'log', 'exec'],
      },
      shortNames: ['po'],
    },
  ],
  'apps/v1': [
    {
      resource: {
        kind: 'Deployment',
        plural: 'deployments',
        namespaced: true,
        verbs: VERBS,
        subresources: ['status', 'scale'],
      },
      shortNames: ['deploy'],
    },
  ],
};

interface FakeServer {
  url: string;
  requests: string[];
  /** When set, PATCH operations are left out of the documents, as an old server would. */
  withoutPatch: boolean;
  close(): Promise<void>;
}

async function startServer(): Promise<FakeServer> {
  const documents = new Map<string, { json: string; hash: string }>();
  const documentFor = (gv: string, withoutPatch: boolean) => {
    const key = `${gv}:${withoutPatch}`;
    if (!documents.has(key)) {
      const [group, version] = gv.includes('/') ? gv.split('/') : ['', gv];
      const resources = served[gv].map((s) => ({
        ...s.resource,
        verbs: s.resource.verbs.filter((v) => !withoutPatch || v !== 'patch'),
      }));
      documents.set(key, serializeDocument(buildOpenApiV3Document({ group, version }, resources)));
    }
    return documents.get(key)!;
  };
  const state = { withoutPatch: false, requests: [] as string[] };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    state.requests.push(url.pathname);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    const { port } = server.address() as AddressInfo;
    const resourceList = (gv: string) => ({
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: gv,
      resources: served[gv].flatMap(({ resource, shortNames }) => [
        {
          name: resource.plural,
          singularName: resource.kind.toLowerCase(),
          namespaced: resource.namespaced,
          kind: resource.kind,
          verbs: resource.verbs,
          shortNames,
        },
        ...resource.subresources.map((sub) => ({
          name: `${resource.plural}/${sub}`,
          singularName: '',
          namespaced: resource.namespaced,
          kind: resource.kind,
          verbs: ['get'],
        })),
      ]),
    });
    const gvOfOpenApiPath = Object.fromEntries(
      Object.keys(served).map((gv) => [`/openapi/v3/${openApiV3PathOf(gv)}`, gv]),
    );
    switch (url.pathname) {
      case '/version':
        return send(200, {
          major: '1',
          minor: '32',
          gitVersion: 'v1.32.0-wharf.0',
          gitCommit: '0000000000000000000000000000000000000000',
          gitTreeState: 'clean',
          buildDate: '2025-01-01T00:00:00Z',
          goVersion: 'go1.23.0',
          compiler: 'gc',
          platform: 'linux/amd64',
        });
      case '/api':
        return send(200, {
          kind: 'APIVersions',
          versions: ['v1'],
          serverAddressByClientCIDRs: [
            { clientCIDR: '0.0.0.0/0', serverAddress: `127.0.0.1:${port}` },
          ],
        });
      case '/apis': {
        const groupVersion = { groupVersion: 'apps/v1', version: 'v1' };
        const apps = { name: 'apps', versions: [groupVersion], preferredVersion: groupVersion };
        return send(200, { kind: 'APIGroupList', apiVersion: 'v1', groups: [apps] });
      }
      case '/api/v1':
        return send(200, resourceList('v1'));
      case '/apis/apps/v1':
        return send(200, resourceList('apps/v1'));
      case '/openapi/v3':
        return send(
          200,
          buildOpenApiV3Index(
            Object.keys(served),
            (gv) => documentFor(gv, state.withoutPatch).hash,
          ),
        );
    }
    const gv = gvOfOpenApiPath[url.pathname];
    if (gv) return send(200, documentFor(gv, state.withoutPatch).json);
    send(404, {
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      reason: 'NotFound',
      code: 404,
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return state.requests;
    },
    get withoutPatch() {
      return state.withoutPatch;
    },
    set withoutPatch(value: boolean) {
      state.withoutPatch = value;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let tmp = '';

const MANIFEST = [
  'apiVersion: apps/v1',
  'kind: Deployment',
  'metadata: {name: web}',
  'spec:',
  '  selector: {matchLabels: {app: web}}',
  '  bogusField: 1',
  '  template:',
  '    metadata: {labels: {app: web}}',
  '    spec: {containers: [{name: web, image: nginx}]}',
  '',
].join('\n');

function kubectl(binary: string, server: FakeServer, args: string[]): Promise<Run> {
  // A fresh cache dir per run: kubectl caches discovery and OpenAPI by server address.
  const cacheDir = fs.mkdtempSync(path.join(tmp, 'cache-'));
  const env = { ...process.env, KUBECONFIG: path.join(tmp, 'no-kubeconfig'), HOME: tmp };
  const argv = ['--server', server.url, '--cache-dir', cacheDir, ...args];
  return new Promise((resolve) => {
    execFile(binary, argv, { env, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const missing = !fs.existsSync(KUBECTL);
if (missing && process.env.CI === 'true') throw new Error(`${KUBECTL} is missing`);
const skip = missing ? `needs ${KUBECTL}: apt-get install -y kubectl` : false;

describe('real kubectl against the generated OpenAPI v3 documents', { skip }, () => {
  let server: FakeServer;
  let manifest = '';
  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-openapi-'));
    manifest = path.join(tmp, 'deploy-with-unknown-field.yaml');
    fs.writeFileSync(manifest, MANIFEST);
    server = await startServer();
  });
  after(async () => {
    await server.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  // kubectl 1.27 and 1.28 read OpenAPI v2 before explaining: src/api/openapi-v2 and
  // test/kubectl/discovery.test.ts cover them against a server that serves it.
  const binaries = [KUBECTL, ...[29, 30, 31, 32, 33].map(VERSIONED)].filter((b) =>
    fs.existsSync(b),
  );
  for (const binary of binaries) {
    const name = `${path.basename(binary)} explains deployment.spec.template.spec.containers`;
    test(name, async () => {
      const run = await kubectl(binary, server, [
        'explain',
        'deployment.spec.template.spec.containers',
      ]);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /KIND:\s+Deployment/);
      assert.match(run.stdout, /FIELD:\s+containers\s+<\[\]Container>/);
      assert.match(run.stdout, /A single application container that you want to run within a pod/);
      assert.match(run.stdout, /^\s+image\s+<string>/m);
      assert.match(run.stdout, /^\s+ports\s+<\[\]ContainerPort>/m);
    });
  }

  test('explain pod.metadata shows ObjectMeta fields with descriptions', async () => {
    const run = await kubectl(KUBECTL, server, ['explain', 'pod.metadata.labels']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /KIND:\s+Pod/);
    assert.match(run.stdout, /FIELD:\s+labels\s+<map\[string\]string>/);
    assert.match(run.stdout, /Map of string keys and values/);
  });

  test('create --validate=strict leaves field checks to the server', async () => {
    const seen = server.requests.length;
    const run = await kubectl(KUBECTL, server, [
      'create',
      '-f',
      manifest,
      '--dry-run=client',
      '--validate=strict',
      '-o',
      'name',
    ]);
    // The PATCH operation advertises fieldValidation, so kubectl skips client-side schema
    // validation (the unknown field would be the server's to reject) and needs no v2.
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trim(), 'deployment.apps/web');
    const requests = server.requests.slice(seen);
    assert.ok(requests.includes('/openapi/v3/apis/apps/v1'), requests.join(' '));
    assert.ok(!requests.includes('/openapi/v2'), requests.join(' '));
  });

  test('without PATCH operations kubectl falls back to OpenAPI v2 and fails', async () => {
    server.withoutPatch = true;
    try {
      const run = await kubectl(KUBECTL, server, [
        'create',
        '-f',
        manifest,
        '--dry-run=client',
        '--validate=strict',
        '-o',
        'name',
      ]);
      assert.notEqual(run.code, 0);
      assert.match(run.stderr, /openapi/i);
    } finally {
      server.withoutPatch = false;
    }
  });
});
