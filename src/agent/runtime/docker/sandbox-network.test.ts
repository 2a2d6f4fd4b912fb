import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import {
  missingCommand,
  missingExecutable,
  missingRoot,
} from '../../../../test/support/requirements.ts';
import {
  ensureTestImage,
  missingDockerEngine,
  missingTestImage,
} from '../../../../test/support/test-image.ts';
import type {
  ContainerSpec,
  ContainerStatus,
  RuntimeDriver,
  SandboxSpec,
  SandboxStatus,
} from '../types.ts';
import { testContainerSpec } from '../conformance.ts';
import { openEngine } from './engine.ts';
import { PAUSE_IMAGE } from './pause.ts';
import { createDockerDriver } from './index.ts';

// Sandboxes wharf attaches to the engine's bridge itself (sandbox-network.ts): what the
// engine no longer does for them (address, /etc files, hostPorts) and what a restart
// must find again. Two pods binding one port and a pod's containers sharing localhost
// are the conformance suite's.

const skip =
  (await missingDockerEngine()) ||
  (await missingTestImage()) ||
  missingRoot('network namespaces and veths') ||
  missingCommand('ip', 'apt-get install iproute2') ||
  missingExecutable('/usr/lib/cni/portmap', 'apt-get install containernetworking-plugins') ||
  missingCommand('busybox', 'apt-get install busybox-static');

const POOL = '/var/lib/cni/networks/docker-wharf';

/**
 * Who holds an address of the shared pool. A released address may already be held by a
 * pod of another test file running meanwhile, so a release is seen as "not ours".
 */
async function holderOf(address: string): Promise<string | undefined> {
  const text = await readFile(join(POOL, address), 'utf8').catch(() => undefined);
  return text?.split('\r\n')[0];
}

