import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import http from 'node:http';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import type { KubeObject } from '../../../api/index.ts';
import { ServiceProxy, type InformerSource } from '../proxier.ts';
import type { DataPlane, ProxyTable, ServicePortRule } from '../types.ts';
import { parseIptablesSave } from './restore.ts';
import { newIptablesDataPlane, type IptablesDataPlane } from './data-plane.ts';
import { lockKernelRules } from '../../../../test/support/kernel-lock.ts';

// The kernel data plane on the real kernel: a bridge wharftst0 (10.201.0.1/24) with two
// backends in network namespaces (wharftst-a .2, wharftst-b .3) and a client namespace
// (wharftst-c .4), each backend answering HTTP on 8080 and UDP on 8053 with its name.
// Root only; skipped otherwise, except under CI=true where it fails.

const run = promisify(execFile);
const BRIDGE = 'wharftst0';
const NAMESPACES = { a: '10.201.0.2', b: '10.201.0.3', c: '10.201.0.4' } as const;
const SERVICE_CIDR = '10.96.200.0/24';
const VIP = '10.96.200.1';
const EMPTY_VIP = '10.96.200.2';
const NODE_PORT = 31080;

async function missingRequirement(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'needs root (set CI=true to fail instead of skipping)';
  for (const [tool, pkg] of [
    ['iptables-restore', 'iptables'],
    ['iptables-save', 'iptables'],
    ['iptables', 'iptables'],
    ['ip', 'iproute2'],
    ['conntrack', 'conntrack'],
  ]) {
    try {
      await run('which', [tool!]);
    } catch {
      return `needs ${tool}: apt-get install ${pkg}`;
    }
  }
  return undefined;
}
const missing = await missingRequirement();
if (missing && process.env.CI === 'true') throw new Error(`kernel test under CI: ${missing}`);

const sh = (cmd: string, ...args: string[]) => run(cmd, args);
const quiet = (cmd: string, ...args: string[]) => run(cmd, args).catch(() => undefined);

async function teardownNetwork(): Promise<void> {
  for (const ns of Object.keys(NAMESPACES)) await quiet('ip', 'netns', 'del', `wharftst-${ns}`);
  await quiet('ip', 'link', 'del', BRIDGE);
}

/** The body of GET http://host:port/, or the error code (ECONNREFUSED, ETIMEDOUT, ...). */
function get(host: string, port: number, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path: '/', agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () =>
      req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })),
    );
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

/** Distinct answers of up to `max` requests, stopping once every one of `want` was seen. */
async function answers(host: string, port: number, want: string[], max = 40): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < max && !want.every((w) => seen.has(w)); i++) seen.add(await get(host, port));
  return seen;
}

const rule = (over: Partial<ServicePortRule>): ServicePortRule => ({
  id: 'wharftst/web:http',
  namespace: 'wharftst',
  name: 'web',
  portName: 'http',
  protocol: 'TCP',
  clusterIPs: [VIP],
  port: 80,
  nodePort: 0,
  externalIPs: [],
  loadBalancerIPs: [],
  sessionAffinity: null,
  externalLocalOnly: false,
  internalLocalOnly: false,
  endpoints: [],
  ...over,
});
const backends = (...names: ('a' | 'b')[]) =>
  names.map((n) => ({ ip: NAMESPACES[n], port: 8080, isLocal: true }));
const table = (...names: ('a' | 'b')[]): ProxyTable => ({
  services: [
    rule({ id: 'wharftst/empty:http', name: 'empty', clusterIPs: [EMPTY_VIP] }),
    rule({ nodePort: NODE_PORT, endpoints: backends(...names) }),
    rule({ id: 'wharftst/web:other', portName: 'other', port: 81 }),
  ],
});

/** The answer of one datagram to VIP:53 on `socket` (one flow per socket), or `timeout`. */
function ask(socket: dgram.Socket, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => done('timeout'), timeoutMs);
    const onMessage = (msg: Buffer) => done(msg.toString());
    function done(answer: string) {
      clearTimeout(timer);
      socket.off('message', onMessage);
      resolve(answer);
    }
    socket.on('message', onMessage);
    socket.send('who', 53, VIP);
  });
}

const udpRule = (...names: ('a' | 'b')[]) =>
  rule({
    ...{ id: 'wharftst/dns:dns', name: 'dns', portName: 'dns', protocol: 'UDP', port: 53 },
    endpoints: names.map((n) => ({ ip: NAMESPACES[n], port: 8053, isLocal: true })),
  });

