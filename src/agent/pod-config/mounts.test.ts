import assert from 'node:assert/strict';
import { access, mkdtemp, readFile, realpath, rm, stat, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { PodVolumes } from './index.ts';
import { configMap, makeContainer, makePod, makeSources } from './testing.ts';
import type { Container, VolumeMount } from './types.ts';

const read = (p: string) => readFile(p, 'utf8');
const modeOf = async (p: string) => (await stat(p)).mode & 0o777;

describe('PodVolumes.mountsFor', () => {
  let root: string;
  let podDir: string;
  let hostDir: string;
  let n = 0;
  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'wharf-mounts-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });
  beforeEach(() => {
    n++;
    podDir = path.join(root, `pod-${n}`, 'volumes');
    hostDir = path.join(root, `host-${n}`);
  });

  const sources = () => makeSources([configMap('cfg', { 'app.conf': 'a=1' })]);
  const app = (mounts: Container['volumeMounts'] = []) => makeContainer({ volumeMounts: mounts });
  const pod = () =>
    makePod({
      containers: [app()],
      volumes: [
        { name: 'scratch', emptyDir: {} },
        { name: 'whole', configMap: { name: 'cfg' } },
        { name: 'host', hostPath: { path: hostDir, type: 'DirectoryOrCreate' } },
      ],
    });

  it('resolves mounts: read-only API data, subPath, subPathExpr', async () => {
    const volumes = new PodVolumes(podDir);
    const paths = await volumes.setUp(pod(), sources());
    const container = app([
      { name: 'scratch', mountPath: '/data' },
      { name: 'scratch', mountPath: '/logs', subPathExpr: 'logs/$(POD_NAME)' },
      { name: 'whole', mountPath: '/etc/app.conf', subPath: 'app.conf' },
      { name: 'host', mountPath: '/host', readOnly: true },
    ]);
    const mounts = await volumes.mountsFor(container, [{ name: 'POD_NAME', value: 'web-0' }]);
    const scratch = await realpath(paths.scratch);
    assert.deepEqual(mounts[0], {
      hostPath: paths.scratch,
      containerPath: '/data',
      readOnly: false,
    });
    assert.deepEqual(mounts[1], {
      hostPath: path.join(scratch, 'logs/web-0'),
      containerPath: '/logs',
      readOnly: false,
    });
    assert.ok((await stat(mounts[1].hostPath)).isDirectory());
    assert.equal(await modeOf(mounts[1].hostPath), 0o777);
    assert.equal(await read(mounts[2].hostPath), 'a=1');
    assert.equal(mounts[2].readOnly, true);
    assert.deepEqual(mounts[3], { hostPath: hostDir, containerPath: '/host', readOnly: true });
  });

  it('refuses sub paths that escape their volume', async () => {
    const volumes = new PodVolumes(podDir);
    const paths = await volumes.setUp(pod(), sources());
    await symlink(root, path.join(paths.scratch, 'escape'));
    const cases: [Partial<VolumeMount>, string][] = [
      [{ subPath: '../../x' }, "unable to provision SubPath `../../x`: must not contain '..'"],
      [{ subPath: '/etc' }, 'error SubPath `/etc` must not be an absolute path'],
      [{ subPathExpr: '$(UP)/x' }, "unable to provision SubPath `../x`: must not contain '..'"],
      [{ subPathExpr: '$(NOPE)$(EMPTY)' }, 'missing value for EMPTY, NOPE'],
      [
        { subPath: 'escape' },
        'failed to prepare subPath for volumeMount "scratch" of container "app"',
      ],
      [
        { subPath: 'escape/new' },
        'failed to create subPath directory for volumeMount "scratch" of container "app"',
      ],
    ];
    for (const [fields, message] of cases) {
      const container = app([{ name: 'scratch', mountPath: '/m', ...fields }]);
      const env = [
        { name: 'UP', value: '..' },
        { name: 'EMPTY', value: '' },
      ];
      await assert.rejects(volumes.mountsFor(container, env), { name: 'ConfigError', message });
    }
    await assert.rejects(access(path.join(root, 'new')), { code: 'ENOENT' });
    await assert.rejects(volumes.mountsFor(app([{ name: 'nope', mountPath: '/x' }])), {
      message: 'cannot find volume "nope" to mount into container "app"',
    });
  });
});
