import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isAlive, signalGroup } from './proc.ts';
import { Spawner } from './spawner.ts';

/** An exit is awaited as the runtime's watchers await it: holding the event loop open. */
function ended<T>(exit: Promise<T>): Promise<T> {
  const keepAlive = setInterval(() => undefined, 60_000);
  return exit.finally(() => clearInterval(keepAlive));
}

describe('process runtime spawner', () => {
  let dir = '';
  const spawner = new Spawner();
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wharf-spawner-'));
  });
  after(async () => {
    spawner.close();
    await rm(dir, { recursive: true, force: true });
  });

  const launch = (script: string) =>
    spawner.launch({
      file: '/bin/sh',
      args: ['-c', script],
      env: { PATH: '/usr/bin:/bin', GREETING: 'hi' },
      cwd: dir,
      stdout: join(dir, 'out'),
      stderr: join(dir, 'err'),
    });

  it('launches a process in a session of its own, with its setup, output and exit', async () => {
    const child = await launch(
      'printf ok >&3; exec 3>&-; echo "$GREETING $(pwd)"; echo e >&2; exit 7',
    );
    assert.ok(child.pid > 0 && /^\d+$/.test(child.startTime));
    assert.equal(await child.setup, 'ok');
    assert.deepEqual(await ended(child.exit), { code: 7, signal: null });
    assert.equal(await readFile(join(dir, 'out'), 'utf8'), `hi ${dir}\n`);
    assert.equal(await readFile(join(dir, 'err'), 'utf8'), 'e\n');
  });

  it('reports a setup that ends without a word, and a signal', async () => {
    const child = await launch('exec 3>&-; kill -TERM $$');
    assert.equal(await child.setup, '');
    assert.deepEqual(await ended(child.exit), { code: null, signal: 'SIGTERM' });
  });

  it('makes what the launch asks for before the process starts, and fails when it cannot', async () => {
    const made = join(dir, 'made', 'deeper');
    const child = await spawner.launch({
      file: '/bin/sh',
      args: ['-c', `cat ${join(made, 'limit')}; exec 3>&-`],
      env: { PATH: '/usr/bin:/bin' },
      cwd: dir,
      stdout: join(dir, 'prepared'),
      stderr: join(dir, 'err'),
      prepare: { dirs: [made], files: [{ path: join(made, 'limit'), text: '42' }] },
    });
    assert.deepEqual(await ended(child.exit), { code: 0, signal: null });
    assert.equal(await readFile(join(dir, 'prepared'), 'utf8'), '42');

    const refused = spawner.launch({
      file: '/bin/true',
      args: [],
      env: {},
      cwd: dir,
      stdout: join(dir, 'out'),
      stderr: join(dir, 'err'),
      prepare: { dirs: [], files: [{ path: join(dir, 'missing', 'limit'), text: '1' }] },
    });
    await assert.rejects(refused, (err: Error & { stage?: string }) => {
      assert.equal(err.stage, 'prepare');
      assert.match(err.message, /ENOENT.*missing\/limit/);
      return true;
    });
  });

  it('refuses what cannot be started', async () => {
    await assert.rejects(
      spawner.launch({
        file: '/no/such/program',
        args: [],
        env: {},
        cwd: dir,
        stdout: join(dir, 'out'),
        stderr: join(dir, 'err'),
      }),
      /ENOENT/,
    );
  });

  it('runs steps in order, stopping after a failure unless it is tolerated', async () => {
    const results = await spawner.run([
      { file: '/bin/cat', args: [], input: 'from stdin' },
      { file: '/bin/sh', args: ['-c', 'echo no >&2; exit 3'], tolerate: true },
      { file: '/bin/sh', args: ['-c', 'echo "$X"'], env: { X: 'env' } },
      { file: '/bin/false', args: [] },
      { file: '/bin/echo', args: ['never'] },
    ]);
    assert.deepEqual(
      results.map((r) => [r.code, r.stdout, r.stderr]),
      [
        [0, 'from stdin', ''],
        [3, '', 'no\n'],
        [0, 'env\n', ''],
        [1, '', ''],
      ],
    );
    const [missing] = await spawner.run([{ file: '/no/such/program', args: [] }]);
    assert.match(missing?.error ?? '', /ENOENT/);
  });

  it('outlives its helper: a launched process is then watched through /proc', async () => {
    const child = await launch('printf ok >&3; exec 3>&-; while :; do sleep 0.05; done');
    assert.equal(await child.setup, 'ok');
    const [parent] = await spawner.run([{ file: '/bin/sh', args: ['-c', 'echo $PPID'] }]);
    process.kill(Number(parent!.stdout), 'SIGKILL'); // the helper
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(await isAlive(child.pid, child.startTime), 'the process outlived the helper');
    signalGroup(child.pid, 'SIGKILL');
    assert.deepEqual(await ended(child.exit), { code: null, signal: null });
    const [again] = await spawner.run([{ file: '/bin/echo', args: ['a new helper'] }]);
    assert.equal(again?.stdout, 'a new helper\n');
  });
});
