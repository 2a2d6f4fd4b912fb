import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { missingTmpfs } from '../../../../test/support/requirements.ts';
import { RecordStore } from './records.ts';
import { prepareRunDir, processRuntimeRunDir } from './run-dir.ts';

const tmpfsSkip = missingTmpfs('/dev/shm');
const shm = tmpfsSkip === false;

describe('process runtime directory', () => {
  let disk = '';
  let memory = '';
  before(async () => {
    disk = await mkdtemp(join(tmpdir(), 'wharf-rundir-'));
    if (shm) memory = await mkdtemp('/dev/shm/wharf-rundir-test-');
  });
  after(async () => {
    await rm(disk, { recursive: true, force: true });
    if (memory) await rm(memory, { recursive: true, force: true });
  });

  it(
    'takes the first candidate on tmpfs that is a directory of its own, never a link',
    {
      skip: tmpfsSkip,
    },
    async () => {
      const elsewhere = join(memory, 'elsewhere');
      await mkdir(elsewhere);
      await symlink(elsewhere, join(memory, 'link'));
      const candidates = [join(disk, 'wharf'), join(memory, 'link'), join(memory, 'wharf')];
      assert.equal(processRuntimeRunDir(candidates), join(memory, 'wharf', 'process-runtime'));
      assert.equal(existsSync(join(disk, 'wharf')), false, 'nothing is made on a disk');
      assert.equal((await stat(join(memory, 'wharf'))).mode & 0o777, 0o700);
      assert.equal(processRuntimeRunDir([join(disk, 'wharf')]), undefined);
    },
  );

  it('removes what agents whose state directory is gone left, and nothing else', async () => {
    const stateDir = join(disk, 'state');
    const runDir = join(disk, 'run');
    const orphan = new RecordStore({ stateDir: join(disk, 'deleted'), runDir }, 'orphan');
    const alive = new RecordStore({ stateDir, runDir }, 'alive');
    for (const store of [orphan, alive]) {
      await store.init();
      await prepareRunDir(store);
    }
    await mkdir(join(runDir, 'unnamed')); // being made: it has not named its state dir yet
    await rm(join(disk, 'deleted'), { recursive: true });
    await writeFile(join(orphan.runRoot, 'sandboxes', 'x.json'), '{}');

    const mine = new RecordStore({ stateDir, runDir }, 'mine');
    await mine.init();
    const [kept, unrecorded] = ['a'.repeat(24), 'b'.repeat(24)];
    await mine.makeContainerDirs(kept);
    await mine.makeContainerDirs(unrecorded);
    await rm(mine.containerRunDir(unrecorded), { recursive: true }); // as after a reboot
    await prepareRunDir(mine);
    assert.deepEqual((await readdir(runDir)).sort(), ['alive', 'mine', 'unnamed']);
    assert.deepEqual(await readdir(join(mine.stateRoot, 'containers')), [kept]);
  });
});

describe('process runtime directory, records of an older agent', () => {
  it('moves them, also when an earlier move was cut short', async () => {
    const disk = await mkdtemp(join(tmpdir(), 'wharf-rundir-legacy-'));
    try {
      const stateDir = join(disk, 'state');
      const runDir = join(disk, 'run');
      const legacy = new RecordStore({ stateDir }, 'node-a');
      await legacy.init();
      const sandbox = legacy.newSandbox({
        ...{ podUid: 'u', podName: 'p', namespace: 'n', hostname: 'p' },
        ...{ hostNetwork: true, ports: [] },
      });
      await legacy.writeSandbox(sandbox);
      const id = 'c'.repeat(24);
      await legacy.makeContainerDirs(id);
      const record = {
        ...{ instance: 'node-a', id, sandboxId: sandbox.id, podUid: 'u', podName: 'p' },
        ...{ namespace: 'n', name: 'main', attempt: 0, hash: 'h', image: 'i', imageRef: 'i' },
        ...{ command: ['true'], args: [], env: [], mounts: [], resources: {} },
        ...{ state: 'exited' as const, createdAt: new Date().toISOString(), exitCode: 3 },
      };
      await legacy.writeContainer(record);
      await writeFile(join(legacy.containerDir(id), 'exit-code'), '3\n');
      // Cut short before: the container's directory in the runtime directory exists.
      await mkdir(join(runDir, 'node-a', 'containers', id), { recursive: true });

      const store = new RecordStore({ stateDir, runDir }, 'node-a');
      await store.init();
      await prepareRunDir(store);
      assert.deepEqual(
        (await store.listSandboxes()).map((s) => s.id),
        [sandbox.id],
      );
      assert.deepEqual(await store.readContainer(id), record);
      assert.equal(await readFile(store.containerFile(id, 'exit-code'), 'utf8'), '3\n');
      assert.deepEqual(await readdir(store.containerDir(id)), ['exit-code', 'work']);
      assert.equal(existsSync(join(stateDir, 'node-a', 'sandboxes')), false);
    } finally {
      await rm(disk, { recursive: true, force: true });
    }
  });
});
