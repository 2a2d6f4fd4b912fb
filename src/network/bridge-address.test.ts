import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { missingCommand, missingRoot } from '../../test/support/requirements.ts';
import { bridgeAddressPinArgs } from './bridge-address.ts';

const made: string[] = [];
after(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

function fakeSysfs(bridge: string, address: string, assignType: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-test-sysfs-'));
  made.push(dir);
  fs.mkdirSync(path.join(dir, bridge));
  fs.writeFileSync(path.join(dir, bridge, 'address'), `${address}\n`);
  fs.writeFileSync(path.join(dir, bridge, 'addr_assign_type'), `${assignType}\n`);
  return dir;
}

describe('bridgeAddressPinArgs', () => {
  it('sets the address the bridge has when the kernel chose it', () => {
    const sysfs = fakeSysfs('wharf0', '22:84:a2:f2:6b:d8', 1);
    assert.deepEqual(bridgeAddressPinArgs('wharf0', sysfs), [
      'link',
      'set',
      'wharf0',
      'address',
      '22:84:a2:f2:6b:d8',
    ]);
  });

  it('leaves an address set from user space alone', () => {
    assert.equal(
      bridgeAddressPinArgs('wharf0', fakeSysfs('wharf0', '22:84:a2:f2:6b:d8', 3)),
      undefined,
    );
  });

  it('gives a bridge left with the zero address a random local unicast one', () => {
    const args = bridgeAddressPinArgs('wharf0', fakeSysfs('wharf0', '00:00:00:00:00:00', 2));
    const mac = args?.[4] ?? '';
    assert.match(mac, /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    const first = parseInt(mac.slice(0, 2), 16);
    assert.equal(first & 0x03, 0x02, `${mac} is locally administered and unicast`);
  });

  it('throws when the bridge does not exist', () => {
    assert.throws(
      () => bridgeAddressPinArgs('nope', fakeSysfs('wharf0', '22:84:a2:f2:6b:d8', 1)),
      /ENOENT/,
    );
  });
});

const skip =
  missingRoot('creates a bridge and veth links') ||
  missingCommand('ip', 'apt-get install iproute2');

describe('a pinned bridge address, in the kernel', { skip }, () => {
  it('stays when a port with a lower address joins and leaves', () => {
    const ip = (...args: string[]) => execFileSync('ip', args, { encoding: 'utf8' });
    const suffix = String(process.pid % 100000);
    const [bridge, veth, peer] = [`whtb${suffix}`, `whtv${suffix}`, `whtp${suffix}`];
    const address = () => fs.readFileSync(`/sys/class/net/${bridge}/address`, 'utf8').trim();
    ip('link', 'add', bridge, 'type', 'bridge');
    try {
      const before = address();
      ip(...bridgeAddressPinArgs(bridge)!);
      assert.equal(bridgeAddressPinArgs(bridge), undefined, 'pinned once, then left alone');
      ip('link', 'add', veth, 'address', '02:00:00:00:00:01', 'type', 'veth', 'peer', 'name', peer);
      ip('link', 'set', veth, 'master', bridge);
      assert.equal(address(), before, 'a lower port address does not replace it');
      ip('link', 'del', veth);
      assert.equal(address(), before, 'nor does the port leaving');
    } finally {
      for (const link of [veth, bridge]) {
        try {
          execFileSync('ip', ['link', 'del', link], { stdio: 'ignore' });
        } catch {
          // gone already
        }
      }
    }
  });
});
