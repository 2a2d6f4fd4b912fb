import assert from 'node:assert/strict';
import http from 'node:http';
import type net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import type { Container } from '../k8s-types.ts';
import { newPodRecord, noteContainer, type PodRecord } from '../pods/pod-record.ts';
import { FakeDriver } from '../runtime/index.ts';
import { serveAttach } from './attach.ts';

// The agent's attach endpoint against the fake runtime (whose main processes echo their
// stdin), driven over WebSocket v5 the way kubectl >= 1.30 drives it.

const silent = { info() {}, warn() {}, error() {} };

describe('attach endpoint', () => {
  const runtime = new FakeDriver();
  let server: http.Server;
  let port: number;
  const pods = new Map<string, PodRecord>();

  async function runPod(name: string, container: Partial<Container>, state = 'running') {
    const pod = {
      metadata: { name, namespace: 'default', uid: `uid-${name}` },
      spec: { containers: [{ name: 'main', image: 'fake', ...container }] },
    };
    const record = newPodRecord(pod, new Date().toISOString());
    const sandbox = await runtime.runSandbox({
      ...{ podUid: record.uid, podName: name, namespace: 'default', hostname: name },
      ...{ hostNetwork: false, ports: [] },
    });
    const spec = { podUid: record.uid, podName: name, namespace: 'default', name: 'main' };
    const id = await runtime.createContainer(sandbox.id, {
      ...{ ...spec, attempt: 0, hash: 'h', image: 'fake', command: [], args: [], env: [] },
      ...{ mounts: [], resources: {}, tty: !!container.tty, stdin: !!container.stdin },
      stdinOnce: !!container.stdinOnce,
    });
    if (state === 'running') await runtime.startContainer(id);
    noteContainer(record, await runtime.inspectContainer(id));
    pods.set(name, record);
    return id;
  }

  before(async () => {
    server = http.createServer();
    server.on('upgrade', (req, socket, head) => {
      const pod = pods.get(new URL(req.url!, 'http://x').pathname.split('/')[3]!)!;
      serveAttach({ runtime, log: silent }, pod, 'main', req, socket, head).catch(() => {});
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
  });
  after(() => server.close());

  async function attach(pod: string, query: string) {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/attach/default/${pod}/main?${query}`, [
      'v5.channel.k8s.io',
    ]);
    const channels = new Map<number, string>();
    ws.on('message', (data: Buffer) => {
      channels.set(data[0]!, (channels.get(data[0]!) ?? '') + data.subarray(1).toString());
    });
    const closed = new Promise<number>((resolve) => ws.once('close', resolve));
    await new Promise((resolve) => ws.once('open', resolve));
    const send = (channel: number, text: string) =>
      ws.send(Buffer.concat([Buffer.of(channel), Buffer.from(text)]));
    return { ws, channels, closed, send };
  }

  async function refused(pod: string, query: string): Promise<string> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/attach/default/${pod}/main?${query}`, [
      'v5.channel.k8s.io',
    ]);
    ws.on('error', () => {});
    const res = await new Promise<http.IncomingMessage>((resolve) =>
      ws.once('unexpected-response', (_req, r) => resolve(r)),
    );
    assert.equal(res.statusCode, 400);
    let body = '';
    for await (const chunk of res) body += String(chunk);
    return JSON.parse(body).message;
  }

  const until = async (test: () => boolean) => {
    for (let i = 0; i < 200 && !test(); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(test());
  };

  it('joins stdin, stdout and resizes to the main process; ends with Success at its exit', async () => {
    const id = await runPod('shell', { stdin: true, tty: true });
    const { channels, closed, send } = await attach('shell', 'stdin=true&stdout=true&tty=true');
    send(4, '{"Width":100,"Height":30}');
    send(0, 'hello');
    await until(() => channels.get(1) === 'hello');
    await until(() => runtime.calls.includes('resize main 100x30'));
    runtime.exit(id, 0);
    assert.equal(await closed, 1000);
    assert.deepEqual(JSON.parse(channels.get(3)!), { metadata: {}, status: 'Success' });
  });

  it("detaches when the client's stdin ends, and the container runs on", async () => {
    const id = await runPod('cat', { stdin: true });
    const { closed, channels, send } = await attach('cat', 'stdin=true&stdout=true&stderr=true');
    send(255, '\x00');
    assert.equal(await closed, 1000);
    assert.deepEqual(JSON.parse(channels.get(3)!), { metadata: {}, status: 'Success' });
    assert.equal((await runtime.inspectContainer(id)).state, 'running');
  });

  it('closes stdin instead with stdinOnce, and follows the output until the exit', async () => {
    const id = await runPod('once', { stdin: true, stdinOnce: true });
    const { closed, channels, send } = await attach('once', 'stdin=true&stdout=true');
    send(0, 'last words');
    send(255, '\x00');
    await until(() => runtime.calls.includes('close-stdin main'));
    runtime.emit(id, ' and after');
    runtime.exit(id, 0);
    assert.equal(await closed, 1000);
    assert.equal(channels.get(1), 'last words and after');
  });

  it('refuses stdin and a TTY the container was not created with, in kubectl words', async () => {
    await runPod('plain', {});
    assert.equal(
      await refused('plain', 'stdin=true&stdout=true'),
      'Unable to use stdin - container main did not allocate one (it needs stdin: true)',
    );
    assert.equal(
      await refused('plain', 'stdout=true&tty=true'),
      'Unable to use a TTY - container main did not allocate one',
    );
  });

  it('refuses a container that is not running', async () => {
    await runPod('created', {}, 'created');
    assert.equal(await refused('created', 'stdout=true'), 'container main is not running');
  });
});
