import { missingRoot } from '../../../../test/support/requirements.ts';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { UserspaceDataPlane } from './data-plane.ts';
import { captureLog, freePort, get, httpBackends, rule } from './test-support.ts';
import { runIp, ServiceAddresses, type RunIp } from './vips.ts';

// Test addresses in 10.96.201.0/24 are only ever handed to the fake `ip` below, or (in
// the root-only test) put on a dummy interface, where they are local to this machine.

function fakeIp(fail: Record<string, string> = {}): { runIp: RunIp; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    runIp: async (args) => {
      const call = args.join(' ');
      calls.push(call);
      const match = Object.keys(fail).find((prefix) => call.startsWith(prefix));
      return match ? { ok: false, stderr: fail[match]! } : { ok: true, stderr: '' };
    },
  };
}

describe('ServiceAddresses', () => {
  it('puts non-local service IPs on the dummy interface, and takes them off again', async () => {
    const { runIp, calls } = fakeIp();
    const addrs = new ServiceAddresses({
      log: captureLog(),
      iface: 'wharfus-t0',
      canAdd: true,
      runIp,
    });
    const bindable = await addrs.sync(new Set(['10.96.201.20', '127.96.0.40', 'fd00:96::20']));
    assert.deepEqual([...bindable].sort(), ['10.96.201.20', '127.96.0.40', 'fd00:96::20']);
    await addrs.sync(new Set(['127.96.0.40', 'fd00:96::20']));
    await addrs.close();
    assert.deepEqual(calls, [
      'link add wharfus-t0 type dummy',
      'link set wharfus-t0 up',
      'addr add 10.96.201.20/32 dev wharfus-t0',
      'addr add fd00:96::20/128 dev wharfus-t0 nodad',
      'addr del 10.96.201.20/32 dev wharfus-t0',
      'link del wharfus-t0',
    ]);
  });

  it('leaves an interface it found in place, removing only its addresses', async () => {
    const { runIp, calls } = fakeIp({ 'link add': 'RTNETLINK answers: File exists' });
    const addrs = new ServiceAddresses({
      log: captureLog(),
      iface: 'wharfus-t1',
      canAdd: true,
      runIp,
    });
    await addrs.sync(new Set(['10.96.201.21']));
    await addrs.close();
    assert.deepEqual(calls.slice(1), [
      'link set wharfus-t1 up',
      'addr add 10.96.201.21/32 dev wharfus-t1',
      'addr del 10.96.201.21/32 dev wharfus-t1',
    ]);
  });

  it('falls back to a bridge without ports when the kernel has no dummy interfaces', async () => {
    const { runIp, calls } = fakeIp({
      'link add wharfus-t3 type dummy': 'Error: Unknown device type.',
    });
    const addrs = new ServiceAddresses({
      log: captureLog(),
      iface: 'wharfus-t3',
      canAdd: true,
      runIp,
    });
    assert.deepEqual([...(await addrs.sync(new Set(['10.96.201.23'])))], ['10.96.201.23']);
    await addrs.close();
    assert.deepEqual(calls, [
      'link add wharfus-t3 type dummy',
      'link add wharfus-t3 type bridge',
      'link set wharfus-t3 up',
      'addr add 10.96.201.23/32 dev wharfus-t3',
      'link del wharfus-t3',
    ]);
  });

  it('warns once per service IP it cannot make local, and binds the rest', async () => {
    const log = captureLog();
    const { runIp, calls } = fakeIp({ 'link add': 'RTNETLINK answers: Operation not permitted' });
    const addrs = new ServiceAddresses({ log, iface: 'wharfus-t2', canAdd: true, runIp });
    for (let i = 0; i < 2; i++) {
      const bindable = await addrs.sync(new Set(['10.96.201.22', '127.96.0.41']));
      assert.deepEqual([...bindable], ['127.96.0.41']);
    }
    assert.equal(log.warnings.length, 1);
    assert.match(log.warnings[0]!, /10\.96\.201\.22.*cannot create dummy interface.*not permitted/);
    await addrs.close();
    assert.ok(calls.every((c) => c.startsWith('link add') || c.startsWith('link set')));
  });
});

describe('userspace data plane without root', () => {
  it('skips a non-loopback cluster IP with one warning that root is needed, serving the rest', async () => {
    const backends = await httpBackends(['alpha']);
    const log = captureLog();
    const { runIp, calls } = fakeIp();
    const plane = new UserspaceDataPlane({ log, canAddAddresses: false, runIp });
    const vip = '127.96.0.42';
    const port = await freePort(vip);
    const svc = rule('ns/web', {
      clusterIPs: [vip, '10.96.201.11'],
      port,
      endpoints: [backends.list[0]!.endpoint()],
    });
    await plane.apply({ services: [svc] });
    await plane.apply({ services: [svc] });
    assert.equal(log.warnings.length, 1, log.warnings.join('\n'));
    assert.match(log.warnings[0]!, /service IP 10\.96\.201\.11 .*needs root/);
    assert.equal(await get(vip, port), 'alpha');
    assert.deepEqual(calls, [], 'no ip commands without root');
    await plane.close();
    await backends.close();
  });
});

const exec = promisify(execFile);

describe('userspace data plane as root', () => {
  it(
    'answers on a non-loopback VIP on its dummy interface, and removes the interface on close',
    { skip: missingRoot('adds 10.96.201.10 to interface wharfus-svc0') },
    async () => {
      const iface = 'wharfus-svc0';
      await runIp(['link', 'del', iface]); // a leftover of an interrupted run
      const backends = await httpBackends(['alpha']);
      const plane = new UserspaceDataPlane({ log: captureLog(), vipInterface: iface });
      try {
        const vip = '10.96.201.10';
        await plane.apply({
          services: [
            rule('ns/web', {
              clusterIPs: [vip],
              port: 80,
              endpoints: [backends.list[0]!.endpoint()],
            }),
          ],
        });
        const { stdout } = await exec('ip', ['-o', 'addr', 'show', 'dev', iface]);
        assert.match(stdout, /10\.96\.201\.10\/32/);
        assert.equal(await get(vip, 80), 'alpha');
      } finally {
        await plane.close();
        await backends.close();
      }
      const gone = await runIp(['link', 'show', iface]);
      assert.equal(gone.ok, false, 'the dummy interface is removed');
    },
  );
});
