import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import type { SandboxSpec } from '../types.ts';
import { hostVethName, netnsName } from '../podnet/index.ts';
import { newId, RecordStore, type SandboxRecord } from './records.ts';
import { rootSkip, run, skip, testEnvironment } from './test-support.ts';

// What podnet/pod-network.ts makes of a pod's network, seen from the host, and the release of
// a sandbox that an older agent attached with the CNI plugins themselves.

const network = { name: 'wharf-test-podnet', bridge: 'wharft3', subnet: '10.216.0.0/16' };
const env = testEnvironment(network);
const addressDir = `/var/lib/cni/networks/${network.name}`;

function sandboxSpec(): SandboxSpec {
  const podUid = randomUUID();
  return { podUid, podName: 'p', namespace: 'test', hostname: 'p', hostNetwork: false, ports: [] };
}

describe('pod networks made with ip (podnet/pod-network.ts)', { skip: skip || rootSkip }, () => {
  it('gives a pod a namespace, a hairpin veth on the bridge and an address, and takes them back', async () => {
    const driver = await env.open(`podnet-${randomUUID().slice(0, 8)}`);
    try {
      const sandbox = await driver.runSandbox(sandboxSpec());
      const [ip] = sandbox.ips;
      assert.match(ip ?? '', /^10\.216\.\d+\.\d+$/);
      const netns = netnsName(sandbox.id);
      const veth = hostVethName(sandbox.id);
      const { stdout: inside } = await run('ip', ['-n', netns, '-4', '-o', 'addr', 'show']);
      assert.match(inside, /\blo\b.*127\.0\.0\.1\/8/);
      assert.match(inside, new RegExp(`eth0.*${ip!.replaceAll('.', '\\.')}/16`));
      const { stdout: route } = await run('ip', ['-n', netns, 'route', 'show', 'default']);
      assert.match(route, /default via 10\.216\.0\.1 dev eth0/);
      const { stdout: port } = await run('ip', ['-d', 'link', 'show', veth]);
      assert.match(
        port,
        new RegExp(`master ${network.bridge}.*state UP|state UP.*master ${network.bridge}`, 's'),
      );
      assert.match(port, /hairpin on/);
      assert.equal(
        (await readFile(`${addressDir}/${ip}`, 'utf8')).split('\r\n')[0],
        sandbox.id,
        'the address is held as host-local holds it',
      );
      const { stdout: nat } = await run('iptables', ['-w', '-t', 'nat', '-S', 'POSTROUTING']);
      assert.match(nat, /-s 10\.216\.0\.0\/16 .*wharf pods of wharf-test-podnet.* -j WHARF-MASQ-/);

      await driver.removeSandbox(sandbox.id);
      assert.ok(!existsSync(`/run/netns/${netns}`), 'the namespace is gone');
      assert.ok(!existsSync(`/sys/class/net/${veth}`), 'the veth is gone');
      assert.ok(!(await readdir(addressDir)).includes(ip!), 'the address is free again');
    } finally {
      await driver.close();
    }
  });

  it('releases a sandbox an older agent attached with the CNI plugins', async () => {
    const instance = `legacy-${randomUUID().slice(0, 8)}`;
    const driver = await env.open(instance); // makes the bridge, as before the plugins ran
    try {
      const id = newId();
      const netns = netnsName(id);
      await run('ip', ['netns', 'add', netns]);
      const bridge = {
        cniVersion: '1.0.0',
        name: network.name,
        type: 'bridge',
        bridge: network.bridge,
        isGateway: true,
        ipMasq: true,
        hairpinMode: true,
        ipam: {
          type: 'host-local',
          ranges: [[{ subnet: network.subnet }]],
          routes: [{ dst: '0.0.0.0/0' }],
        },
      };
      const added = spawnSync('/usr/lib/cni/bridge', [], {
        input: JSON.stringify(bridge),
        env: {
          CNI_COMMAND: 'ADD',
          CNI_CONTAINERID: id,
          CNI_NETNS: `/run/netns/${netns}`,
          CNI_IFNAME: 'eth0',
          CNI_PATH: '/usr/lib/cni',
          PATH: process.env.PATH,
        },
      });
      assert.equal(added.status, 0, added.stdout.toString());
      const ip = (
        JSON.parse(added.stdout.toString()) as { ips: Array<{ address: string }> }
      ).ips[0]!.address.split('/')[0]!;
      const record: SandboxRecord = {
        ...{ instance, id, podUid: randomUUID(), podName: 'old', namespace: 'test' },
        ...{ hostname: 'old', hostNetwork: false, ports: [], state: 'ready', ips: [ip] },
        ...{ createdAt: new Date().toISOString(), netns, network },
      };
      const dirs = { stateDir: env.stateDir, runDir: env.runDir };
      await new RecordStore(dirs, instance).writeSandbox(record);
      const chains = async () =>
        (await run('iptables', ['-w', '-t', 'nat', '-S'])).stdout.includes(`id: \\"${id}\\"`);
      assert.ok(await chains(), 'the bridge plugin masqueraded the pod with a chain of its own');

      assert.deepEqual(
        (await driver.listSandboxes()).map((s) => s.id),
        [id],
      );
      await driver.removeSandbox(id);
      assert.ok(!existsSync(`/run/netns/${netns}`), 'the namespace is gone');
      assert.ok(!(await readdir(addressDir)).includes(ip), 'host-local released the address');
      assert.ok(!(await chains()), 'the masquerade chain is gone');
    } finally {
      await driver.close();
    }
  });
});
