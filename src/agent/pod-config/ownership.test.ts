import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { missingRoot } from '../../../test/support/requirements.ts';
import { applyFsGroup } from './ownership.ts';

// A pod's fsGroup on a volume's files, as the kubelet's SetVolumeOwnership gives it.

describe('fsGroup ownership of a volume', { skip: missingRoot('giving files any group') }, () => {
  let root = '';
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'wharf-fsgroup-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function volume(name: string) {
    const dir = join(root, name);
    await mkdir(join(dir, 'sub'), { recursive: true, mode: 0o755 });
    await writeFile(join(dir, 'sub', 'key'), 'secret', { mode: 0o400 });
    await symlink('sub/key', join(dir, 'link'));
    return dir;
  }
  const bits = async (p: string) => {
    const s = await stat(p);
    return { gid: s.gid, mode: s.mode & 0o7777 };
  };

  it('gives a read-only volume the group with read, directories set-group-ID', async () => {
    const dir = await volume('ro');
    assert.equal(await applyFsGroup(dir, 2000, true), true);
    assert.deepEqual(await bits(join(dir, 'sub', 'key')), { gid: 2000, mode: 0o440 });
    assert.deepEqual(await bits(join(dir, 'sub')), { gid: 2000, mode: 0o2755 });
    assert.deepEqual(await bits(dir), { gid: 2000, mode: 0o2755 });
    assert.equal((await lstat(join(dir, 'link'))).gid, 2000, 'the link itself');
  });

  it('gives a writable volume the group with read and write', async () => {
    const dir = await volume('rw');
    assert.equal(await applyFsGroup(dir, 3000, false), true);
    assert.deepEqual(await bits(join(dir, 'sub', 'key')), { gid: 3000, mode: 0o660 });
    assert.deepEqual(await bits(join(dir, 'sub')), { gid: 3000, mode: 0o2775 });
  });
});