/** What `iptables -t nat -F` does to wharf's host path: its chain emptied, its jump gone. */
async function flushLikeAnotherTool(): Promise<void> {
  await sh('iptables', '-w', '5', '-t', 'nat', '-F', 'WHARF-SERVICES');
  await sh(
    ...['iptables', '-w', '5', '-t', 'nat', '-D', 'OUTPUT'],
    ...['-m', 'comment', '--comment', 'wharf service portals', '-j', 'WHARF-SERVICES'],
  );
}

describe('iptables data plane on the kernel', { skip: missing, timeout: 600_000 }, () => {
  const servers: ChildProcess[] = [];
  let plane: IptablesDataPlane;
  let unlock: (() => void) | undefined;

  before(async () => {
    unlock = await lockKernelRules();
    await teardownNetwork();
    await sh('ip', 'link', 'add', BRIDGE, 'type', 'bridge');
    await sh('ip', 'addr', 'add', '10.201.0.1/24', 'dev', BRIDGE);
    await sh('ip', 'link', 'set', BRIDGE, 'up');
    for (const [name, ip] of Object.entries(NAMESPACES)) {
      const ns = `wharftst-${name}`;
      await sh('ip', 'netns', 'add', ns);
      await sh('ip', 'link', 'add', `${ns}0`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
      await sh('ip', 'link', 'set', `${ns}0`, 'master', BRIDGE, 'up');
      await sh('ip', '-n', ns, 'addr', 'add', `${ip}/24`, 'dev', 'eth0');
      await sh('ip', '-n', ns, 'link', 'set', 'eth0', 'up');
      await sh('ip', '-n', ns, 'link', 'set', 'lo', 'up');
      await sh('ip', '-n', ns, 'route', 'add', 'default', 'via', '10.201.0.1');
      if (name === 'c') continue;
      const script = [
        `require('node:http').createServer((q, s) => s.end('${ns}')).listen(8080);`,
        `const u = require('node:dgram').createSocket('udp4');`,
        `u.on('message', (m, r) => u.send('${ns}', r.port, r.address)).bind(8053);`,
      ].join('');
      servers.push(
        spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', script], { stdio: 'ignore' }),
      );
    }
    for (const ip of [NAMESPACES.a, NAMESPACES.b]) {
      const deadline = Date.now() + 10_000;
      while ((await get(ip, 8080, 500)) !== `wharftst-${ip === NAMESPACES.a ? 'a' : 'b'}`) {
        assert.ok(Date.now() < deadline, `backend ${ip} did not come up`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    plane = newIptablesDataPlane({
      serviceCIDR: SERVICE_CIDR,
      localRouteDevice: BRIDGE,
      log: { info: () => {}, warn: console.warn, error: console.error },
    });
    await plane.apply(table('a', 'b'));
  });

  after(async () => {
    await plane?.close().catch((err) => console.error('closing the data plane:', err));
    for (const child of servers) child.kill();
    await teardownNetwork();
    unlock?.();
  });

  it('balances host connections to the VIP across both backends', async () => {
    const seen = await answers(VIP, 80, ['wharftst-a', 'wharftst-b']);
    assert.deepEqual([...seen].sort(), ['wharftst-a', 'wharftst-b']);
  });

  it('serves a client in another namespace on the bridge, past a DROP FORWARD policy', async () => {
    const { stdout } = await sh(
      'ip',
      ...['netns', 'exec', 'wharftst-c', 'curl', '-sS', '--max-time', '5', `http://${VIP}/`],
    );
    assert.match(stdout, /^wharftst-[ab]$/);
  });

  it('serves the node port on 127.0.0.1 and on the bridge address', async () => {
    for (const host of ['127.0.0.1', '10.201.0.1']) {
      assert.match(await get(host, NODE_PORT), /^wharftst-[ab]$/, `node port on ${host}`);
    }
  });

  it('refuses a service port without endpoints at once', async () => {
    for (const [host, port] of [
      [VIP, 81],
      [EMPTY_VIP, 80],
    ] as const) {
      // Refused, not dropped (a drop would time out).
      assert.equal(await get(host, port), 'ECONNREFUSED', `${host}:${port}`);
    }
  });

  it('pins a client to one backend with ClientIP affinity (xt_recent)', async () => {
    const pinned = table('a', 'b');
    pinned.services[1]!.sessionAffinity = { timeoutSeconds: 60 };
    await plane.apply(pinned);
    const seen = new Set<string>();
    for (let i = 0; i < 12; i++) seen.add(await get(VIP, 80));
    assert.equal(seen.size, 1, `answers: ${[...seen].join(', ')}`);
  });

  it('follows a table update: one backend left, its stale chain deleted', async () => {
    const before = parseIptablesSave((await sh('iptables-save')).stdout).chains.nat;
    await plane.apply(table('a'));
    const after = parseIptablesSave((await sh('iptables-save')).stdout).chains.nat;
    assert.equal(
      [...after].filter((c) => c.startsWith('WHARF-SEP-')).length,
      [...before].filter((c) => c.startsWith('WHARF-SEP-')).length - 1,
    );
    const seen = await answers(VIP, 80, ['wharftst-b'], 20);
    assert.deepEqual([...seen], ['wharftst-a']);
  });

  it('moves a UDP flow off an endpoint that is removed (its conntrack entries deleted)', async () => {
    const client = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => client.bind(0, resolve));
    try {
      await plane.apply({ services: [...table('a').services, udpRule('a', 'b')] });
      const first = await ask(client);
      assert.match(first, /^wharftst-[ab]$/);
      for (let i = 0; i < 5; i++)
        assert.equal(await ask(client), first, 'a flow keeps its endpoint');
      // Both backends keep running: only the deleted entry can move the flow.
      const other = first === 'wharftst-a' ? 'b' : 'a';
      await plane.apply({ services: [...table('a').services, udpRule(other)] });
      assert.equal(await ask(client), `wharftst-${other}`);
    } finally {
      client.close();
    }
  });

  it('verify reports rules another tool flushed, and an apply puts them back', async () => {
    await plane.apply(table('a'));
    assert.deepEqual(await plane.verify(), []);
    await flushLikeAnotherTool();
    const drift = await plane.verify();
    assert.ok(
      drift.includes('the jump from nat OUTPUT to WHARF-SERVICES is gone'),
      drift.join('; '),
    );
    assert.ok(drift.some((d) => d.startsWith('nat chain WHARF-SERVICES holds 0 rules')));
    assert.doesNotMatch(await get(VIP, 80, 1000), /^wharftst-/, 'the host no longer reaches it');
    await plane.apply(table('a'));
    assert.deepEqual(await plane.verify(), []);
    assert.equal(await get(VIP, 80), 'wharftst-a');
  });

  it('the service proxy puts back flushed rules at its next resync', async () => {
    const objects: Record<string, KubeObject[]> = {
      services: [
        {
          metadata: { namespace: 'wharftst', name: 'web' },
          spec: { clusterIP: VIP, clusterIPs: [VIP], ports: [{ name: 'http', port: 80 }] },
        },
      ],
      endpointslices: [
        {
          metadata: {
            ...{ namespace: 'wharftst', name: 'web-1' },
            labels: { 'kubernetes.io/service-name': 'web' },
          },
          addressType: 'IPv4',
          endpoints: [{ addresses: [NAMESPACES.b] }],
          ports: [{ name: 'http', port: 8080 }],
        },
      ],
    };
    const informers: InformerSource = {
      informerFor: (ref) => ({
        store: { list: () => objects[ref.resource] ?? [] },
        addEventHandler: () => () => undefined,
      }),
      start: () => undefined,
      waitForSync: async () => true,
    };
    // The suite's plane, left open for the next test.
    const shared: DataPlane = {
      mode: 'kernel',
      apply: (t) => plane.apply(t),
      verify: () => plane.verify(),
      close: async () => undefined,
    };
    const warnings: string[] = [];
    const log = {
      info: () => {},
      warn: (_: object, m: string) => warnings.push(m),
      error: console.error,
    };
    const proxy = new ServiceProxy({
      ...{ informers, nodeName: 'wharftst', dataPlane: shared, log },
      resyncIntervalMs: 200,
    });
    const stop = new AbortController();
    await proxy.start(stop.signal);
    try {
      assert.equal(await get(VIP, 80), 'wharftst-b');
      await flushLikeAnotherTool();
      const deadline = Date.now() + 30_000;
      while ((await get(VIP, 80, 500)) !== 'wharftst-b') {
        assert.ok(Date.now() < deadline, 'the cluster IP did not answer again');
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(
        warnings.includes('service proxy: another program changed the rules; applying them again'),
        warnings.join('; '),
      );
    } finally {
      stop.abort();
      await proxy.close();
    }
  });

  it('close removes every chain, jump and the route it created', async () => {
    await plane.close();
    const installed = parseIptablesSave((await sh('iptables-save')).stdout);
    assert.deepEqual([...installed.chains.nat, ...installed.chains.filter], []);
    assert.deepEqual([...installed.jumps.nat, ...installed.jumps.filter], []);
    assert.equal((await sh('ip', 'route', 'show', SERVICE_CIDR)).stdout.trim(), '');
    assert.equal(await get(VIP, 80, 1000).then((r) => r.startsWith('wharftst')), false);
  });
});
