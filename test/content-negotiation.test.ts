import assert from 'node:assert/strict';
import https from 'node:https';
import { after, before, describe, it } from 'node:test';
import YAML from 'yaml';
import { startTestCluster, type TestCluster } from './support/cluster.ts';

// What a resource response is written in, over the API server's real HTTPS port: JSON,
// YAML when the client asks for it (as `curl -H 'Accept: application/yaml'` users do),
// and 406 with a metav1.Status for a client that accepts none of the server's types —
// decided before anything is done, so a refused create creates nothing.

interface Reply {
  code: number;
  type: string;
  body: string;
}

const NOT_ACCEPTABLE =
  'only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf';

describe('content negotiation of resource responses', () => {
  let cluster: TestCluster;
  const send = (method: string, path: string, accept: string, body?: object) =>
    new Promise<Reply>((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = https.request(
        new URL(path, cluster.url),
        {
          method,
          ca: cluster.caPem,
          headers: {
            Authorization: `Bearer ${cluster.token}`,
            Accept: accept,
            ...(payload ? { 'Content-Type': 'application/json' } : {}),
          },
          timeout: 10_000,
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () =>
            resolve({
              code: res.statusCode ?? 0,
              type: String(res.headers['content-type']),
              body: text,
            }),
          );
        },
      );
      req.on('error', reject);
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.end(payload);
    });
  const CONFIGMAPS = '/api/v1/namespaces/default/configmaps';

  before(async () => {
    cluster = await startTestCluster();
    const made = await send('POST', CONFIGMAPS, 'application/json', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'settings', labels: { tier: 'web' } },
      data: { mode: 'fast', list: '- a\n- b\n' },
    });
    assert.equal(made.code, 201, made.body);
  });
  after(async () => {
    await cluster?.close();
  });

  it('answers YAML to a client that asks for it: the same object, keys sorted', async () => {
    const json = await send('GET', `${CONFIGMAPS}/settings`, 'application/json');
    const yaml = await send('GET', `${CONFIGMAPS}/settings`, 'application/yaml');
    assert.equal(yaml.code, 200);
    assert.equal(yaml.type, 'application/yaml');
    assert.deepEqual(YAML.parse(yaml.body), JSON.parse(json.body));
    assert.deepEqual(
      yaml.body.split('\n').filter((line) => /^\w/.test(line)),
      ['apiVersion: v1', 'data:', 'kind: ConfigMap', 'metadata:'],
    );
  });

  it('answers a list, a create and an error in YAML too', async () => {
    const list = await send('GET', CONFIGMAPS, 'text/html, application/yaml;q=0.9');
    assert.equal(list.type, 'application/yaml');
    const names = YAML.parse(list.body).items.map(
      (i: { metadata: { name: string } }) => i.metadata.name,
    );
    assert.ok(names.includes('settings'), names.join(' '));

    const created = await send('POST', CONFIGMAPS, 'application/yaml', {
      metadata: { name: 'from-yaml-client' },
      data: { a: '1' },
    });
    assert.equal(created.code, 201);
    assert.equal(YAML.parse(created.body).metadata.name, 'from-yaml-client');

    const missing = await send('GET', `${CONFIGMAPS}/absent`, 'application/yaml');
    assert.equal(missing.code, 404);
    assert.equal(missing.type, 'application/yaml');
    assert.deepEqual(YAML.parse(missing.body), {
      apiVersion: 'v1',
      kind: 'Status',
      metadata: {},
      status: 'Failure',
      message: 'configmaps "absent" not found',
      reason: 'NotFound',
      details: { name: 'absent', kind: 'configmaps' },
      code: 404,
    });
  });

  it('refuses with 406 a client that takes none of its types, before acting', async () => {
    for (const [method, path] of [
      ['GET', `${CONFIGMAPS}/settings`],
      ['GET', CONFIGMAPS],
      ['GET', '/api/v1/namespaces/default/pods/any/log'],
      ['DELETE', `${CONFIGMAPS}/settings`],
    ] as const) {
      const refused = await send(method, path, 'text/html');
      assert.equal(refused.code, 406, `${method} ${path}`);
      assert.equal(refused.type, 'application/json');
      assert.deepEqual(JSON.parse(refused.body), {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: NOT_ACCEPTABLE,
        reason: 'NotAcceptable',
        code: 406,
      });
    }
    const create = await send('POST', CONFIGMAPS, 'text/plain', {
      metadata: { name: 'refused' },
    });
    assert.equal(create.code, 406);
    assert.equal((await send('GET', `${CONFIGMAPS}/refused`, '*/*')).code, 404, 'not created');
    assert.equal((await send('GET', `${CONFIGMAPS}/settings`, '*/*')).code, 200, 'not deleted');
  });

  it('watches only in a type that streams', async () => {
    const yaml = await send('GET', `${CONFIGMAPS}?watch=true&timeoutSeconds=1`, 'application/yaml');
    assert.equal(yaml.code, 406);
    assert.equal(
      JSON.parse(yaml.body).message,
      'only the following media types are accepted: application/json;stream=watch, application/vnd.kubernetes.protobuf;stream=watch',
    );
    const json = await send(
      'GET',
      `${CONFIGMAPS}?watch=true&timeoutSeconds=1&fieldSelector=metadata.name%3Dsettings`,
      'application/json;stream=watch, application/yaml',
    );
    assert.equal(json.code, 200);
    const first = JSON.parse(json.body.split('\n')[0]!);
    assert.equal(first.type, 'ADDED');
    assert.equal(first.object.metadata.name, 'settings');
  });
});