describe('docker sandboxes wharf attaches', { skip }, () => {
  const docker = openEngine();
  const instance = `docker-attach-${randomUUID().slice(0, 8)}`;
  const exits = new Map<string, (s: ContainerStatus) => void>();
  let etcRoot = '';
  let driver: RuntimeDriver;
  let image = '';

  before(async () => {
    image = await ensureTestImage();
    etcRoot = await mkdtemp(join(tmpdir(), 'wharf-test-docker-etc-'));
    driver = await createDockerDriver({ instance, etcRoot });
    driver.onContainerExit((s) => exits.get(s.id)?.(s));
  });

  after(async () => {
    for (const sandbox of (await driver?.listSandboxes()) ?? []) {
      await driver.removeSandbox(sandbox.id);
    }
    await driver?.close();
    await rm(etcRoot, { recursive: true, force: true });
  });

  const sandboxSpec = (extra: Partial<SandboxSpec> = {}): SandboxSpec => ({
    podUid: randomUUID(),
    podName: 'pod',
    namespace: 'attach-test',
    hostname: 'web-0',
    hostNetwork: false,
    ports: [],
    ...extra,
  });

  const spec = (podUid: string, command: string): ContainerSpec =>
    testContainerSpec(
      { podUid, podName: 'pod', namespace: 'attach-test' },
      `c-${randomUUID().slice(0, 6)}`,
      image,
      { command: ['sh', '-c', command] },
    );

  async function output(id: string): Promise<string> {
    let text = '';
    for await (const line of driver.logs(id, { follow: false })) text += line.data.toString();
    return text;
  }

  async function runToExit(sandboxId: string, podUid: string, command: string) {
    const id = await driver.createContainer(sandboxId, spec(podUid, command));
    const exited = new Promise<ContainerStatus>((resolve) => exits.set(id, resolve));
    await driver.startContainer(id);
    assert.equal((await exited).reason, 'Completed');
    return output(id);
  }

  /** The first line a TCP server at the address sends, retried until it answers. */
  async function answer(host: string, port: number): Promise<string> {
    for (let i = 0; i < 50; i++) {
      const got = await new Promise<string>((resolve) => {
        const socket = connect({ host, port, timeout: 1_000 });
        let data = '';
        socket.on('data', (chunk) => (data += chunk.toString()));
        socket.on('end', () => resolve(data));
        socket.on('error', () => resolve(''));
        socket.on('timeout', () => socket.destroy());
        socket.on('close', () => resolve(data));
      });
      if (got) return got;
      await sleep(100);
    }
    throw new Error(`nothing answered at ${host}:${port}`);
  }

  it('gives a sandbox an address from its pool on the bridge, its /etc files, no engine network', async () => {
    const s = sandboxSpec({
      dns: { servers: ['10.96.0.10'], searches: ['attach-test.svc.cluster.local'], options: [] },
    });
    const sandbox = await driver.runSandbox(s);
    const [ip] = sandbox.ips;
    assert.ok(ip?.startsWith('10.88.'), `an address on the wharf network: ${ip}`);
    const info = await docker.getContainer(sandbox.id).inspect();
    assert.equal((info.Config as { NetworkDisabled?: boolean }).NetworkDisabled, true);
    assert.deepEqual(Object.keys(info.NetworkSettings.Networks ?? {}), []);
    assert.equal((await readFile(join(POOL, ip!), 'utf8')).split('\r\n')[0], sandbox.id);
    assert.ok(existsSync(`/run/netns/wharf-${sandbox.id.slice(0, 12)}`));

    const seen = await runToExit(
      sandbox.id,
      s.podUid,
      'hostname; cat /etc/hosts /etc/resolv.conf; ip -4 addr show eth0',
    );
    assert.match(seen, /^web-0\n/);
    assert.match(seen, new RegExp(`${ip!.replaceAll('.', '\\.')}\\tweb-0`));
    assert.match(seen, /nameserver 10\.96\.0\.10\nsearch attach-test\.svc\.cluster\.local/);
    assert.match(seen, new RegExp(`inet ${ip!.replaceAll('.', '\\.')}/16`));

    // Reachable from the node, as services need.
    const server = await driver.createContainer(
      sandbox.id,
      spec(s.podUid, 'nc -l -p 8080 -e echo hello-pod'),
    );
    await driver.startContainer(server);
    assert.equal(await answer(ip!, 8080), 'hello-pod\n');
  });

  it("copies the node's resolver, without loopback nameservers, when the pod has none", async () => {
    const s = sandboxSpec();
    const sandbox = await driver.runSandbox(s);
    const seen = await runToExit(sandbox.id, s.podUid, 'cat /etc/resolv.conf');
    const node = await readFile('/etc/resolv.conf', 'utf8');
    for (const line of node.split('\n')) {
      const server = /^nameserver\s+(\S+)/.exec(line)?.[1];
      if (!server) continue;
      const loopback = server.startsWith('127.') || server === '::1';
      assert.equal(seen.includes(`nameserver ${server}`), !loopback, line);
    }
  });

  it('maps a hostPort to the pod through portmap, and unmaps it at removal', async () => {
    const hostPort = 18000 + Math.floor(Math.random() * 900);
    const s = sandboxSpec({ ports: [{ containerPort: 8080, hostPort, protocol: 'TCP' }] });
    const sandbox = await driver.runSandbox(s);
    const server = await driver.createContainer(
      sandbox.id,
      spec(s.podUid, 'while true; do nc -l -p 8080 -e echo hello-port; done'),
    );
    await driver.startContainer(server);
    const nodeIp = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal && !a.address.startsWith('10.88.'));
    assert.ok(nodeIp, 'the node has an address of its own');
    assert.equal(await answer(nodeIp.address, hostPort), 'hello-port\n');
    // From another machine: a test host in a namespace of its own, through FORWARD.
    const host = await testHost();
    try {
      const { stdout } = await until(() =>
        run('ip', [
          'netns',
          'exec',
          host.netns,
          'busybox',
          'nc',
          '-w',
          '2',
          host.nodeSide,
          `${hostPort}`,
        ]),
      );
      assert.equal(stdout, 'hello-port\n');
    } finally {
      await host.remove();
    }
    await driver.removeSandbox(sandbox.id);
    const { stdout } = await run('iptables-save', ['-t', 'nat']);
    assert.ok(!stdout.includes(`--dport ${hostPort} `), 'the DNAT rule went with the pod');
  });

  it('takes the network down at stop, releases the address, and is idempotent', async () => {
    const sandbox = await driver.runSandbox(sandboxSpec());
    const ip = sandbox.ips[0]!;
    const veth = `wh${sandbox.id.slice(0, 12)}`;
    assert.ok(existsSync(`/sys/class/net/${veth}`));
    await driver.stopSandbox(sandbox.id);
    assert.notEqual(await holderOf(ip), sandbox.id, 'the address is free again');
    assert.ok(!existsSync(`/run/netns/wharf-${sandbox.id.slice(0, 12)}`));
    assert.ok(!existsSync(`/sys/class/net/${veth}`));
    assert.ok(!existsSync(join(etcRoot, sandbox.id)));
    await driver.stopSandbox(sandbox.id);
    await driver.removeSandbox(sandbox.id);
    await driver.removeSandbox(sandbox.id);
  });

  it('is found again by a restarted driver, which frees what no sandbox holds any more', async () => {
    const s = sandboxSpec();
    const sandbox = await driver.runSandbox(s);
    // What an agent that died half-way leaves: an address and /etc files, no container.
    const gone = randomBytes(32).toString('hex');
    await writeFile(join(POOL, '10.88.254.254'), `${gone}\r\neth0`);
    await mkdir(join(etcRoot, gone));
    const restarted = await createDockerDriver({ instance, etcRoot });
    try {
      const listed = (await restarted.listSandboxes()).find((x) => x.id === sandbox.id);
      assert.deepEqual(listed?.ips, sandbox.ips);
      assert.equal(listed?.state, 'ready');
      assert.notEqual(await holderOf('10.88.254.254'), gone, 'the stale address was released');
      assert.ok(!existsSync(join(etcRoot, gone)), 'the stale /etc files were removed');
      // Its containers still get the pod's /etc files from a driver that did not attach it.
      const id = await restarted.createContainer(sandbox.id, spec(s.podUid, 'cat /etc/hosts'));
      const info = await docker.getContainer(id).inspect();
      assert.ok(info.HostConfig.Mounts?.some((m) => m.Target === '/etc/hosts'));
      await restarted.removeSandbox(sandbox.id);
      assert.notEqual(await holderOf(sandbox.ips[0]!), sandbox.id, 'its address was released');
    } finally {
      await restarted.close();
    }
  });

  it('reports a sandbox whose attaching never finished as not ready', async () => {
    const sandbox = await driver.runSandbox(sandboxSpec());
    // The address lost, as if the agent had died between starting it and attaching it.
    await rm(join(POOL, sandbox.ips[0]!));
    const restarted = await createDockerDriver({ instance, etcRoot });
    try {
      const listed = (await restarted.listSandboxes()).find((x) => x.id === sandbox.id);
      assert.equal(listed?.state, 'notready');
      assert.deepEqual(listed?.ips, []);
      await restarted.removeSandbox(sandbox.id);
      assert.ok(!existsSync(`/run/netns/wharf-${sandbox.id.slice(0, 12)}`));
    } finally {
      await restarted.close();
    }
  });

  it('keeps the pod network in use for the engine, so that a prune leaves it under running pods', async () => {
    const holder = await docker.getContainer('wharf-network-holder-wharf').inspect();
    assert.equal(holder.State.Running, true);
    const ip = holder.NetworkSettings.Networks?.wharf?.IPAddress ?? '';
    assert.equal((await readFile(join(POOL, ip), 'utf8')).split('\r\n')[0], holder.Name.slice(1));
    const sandbox = await driver.runSandbox(sandboxSpec());
    assert.notEqual(sandbox.ips[0], ip);
    // Only networks of wharf's pods: others on the engine are not this test's to remove.
    await run('docker', ['network', 'prune', '-f', '--filter', 'label=dev.wharf.network=pods']);
    assert.ok(await docker.getNetwork('wharf').inspect(), 'the network is still there');
    await driver.removeSandbox(sandbox.id);
  });

  it('shares the network with the engine: the engine hands out its lower half, wharf the upper', async () => {
    const tag = randomBytes(3).toString('hex');
    const made = { name: `wharf-split-${tag}`, subnet: '10.86.0.0/24' };
    // As older agents made it: no IPRange, so the engine hands out all of the subnet.
    const older = { name: `wharf-old-${tag}`, subnet: '10.86.1.0/24' };
    const last = (ip: string | undefined) => Number(ip?.split('.')[3]);
    const cleanups: Array<() => Promise<unknown>> = [];
    try {
      await docker.createNetwork({
        Name: older.name,
        Driver: 'bridge',
        IPAM: { Driver: 'default', Config: [{ Subnet: older.subnet }] },
        Labels: { 'dev.wharf.network': 'pods' },
      });
      for (const network of [made, older]) {
        cleanups.push(
          () => docker.getContainer(`wharf-network-holder-${network.name}`).remove({ force: true }),
          () => docker.getNetwork(network.name).remove(),
          () =>
            rm(`/var/lib/cni/networks/docker-${network.name}`, { recursive: true, force: true }),
        );
      }
      for (const network of [made, older]) {
        const split = await createDockerDriver({ instance, network, etcRoot });
        cleanups.unshift(() => split.close());
        const info = await docker.getNetwork(network.name).inspect();
        const ipam = (info.IPAM?.Config ?? []) as Array<{ Subnet?: string; IPRange?: string }>;
        if (network === made) {
          assert.deepEqual(
            ipam.map(({ Subnet, IPRange }) => ({ Subnet, IPRange })),
            [{ Subnet: '10.86.0.0/24', IPRange: '10.86.0.0/25' }],
          );
        }
        const sandboxes: SandboxStatus[] = [];
        for (let i = 0; i < 3; i++) sandboxes.push(await split.runSandbox(sandboxSpec()));
        cleanups.unshift(async () => {
          for (const sandbox of sandboxes) await split.removeSandbox(sandbox.id);
        });
        for (const sandbox of sandboxes) {
          assert.ok(last(sandbox.ips[0]) >= 128, `a pod wharf attaches: ${sandbox.ips[0]}`);
        }
        const holder = await docker.getContainer(`wharf-network-holder-${network.name}`).inspect();
        const held = holder.NetworkSettings.Networks?.[network.name]?.IPAddress;
        assert.ok(last(held) >= 128, `the network's holder: ${held}`);
        // What the engine attaches itself: a container run on the network by hand.
        const { stdout } = await run('docker', [
          'run',
          '-d',
          '--network',
          network.name,
          PAUSE_IMAGE,
        ]);
        const byHand = stdout.trim();
        cleanups.unshift(() => docker.getContainer(byHand).remove({ force: true }));
        const given = (await docker.getContainer(byHand).inspect()).NetworkSettings.Networks?.[
          network.name
        ]?.IPAddress;
        assert.ok(last(given) >= 2 && last(given) < 128, `the engine's: ${given}`);
      }
    } finally {
      for (const cleanup of cleanups) await cleanup().catch(() => undefined);
    }
  });

  it('claims the addresses of sandboxes the engine attached, and frees them at removal', async () => {
    // A network of this test's own: the engine's own allocations on `wharf` know nothing
    // of the pods other tests run there (why a machine's agents upgrade together).
    const network = { name: `wharf-up-${randomBytes(3).toString('hex')}`, subnet: '10.87.0.0/16' };
    const pool = `/var/lib/cni/networks/docker-${network.name}`;
    let sandboxId = '';
    try {
      const engineDriver = await createDockerDriver({ instance, network, attach: 'engine' });
      try {
        const sandbox = await engineDriver.runSandbox(sandboxSpec());
        sandboxId = sandbox.id;
        const info = await docker.getContainer(sandbox.id).inspect();
        assert.equal(info.NetworkSettings.Networks?.[network.name]?.IPAddress, sandbox.ips[0]);
      } finally {
        await engineDriver.close();
      }
      const upgraded = await createDockerDriver({ instance, network, etcRoot });
      try {
        const listed = (await upgraded.listSandboxes()).find((x) => x.id === sandboxId)!;
        assert.equal(listed.state, 'ready');
        const ip = listed.ips[0]!;
        assert.equal((await readFile(join(pool, ip), 'utf8')).split('\r\n')[0], sandboxId);
        await upgraded.removeSandbox(sandboxId);
        assert.ok(!existsSync(join(pool, ip)));
      } finally {
        await upgraded.close();
      }
    } finally {
      await docker
        .getContainer(`wharf-network-holder-${network.name}`)
        .remove({ force: true })
        .catch(() => undefined);
      await docker
        .getNetwork(network.name)
        .remove()
        .catch(() => undefined);
      await rm(pool, { recursive: true, force: true });
    }
  });
});

