import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout } from 'node:timers/promises';
import { AddressPool, gatewayOf, halvesOf, parseSubnet, rangeBeside } from './ipam.ts';

describe('pod address pool (host-local layout)', () => {
  let root = '';
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'wharf-ipam-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const subnets: Array<[string, { base: number; prefix: number; size: number }, string]> = [
    ['10.89.0.0/16', { base: 0x0a590000, prefix: 16, size: 65536 }, '10.89.0.1'],
    ['10.89.3.7/24', { base: 0x0a590300, prefix: 24, size: 256 }, '10.89.3.1'],
    ['192.168.4.0/30', { base: 0xc0a80400, prefix: 30, size: 4 }, '192.168.4.1'],
  ];
  for (const [cidr, parsed, gateway] of subnets) {
    it(`reads ${cidr}`, () => {
      assert.deepEqual(parseSubnet(cidr), parsed);
      assert.equal(gatewayOf(cidr), gateway);
    });
  }
  for (const bad of ['10.89.0.0', '10.89.0.0/31', '10.89.0/16', 'x/16']) {
    it(`refuses ${bad}`, () => assert.throws(() => parseSubnet(bad)));
  }

  it('splits a subnet in halves, and finds the half beside what the engine hands out', () => {
    assert.deepEqual(halvesOf('10.88.0.0/16'), ['10.88.0.0/17', '10.88.128.0/17']);
    assert.deepEqual(halvesOf('10.86.5.9/24'), ['10.86.5.0/25', '10.86.5.128/25']);
    const subnet = '10.88.0.0/16';
    assert.equal(rangeBeside(subnet, undefined), '10.88.128.0/17', 'nothing declared: upper');
    assert.equal(rangeBeside(subnet, '10.88.0.0/17'), '10.88.128.0/17');
    assert.equal(rangeBeside(subnet, '10.88.3.0/24'), '10.88.128.0/17');
    assert.equal(rangeBeside(subnet, '10.88.200.0/24'), '10.88.0.0/17');
    assert.equal(rangeBeside(subnet, '10.88.0.0/16'), undefined, 'all of it');
    assert.equal(rangeBeside(subnet, '10.80.0.0/12'), undefined, 'more than all of it');
    assert.throws(() => rangeBeside(subnet, '10.88.0.0'), /not an IPv4 CIDR/);
  });

  it('hands out only addresses of its range, round-robin within it', async () => {
    const pool = new AddressPool('net-range', '10.1.4.0/28', { root, range: '10.1.4.8/29' });
    const got = await Promise.all(
      ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((id) => pool.allocate(id, 'eth0')),
    );
    assert.deepEqual(
      [...got].sort((x, y) => Number(x.split('.')[3]) - Number(y.split('.')[3])),
      ['10.1.4.8', '10.1.4.9', '10.1.4.10', '10.1.4.11', '10.1.4.12', '10.1.4.13', '10.1.4.14'],
      'the range, less the subnet broadcast',
    );
    await assert.rejects(
      pool.allocate('h', 'eth0'),
      /no free address left in 10\.1\.4\.8–10\.1\.4\.14/,
    );
    await pool.release('10.1.4.9', 'b');
    assert.equal(await pool.allocate('i', 'eth0'), '10.1.4.9', 'wraps around within the range');
    // A cursor left outside the range (by a pool without one) starts it at its beginning.
    const lower = new AddressPool('net-range2', '10.1.5.0/24', { root });
    await lower.allocate('x', 'eth0');
    const upper = new AddressPool('net-range2', '10.1.5.0/24', { root, range: '10.1.5.128/25' });
    assert.equal(await upper.allocate('y', 'eth0'), '10.1.5.128');
    // Addresses outside the range are still its to reserve (the engine gave them).
    assert.equal(await upper.reserve('10.1.5.20', 'engine-made', 'eth0'), true);
    assert.throws(
      () => new AddressPool('net-range3', '10.1.6.0/24', { root, range: '10.1.7.0/25' }),
      /not inside 10\.1\.6\.0\/24/,
    );
    assert.throws(
      () => new AddressPool('net-range3', '10.1.6.0/24', { root, range: '10.1.6.0/31' }),
      /leaves no address/,
    );
  });

  it('hands out each address once, never the gateway, network or broadcast, round-robin', async () => {
    const pool = new AddressPool('net-a', '10.1.2.0/29', { root }); // 8 addresses, 5 usable
    const got = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((id) => pool.allocate(id, 'eth0')));
    assert.deepEqual(
      [...got].sort(),
      ['10.1.2.2', '10.1.2.3', '10.1.2.4', '10.1.2.5', '10.1.2.6'],
      'concurrent allocations never collide',
    );
    await assert.rejects(pool.allocate('f', 'eth0'), /no free address left in 10\.1\.2\.0\/29/);
    assert.equal(
      await readFile(join(pool.dir, '10.1.2.4'), 'utf8'),
      `${ids(got, '10.1.2.4')}\r\neth0`,
    );
    const cursor = () => readFile(join(pool.dir, 'last_reserved_ip.0'), 'utf8').catch(() => '');
    for (let i = 0; i < 100 && (await cursor()) !== '10.1.2.6'; i++) await setTimeout(10);
    assert.equal(await cursor(), '10.1.2.6', 'written after the allocations, in order');

    await pool.release('10.1.2.3', 'not-the-holder');
    assert.ok((await readdir(pool.dir)).includes('10.1.2.3'), 'only its holder releases it');
    await pool.release('10.1.2.3', ids(got, '10.1.2.3'));
    await pool.release('10.1.2.3', ids(got, '10.1.2.3')); // idempotent
    assert.equal(await pool.allocate('g', 'eth0'), '10.1.2.3');
  });

  it('replaces the cursor whole: a reader never finds it empty or cut', async () => {
    const pool = new AddressPool('net-cursor', '10.1.3.0/24', { root });
    const file = join(pool.dir, 'last_reserved_ip.0');
    let allocating = true;
    const seen = new Set<string>();
    const reading = (async () => {
      while (allocating) {
        seen.add(await readFile(file, 'utf8').catch(() => 'absent'));
        await setTimeout(0);
      }
    })();
    for (let round = 0; round < 10; round++) {
      await Promise.all(
        Array.from({ length: 20 }, (_, i) => pool.allocate(`r${round}-${i}`, 'eth0')),
      );
    }
    for (let i = 0; i < 100 && (await readFile(file, 'utf8')) !== '10.1.3.201'; i++) {
      await setTimeout(10);
    }
    allocating = false;
    await reading;
    for (const text of seen) assert.match(text, /^(absent|10\.1\.3\.\d+)$/);
    assert.equal(await readFile(file, 'utf8'), '10.1.3.201');
    assert.ok(!(await readdir(pool.dir)).some((n) => n.endsWith('.next')), 'no file left over');
  });

  it('continues after the last address host-local reserved, and skips what it holds', async () => {
    const dir = join(root, 'net-b');
    const pool = new AddressPool('net-b', '10.7.0.0/24', { root });
    await pool.allocate('first', 'eth0'); // creates the directory: 10.7.0.2
    // Its cursor is written in the background: host-local's write below must come after.
    const cursor = () => readFile(join(dir, 'last_reserved_ip.0'), 'utf8').catch(() => '');
    for (let i = 0; i < 100 && (await cursor()) !== '10.7.0.2'; i++) await setTimeout(10);
    await writeFile(join(dir, 'last_reserved_ip.0'), '10.7.0.40');
    await writeFile(join(dir, '10.7.0.41'), 'someone-else\r\neth0');
    const fresh = new AddressPool('net-b', '10.7.0.0/24', { root });
    assert.equal(await fresh.allocate('second', 'eth0'), '10.7.0.42');
  });

  it('releases by holder when the address was never recorded', async () => {
    const pool = new AddressPool('net-c', '10.8.0.0/24', { root });
    const mine = await pool.allocate('lost', 'eth0');
    const other = await pool.allocate('kept', 'eth0');
    await pool.releaseAll('lost');
    const left = await readdir(pool.dir);
    assert.ok(!left.includes(mine) && left.includes(other), left.join(' '));
  });

  it('reserves an address handed out elsewhere, once, and says who holds what', async () => {
    const pool = new AddressPool('net-d', '10.9.0.0/24', { root });
    assert.equal(await pool.reserve('10.9.0.2', 'engine-made', 'eth0'), true);
    assert.equal(await pool.reserve('10.9.0.2', 'engine-made', 'eth0'), true, 'again: still its');
    assert.equal(await pool.reserve('10.9.0.2', 'another', 'eth0'), false);
    assert.equal(await pool.reserve('10.9.0.1', 'another', 'eth0'), false, 'the gateway');
    assert.equal(await pool.reserve('10.9.1.5', 'another', 'eth0'), false, 'not in the subnet');
    assert.equal(await pool.allocate('next', 'eth0'), '10.9.0.3');
    await writeFile(join(pool.dir, '10.10.0.9'), 'other-subnet\r\neth0');
    assert.deepEqual([...(await pool.holders())].sort(), [
      ['engine-made', '10.9.0.2'],
      ['next', '10.9.0.3'],
    ]);
  });
});

function ids(addresses: string[], address: string): string {
  return ['a', 'b', 'c', 'd', 'e'][addresses.indexOf(address)]!;
}
