import assert from 'node:assert/strict';
import https from 'node:https';
import { after, before, describe, it } from 'node:test';
import { startTestCluster, type TestCluster } from './support/cluster.ts';

// A few thousand malformed and hostile requests: every one must get a metav1.Status with
// a 4xx code, the server must keep answering, and nothing may reach the store.

interface Reply {
  code: number;
  body: string;
}

function seeded(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('hostile input', () => {
  let cluster: TestCluster;
  let agent: https.Agent;
  const send = (
    method: string,
    path: string,
    body?: string | Buffer,
    headers: Record<string, string> = {},
  ) =>
    new Promise<Reply>((resolve, reject) => {
      const url = new URL(path, cluster.url);
      const req = https.request(
        url,
        {
          method,
          agent,
          ca: cluster.caPem,
          headers: {
            Authorization: `Bearer ${cluster.token}`,
            'Content-Type': 'application/json',
            // Node sends DELETE bodies without a length unless told; kubectl always sets it.
            ...(body !== undefined ? { 'Content-Length': String(Buffer.byteLength(body)) } : {}),
            ...headers,
          },
          timeout: 10_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ code: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
          );
        },
      );
      req.on('error', (err) =>
        reject(new Error(`${method} ${path.slice(0, 100)}: ${err.message}`)),
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.end(body);
    });

  before(async () => {
    cluster = await startTestCluster();
    agent = new https.Agent({ keepAlive: true, maxSockets: 16 });
  });
  after(async () => {
    agent?.destroy();
    await cluster?.close();
  });

  /** Every key and its revision, but leases: the controller manager renews its own. */
  async function storeSnapshot(): Promise<Record<string, number>> {
    const list = await cluster.store.list('/registry/');
    return Object.fromEntries(
      list.kvs
        .filter((kv) => !kv.key.startsWith('/registry/coordination.k8s.io/leases/'))
        .map((kv) => [kv.key, kv.modRevision]),
    );
  }

  function expectStatus(r: Reply, what: string): void {
    assert.ok(
      r.code >= 400 && r.code < 500,
      `${what}: expected a 4xx, got ${r.code}: ${r.body.slice(0, 300)}`,
    );
    let status: { kind?: string; code?: number; message?: string; reason?: string };
    try {
      status = JSON.parse(r.body) as typeof status;
    } catch {
      assert.fail(`${what}: answer is not JSON: ${r.body.slice(0, 200)}`);
    }
    assert.equal(status.kind, 'Status', what);
    assert.equal(status.code, r.code, what);
    assert.ok(status.message && status.message.length > 0, `${what}: no message`);
  }

  it('answers every malformed request with a 4xx Status and writes nothing', async () => {
    const before = await storeSnapshot();
    const rand = seeded(42);
    const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const randomString = (n: number) =>
      Array.from({ length: n }, () => String.fromCharCode(32 + Math.floor(rand() * 95))).join('');
    const deep = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
    const deepObject = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
    const cmPath = '/api/v1/namespaces/default/configmaps';
    const generators: (() => [string, string, (string | Buffer)?, Record<string, string>?])[] = [
      () => ['POST', cmPath, randomString(1 + Math.floor(rand() * 200))],
      () => ['POST', cmPath, '{"metadata":{"name":' + randomString(5)],
      () => ['POST', cmPath, JSON.stringify([1, 2, 3])],
      () => ['POST', cmPath, 'null'],
      () => ['POST', cmPath, String(rand())],
      () => ['POST', cmPath, deep(5000 + Math.floor(rand() * 50000))],
      () => ['POST', cmPath, deepObject(2000 + Math.floor(rand() * 20000))],
      () => [
        'POST',
        cmPath,
        JSON.stringify({ metadata: { name: randomString(20).replace(/[a-z0-9]/g, '_') + 'X' } }),
      ],
      () => ['POST', cmPath, JSON.stringify({ metadata: { name: 'x'.repeat(300) } })],
      () => [
        'POST',
        cmPath,
        JSON.stringify({ metadata: { name: 'ok', labels: { 'bad key!': 'v' } } }),
      ],
      () => [
        'POST',
        cmPath,
        JSON.stringify({ metadata: { name: 'ok', labels: { k: 'x'.repeat(100) } } }),
      ],
      () => [
        'POST',
        cmPath,
        JSON.stringify({ kind: 'Pod', apiVersion: 'v1', metadata: { name: 'wrongkind' } }),
      ],
      () => [
        'POST',
        cmPath,
        JSON.stringify({ apiVersion: 'apps/v1', metadata: { name: 'wrongversion' } }),
      ],
      () => ['POST', cmPath, JSON.stringify({ metadata: { name: 'rv', resourceVersion: '5' } })],
      () => [
        'POST',
        `${cmPath}?fieldValidation=Strict`,
        JSON.stringify({ metadata: { name: 'strict', bogus: 1 } }),
      ],
      () => [
        'POST',
        `${cmPath}?fieldValidation=Strict`,
        JSON.stringify({ metadata: { name: 'strict2' }, data: { a: 'b' }, extra: 1 }),
      ],
      () => [
        'POST',
        `${cmPath}?fieldValidation=Sometimes`,
        JSON.stringify({ metadata: { name: 'fv' } }),
      ],
      () => [
        'POST',
        cmPath,
        JSON.stringify({ metadata: { name: 'big' }, data: { a: 'x'.repeat(4 * 1024 * 1024) } }),
      ],
      () => [
        'POST',
        cmPath,
        JSON.stringify({ metadata: { name: 'ok' } }),
        { 'Content-Type': pick(['text/plain', 'application/xml', 'image/png']) },
      ],
      () => [
        'POST',
        cmPath,
        randomBuffer(rand),
        { 'Content-Type': 'application/vnd.kubernetes.protobuf' },
      ],
      () => [
        'POST',
        cmPath,
        Buffer.concat([Buffer.from('k8s\0'), randomBuffer(rand)]),
        { 'Content-Type': 'application/vnd.kubernetes.protobuf' },
      ],
      () => ['POST', cmPath, 'a: [unclosed\n  - b: {', { 'Content-Type': 'application/yaml' }],
      () => [
        'POST',
        '/api/v1/namespaces/nowhere/configmaps',
        JSON.stringify({ metadata: { name: 'x' } }),
      ],
      () => [
        'POST',
        '/apis/apps/v1/namespaces/default/deployments',
        JSON.stringify({ metadata: { name: 'd' }, spec: { replicas: 'many' } }),
      ],
      () => [
        'POST',
        '/apis/apps/v1/namespaces/default/deployments',
        JSON.stringify({
          metadata: { name: 'd' },
          spec: { replicas: -3, selector: {}, template: {} },
        }),
      ],
      () => [
        'POST',
        '/api/v1/namespaces/default/pods',
        JSON.stringify({ metadata: { name: 'p' }, spec: { containers: [] } }),
      ],
      () => [
        'GET',
        `${cmPath}?labelSelector=${encodeURIComponent(pick(['a in (', '!!x', 'a=b=c', '=', 'x,,y', randomString(10)]))}`,
      ],
      () => [
        'GET',
        `${cmPath}?fieldSelector=${encodeURIComponent(pick(['spec.x=1', 'nonsense', 'metadata.name', randomString(8)]))}`,
      ],
      () => ['GET', `${cmPath}?limit=${pick(['-1', 'abc', '1e99x'])}`],
      () => ['GET', `${cmPath}?resourceVersion=${pick(['abc', '-5', '1.5'])}`],
      () => ['GET', `${cmPath}?resourceVersion=1&resourceVersionMatch=Sometimes`],
      () => ['GET', `${cmPath}?continue=${encodeURIComponent(randomString(30))}&limit=5`],
      () => ['GET', `${cmPath}?watch=true&timeoutSeconds=${pick(['x', '-1'])}`],
      () => [
        'GET',
        `${cmPath}?includeObject=Everything`,
        undefined,
        { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' },
      ],
      () => [
        'GET',
        `/api/v1/namespaces/default/${pick(['widgets', 'pod', 'configmap', randomString(6).replace(/\W/g, 'x')])}`,
      ],
      () => ['GET', `/apis/${pick(['nope', 'apps', 'apps/v9'])}/v1/things`],
      () => ['GET', `/api/v1/namespaces/default/configmaps/${pick(['missing', 'also-missing'])}`],
      () => ['PUT', `${cmPath}/missing`, JSON.stringify({ metadata: { name: 'missing' } })],
      () => ['PUT', `${cmPath}/a`, JSON.stringify({ metadata: { name: 'b' } })],
      () => [
        'PATCH',
        `${cmPath}/missing`,
        '{"data":{"a":"b"}}',
        { 'Content-Type': 'application/merge-patch+json' },
      ],
      () => [
        'PATCH',
        `${cmPath}/missing`,
        randomString(40),
        {
          'Content-Type': pick([
            'application/merge-patch+json',
            'application/json-patch+json',
            'application/strategic-merge-patch+json',
          ]),
        },
      ],
      () => ['PATCH', `${cmPath}/missing`, '{}', { 'Content-Type': 'application/json' }],
      () => ['DELETE', `${cmPath}/missing`],
      () => ['DELETE', `${cmPath}/x`, JSON.stringify({ propagationPolicy: 'Sideways' })],
      () => ['DELETE', `${cmPath}/x`, randomString(30)],
      () => ['POST', `${cmPath}/x`, '{}'],
      () => ['PUT', cmPath, '{}'],
      () => ['POST', '/api/v1/nodes/nope/status', '{}'],
      () => ['GET', `/api/v1/namespaces/default/pods/p/${pick(['log', 'exec', 'bogus'])}`],
    ];
    const total = 3000;
    let sent = 0;
    const worker = async () => {
      while (sent < total) {
        const i = sent++;
        const [method, path, body, headers] = generators[i % generators.length]!();
        const r = await send(method, path, body, headers);
        expectStatus(r, `#${i} ${method} ${path.slice(0, 120)}`);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    assert.deepEqual(await storeSnapshot(), before, 'the store changed');
    const ready = await send('GET', '/readyz');
    assert.equal(ready.code, 200);
    const list = await send('GET', cmPath);
    assert.equal(list.code, 200);
  });

  it('refuses a body over 3 MiB with 413 and no token with 401', async () => {
    const big = await send(
      'POST',
      '/api/v1/namespaces/default/configmaps',
      Buffer.alloc(3 * 1024 * 1024 + 1, 32),
    );
    expectStatus(big, 'oversized body');
    assert.equal(big.code, 413);
    const anon = await send('GET', '/api/v1/namespaces', undefined, {
      Authorization: 'Bearer wrong',
    });
    assert.equal(anon.code, 401);
    expectStatus(anon, 'bad token');
  });
});

function randomBuffer(rand: () => number): Buffer {
  return Buffer.from(
    Array.from({ length: 1 + Math.floor(rand() * 300) }, () => Math.floor(rand() * 256)),
  );
}
