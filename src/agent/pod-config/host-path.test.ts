import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setUpHostPath } from './host-path.ts';

describe('setUpHostPath', () => {
  let root: string;
  let server: net.Server;
  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'wharf-hostpath-'));
    await mkdir(path.join(root, 'dir'));
    await writeFile(path.join(root, 'file'), 'x');
    server = net.createServer();
    await new Promise<void>((resolve) => server.listen(path.join(root, 'sock'), resolve));
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(root, { recursive: true, force: true });
  });

  const notA = (p: string, what: string) => `hostPath type check failed: ${p} is not ${what}`;
  const cases: { name: string; path: string; type?: string; error?: (p: string) => string }[] = [
    { name: 'no type: anything, even nothing', path: 'missing' },
    { name: 'Directory', path: 'dir', type: 'Directory' },
    {
      name: 'Directory on a file',
      path: 'file',
      type: 'Directory',
      error: (p) => notA(p, 'a directory'),
    },
    {
      name: 'Directory missing',
      path: 'missing',
      type: 'Directory',
      error: (p) => notA(p, 'a directory'),
    },
    { name: 'File', path: 'file', type: 'File' },
    { name: 'File on a directory', path: 'dir', type: 'File', error: (p) => notA(p, 'a file') },
    {
      name: 'FileOrCreate on a directory',
      path: 'dir',
      type: 'FileOrCreate',
      error: (p) => notA(p, 'a file'),
    },
    {
      name: 'DirectoryOrCreate on a file',
      path: 'file',
      type: 'DirectoryOrCreate',
      error: (p) => notA(p, 'a directory'),
    },
    { name: 'Socket', path: 'sock', type: 'Socket' },
    {
      name: 'Socket on a file',
      path: 'file',
      type: 'Socket',
      error: (p) => notA(p, 'a socket file'),
    },
    { name: 'CharDevice', path: '/dev/null', type: 'CharDevice' },
    {
      name: 'CharDevice on a file',
      path: 'file',
      type: 'CharDevice',
      error: (p) => notA(p, 'a character device'),
    },
    {
      name: 'BlockDevice on a char device',
      path: '/dev/null',
      type: 'BlockDevice',
      error: (p) => notA(p, 'a block device'),
    },
    {
      name: 'unknown type',
      path: 'dir',
      type: 'Fifo',
      error: () => 'Fifo is an invalid volume type',
    },
    {
      name: 'backsteps',
      path: 'dir/../file',
      error: (p) => `invalid HostPath \`${p}\`: must not contain '..'`,
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const p = path.isAbsolute(c.path) ? c.path : path.join(root, c.path);
      // path.join would collapse `..`; keep it as written.
      const full = c.path.includes('..') ? `${root}/${c.path}` : p;
      if (c.error) await assert.rejects(setUpHostPath(full, c.type), { message: c.error(full) });
      else await setUpHostPath(full, c.type);
    });
  }

  it('DirectoryOrCreate creates the directory and its parents', async () => {
    const p = path.join(root, 'new/deep/dir');
    await setUpHostPath(p, 'DirectoryOrCreate');
    const s = await stat(p);
    assert.ok(s.isDirectory());
    await setUpHostPath(p, 'DirectoryOrCreate');
  });

  it('FileOrCreate creates an empty file, but not its parents', async () => {
    const p = path.join(root, 'created-file');
    await setUpHostPath(p, 'FileOrCreate');
    assert.equal((await stat(p)).size, 0);
    await assert.rejects(setUpHostPath(path.join(root, 'no/such/file'), 'FileOrCreate'), {
      name: 'ConfigError',
    });
  });
});
