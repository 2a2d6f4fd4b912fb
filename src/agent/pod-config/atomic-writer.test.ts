import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, readlink, rm, stat, symlink } from 'node:fs/promises';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AtomicWriter, type Payload } from './atomic-writer.ts';

function payload(files: Record<string, string>, mode = 0o644): Payload {
  return new Map(Object.entries(files).map(([p, s]) => [p, { data: Buffer.from(s), mode }]));
}

describe('AtomicWriter', () => {
  let root: string;
  let n = 0;
  const fresh = async () => {
    const dir = path.join(root, String(n++));
    await mkdir(dir);
    return dir;
  };
  const clock = () => new Date(Date.UTC(2024, 0, 1, 0, 0, n));
  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'wharf-atomic-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('writes the kubelet layout: timestamped dir, ..data link, one link per top name', async () => {
    const dir = await fresh();
    const writer = new AtomicWriter(dir, clock);
    assert.equal(await writer.write(payload({ a: '1', 'sub/b': '2' }, 0o600)), true);
    const entries = (await readdir(dir)).sort();
    assert.equal(entries.length, 4);
    const [tsDir] = entries.filter((e) => /^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\.\d+$/.test(e));
    assert.ok(tsDir, `no timestamped dir in ${entries.join(' ')}`);
    assert.ok(tsDir.startsWith('..2024_01_01_00_00_'));
    assert.equal(await readlink(path.join(dir, '..data')), tsDir);
    assert.equal(await readlink(path.join(dir, 'a')), '..data/a');
    assert.equal(await readlink(path.join(dir, 'sub')), '..data/sub');
    assert.equal(await readFile(path.join(dir, 'sub/b'), 'utf8'), '2');
    assert.equal((await stat(path.join(dir, 'a'))).mode & 0o777, 0o600);
    assert.equal((await stat(path.join(dir, tsDir))).mode & 0o777, 0o755);
  });

  it('swaps content atomically, visible through a path opened before the update', async () => {
    const dir = await fresh();
    const writer = new AtomicWriter(dir, clock);
    await writer.write(payload({ config: 'v1', old: 'x' }));
    const before = await readlink(path.join(dir, '..data'));
    // A container sees the volume through its own path (a bind mount; a symlink here).
    const seen = path.join(root, `view-${n}`);
    await symlink(dir, seen);
    assert.equal(await readFile(path.join(seen, 'config'), 'utf8'), 'v1');

    assert.equal(await writer.write(payload({ config: 'v2', added: 'y' })), true);
    assert.equal(await readFile(path.join(seen, 'config'), 'utf8'), 'v2');
    assert.equal(await readFile(path.join(seen, 'added'), 'utf8'), 'y');
    await assert.rejects(readFile(path.join(seen, 'old')), { code: 'ENOENT' });
    const after = await readlink(path.join(dir, '..data'));
    assert.notEqual(after, before);
    const entries = await readdir(dir);
    assert.ok(!entries.includes(before), 'the previous version is removed');
    assert.ok(!entries.includes('old'), 'the link of a removed key is removed');
    assert.ok(!entries.includes('..data_tmp'));
  });

  it('writes nothing when the content is unchanged, but restores missing links', async () => {
    const dir = await fresh();
    const writer = new AtomicWriter(dir, clock);
    await writer.write(payload({ a: '1' }));
    const version = await readlink(path.join(dir, '..data'));
    await rm(path.join(dir, 'a'));
    assert.equal(await writer.write(payload({ a: '1' })), false);
    assert.equal(await readlink(path.join(dir, '..data')), version);
    assert.equal(await readFile(path.join(dir, 'a'), 'utf8'), '1');
  });

  it('recovers from a ..data_tmp left by a crash', async () => {
    const dir = await fresh();
    await writeFile(path.join(dir, '..data_tmp'), '');
    assert.equal(await new AtomicWriter(dir, clock).write(payload({ a: '1' })), true);
    assert.equal(await readFile(path.join(dir, 'a'), 'utf8'), '1');
  });

  it('writes an empty payload as an empty version', async () => {
    const dir = await fresh();
    assert.equal(await new AtomicWriter(dir, clock).write(new Map()), true);
    assert.deepEqual(
      (await readdir(dir)).filter((e) => !e.startsWith('..2')),
      ['..data'],
    );
  });

  const invalid: [string, string][] = [
    ['', 'invalid path: must not be empty: ""'],
    ['/etc/passwd', 'invalid path: must be relative path: /etc/passwd'],
    ['a/../../b', "invalid path: must not contain '..': a/../../b"],
    ['..data/x', "invalid path: must not start with '..': ..data/x"],
    ['x'.repeat(256), 'invalid path: filenames must be less than or equal to 255 characters'],
  ];
  for (const [p, message] of invalid) {
    it(`refuses path ${JSON.stringify(p.slice(0, 20))}`, async () => {
      const dir = await fresh();
      await assert.rejects(new AtomicWriter(dir, clock).write(payload({ [p]: 'x' })), { message });
      assert.deepEqual(await readdir(dir), []);
    });
  }
});