const run = promisify(execFile);

/** Retries a command until it prints something, for at most ~5 s. */
async function until(command: () => Promise<{ stdout: string }>): Promise<{ stdout: string }> {
  for (let i = 0; ; i++) {
    const out = await command().catch(() => ({ stdout: '' }));
    if (out.stdout || i >= 25) return out;
    await sleep(200);
  }
}

/**
 * A machine next to the node: a network namespace joined to it by a veth pair, with a
 * /30 of TEST-NET-1 (192.0.2.0/24, never routed anywhere) between them.
 */
async function testHost(): Promise<{ netns: string; nodeSide: string; remove(): Promise<void> }> {
  const tag = randomBytes(3).toString('hex');
  const netns = `wharf-th-${tag}`;
  const block = 4 * Math.floor(Math.random() * 63);
  const nodeSide = `192.0.2.${block + 1}`;
  const hostSide = `192.0.2.${block + 2}`;
  const veth = `wt${tag}`;
  const remove = async () => {
    await run('ip', ['netns', 'delete', netns]).catch(() => undefined);
    await run('ip', ['link', 'del', veth]).catch(() => undefined);
  };
  try {
    await run('ip', ['netns', 'add', netns]);
    await run('ip', ['link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
    await run('ip', ['addr', 'add', `${nodeSide}/30`, 'dev', veth]);
    await run('ip', ['link', 'set', veth, 'up']);
    await run('ip', ['-n', netns, 'addr', 'add', `${hostSide}/30`, 'dev', 'eth0']);
    await run('ip', ['-n', netns, 'link', 'set', 'eth0', 'up']);
    await run('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
  } catch (err) {
    await remove();
    throw err;
  }
  return { netns, nodeSide, remove };
}
