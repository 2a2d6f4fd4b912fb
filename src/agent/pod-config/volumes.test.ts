import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, stat, symlink } from 'node:fs/promises';
import { access } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ConfigError, PodVolumes } from './index.ts';
import { configMap, makeContainer, makePod, makeSources, secret } from './testing.ts';
import type { Container, Volume } from './types.ts';

const read = (p: string) => readFile(p, 'utf8');
const modeOf = async (p: string) => (await stat(p)).mode & 0o777;

describe('PodVolumes', () => {
  let root: string;
  let podDir: string;
  let hostDir: string;
  let n = 0;
  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'wharf-volumes-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });
  beforeEach(() => {
    n++;
    podDir = path.join(root, `pod-${n}`, 'volumes');
    hostDir = path.join(root, `host-${n}`);
  });

  const tokenCalls: unknown[][] = [];
  const sources = () =>
    makeSources(
      [
        configMap('cfg', { 'app.conf': 'a=1', other: 'o' }),
        secret('creds', { password: 's3cret', user: 'admin' }),
      ],
      {
        serviceAccountToken: async (pod, audience, expirationSeconds) => {
          tokenCalls.push([pod.metadata?.name, audience, expirationSeconds]);
          return 'token-1';
        },
      },
    );

  const allKinds = (): Volume[] => [
    { name: 'scratch', emptyDir: {} },
    { name: 'cache', emptyDir: { medium: 'Memory', sizeLimit: '1Gi' } },
    { name: 'host', hostPath: { path: hostDir, type: 'DirectoryOrCreate' } },
    {
      name: 'conf',
      configMap: { name: 'cfg', items: [{ key: 'app.conf', path: 'etc/app.conf', mode: 0o600 }] },
    },
    { name: 'whole', configMap: { name: 'cfg', defaultMode: 0o640 } },
    { name: 'creds', secret: { secretName: 'creds', defaultMode: 0o400 } },
    {
      name: 'info',
      downwardAPI: {
        items: [
          { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
          { path: 'name', fieldRef: { fieldPath: 'metadata.name' } },
          {
            path: 'mem',
            resourceFieldRef: { containerName: 'app', resource: 'limits.memory', divisor: '1Mi' },
          },
        ],
      },
    },
    {
      name: 'all-in-one',
      projected: {
        sources: [
          { configMap: { name: 'cfg', items: [{ key: 'other', path: 'other' }] } },
          { secret: { name: 'creds', items: [{ key: 'user', path: 'user' }] } },
          {
            downwardAPI: { items: [{ path: 'ns', fieldRef: { fieldPath: 'metadata.namespace' } }] },
          },
          { serviceAccountToken: { path: 'token', audience: 'vault', expirationSeconds: 600 } },
        ],
      },
    },
  ];
  const app = (mounts: Container['volumeMounts'] = []) =>
    makeContainer({ resources: { limits: { memory: '64Mi' } }, volumeMounts: mounts });
  const podWith = (volumes: Volume[], labels: Record<string, string> = { app: 'web' }) =>
    makePod({ containers: [app()], volumes }, { labels });

  it('keeps secret, projected and Memory emptyDir volumes in the memory directory, and updates them there', async () => {
    const memoryDir = path.join(root, `memory-${n}`);
    const volumes = new PodVolumes(podDir, { memoryDir });
    const pod = podWith(allKinds());
    const paths = await volumes.setUp(pod, sources());
    assert.equal(paths.creds, path.join(memoryDir, 'kubernetes.io~secret', 'creds'));
    assert.equal(
      paths['all-in-one'],
      path.join(memoryDir, 'kubernetes.io~projected', 'all-in-one'),
    );
    assert.equal(paths.conf, path.join(podDir, 'kubernetes.io~configmap', 'conf'));
    assert.equal(paths.scratch, path.join(podDir, 'kubernetes.io~empty-dir', 'scratch'));
    assert.equal(paths.cache, path.join(memoryDir, 'kubernetes.io~empty-dir', 'cache'));
    assert.equal(await modeOf(paths.cache!), 0o777);
    assert.equal(await read(path.join(paths.creds, 'password')), 's3cret');
    assert.equal(await modeOf(path.join(paths.creds, 'password')), 0o400);
    const changed = makeSources(
      [
        configMap('cfg', { 'app.conf': 'a=1', other: 'o' }),
        secret('creds', { password: 'new', user: 'admin' }),
      ],
      { serviceAccountToken: async () => 'token-1' },
    );
    assert.equal(await volumes.update(pod, changed), true);
    assert.equal(await read(path.join(paths.creds, 'password')), 'new');
    await volumes.tearDown();
    await assert.rejects(access(memoryDir));
    await assert.rejects(access(podDir));
  });

  it('sets up every kind under the kubelet layout', async () => {
    const volumes = new PodVolumes(podDir);
    const paths = await volumes.setUp(podWith(allKinds()), sources());
    const plugin = (p: string, name: string) => path.join(podDir, `kubernetes.io~${p}`, name);
    assert.deepEqual(paths, {
      scratch: plugin('empty-dir', 'scratch'),
      cache: plugin('empty-dir', 'cache'),
      host: hostDir,
      conf: plugin('configmap', 'conf'),
      whole: plugin('configmap', 'whole'),
      creds: plugin('secret', 'creds'),
      info: plugin('downward-api', 'info'),
      'all-in-one': plugin('projected', 'all-in-one'),
    });
    assert.equal(await modeOf(paths.scratch), 0o777);
    assert.ok((await stat(hostDir)).isDirectory());
    assert.equal(await read(path.join(paths.conf, 'etc/app.conf')), 'a=1');
    assert.equal(await modeOf(path.join(paths.conf, 'etc/app.conf')), 0o600);
    assert.deepEqual(
      (await readdir(paths.conf)).filter((e) => !e.startsWith('..')),
      ['etc'],
    );
    assert.equal(await read(path.join(paths.whole, 'other')), 'o');
    assert.equal(await modeOf(path.join(paths.whole, 'app.conf')), 0o640);
    assert.equal(await read(path.join(paths.creds, 'password')), 's3cret');
    assert.equal(await modeOf(path.join(paths.creds, 'password')), 0o400);
    assert.equal(await read(path.join(paths.info, 'labels')), 'app="web"');
    assert.equal(await read(path.join(paths.info, 'name')), 'web-0');
    assert.equal(await read(path.join(paths.info, 'mem')), '64');
    const projected = paths['all-in-one'];
    assert.equal(await read(path.join(projected, 'other')), 'o');
    assert.equal(await read(path.join(projected, 'user')), 'admin');
    assert.equal(await read(path.join(projected, 'ns')), 'ns1');
    assert.equal(await read(path.join(projected, 'token')), 'token-1');
    assert.deepEqual(tokenCalls.at(-1), ['web-0', 'vault', 600]);
    assert.equal(await modeOf(path.join(projected, 'token')), 0o644);
  });

  const failures: { name: string; volume: Volume; message: string }[] = [
    {
      name: 'missing ConfigMap',
      volume: { name: 'v', configMap: { name: 'x' } },
      message: 'configmap "x" not found',
    },
    {
      name: 'missing Secret',
      volume: { name: 'v', secret: { secretName: 'x' } },
      message: 'secret "x" not found',
    },
    {
      name: 'missing ConfigMap key',
      volume: { name: 'v', configMap: { name: 'cfg', items: [{ key: 'k', path: 'k' }] } },
      message: 'configmap references non-existent config key: k',
    },
    {
      name: 'missing Secret key',
      volume: { name: 'v', secret: { secretName: 'creds', items: [{ key: 'k', path: 'k' }] } },
      message: 'references non-existent secret key: k',
    },
    {
      name: 'projected: every failure, aggregated',
      volume: {
        name: 'v',
        projected: { sources: [{ configMap: { name: 'x' } }, { secret: { name: 'y' } }] },
      },
      message: '[configmap "x" not found, secret "y" not found]',
    },
    {
      name: 'clusterTrustBundle',
      volume: {
        name: 'v',
        projected: { sources: [{ clusterTrustBundle: { name: 'b', path: 'b' } }] },
      },
      message: 'clusterTrustBundle projections are not supported by wharf',
    },
    {
      name: 'unsupported kind',
      volume: { name: 'v', persistentVolumeClaim: { claimName: 'data' } },
      message: 'persistentVolumeClaim volumes are not supported by wharf',
    },
    {
      name: 'hostPath type',
      volume: { name: 'v', hostPath: { path: '/nonexistent-wharf-path', type: 'Directory' } },
      message: 'hostPath type check failed: /nonexistent-wharf-path is not a directory',
    },
    {
      name: 'bad item path',
      volume: { name: 'v', configMap: { name: 'cfg', items: [{ key: 'other', path: '../x' }] } },
      message: "invalid path: must not contain '..': ../x",
    },
  ];
  for (const f of failures) {
    it(`fails a volume: ${f.name}`, async () => {
      const volumes = new PodVolumes(podDir);
      const pod = podWith([{ name: 'ok', emptyDir: {} }, f.volume]);
      await assert.rejects(volumes.setUp(pod, sources()), (err) => {
        assert.ok(err instanceof ConfigError);
        assert.equal(err.message, f.message);
        assert.equal(err.volume, 'v');
        return true;
      });
    });
  }

  it('sets up optional objects that are missing as empty volumes', async () => {
    const volumes = new PodVolumes(podDir);
    const paths = await volumes.setUp(
      podWith([
        { name: 'a', configMap: { name: 'x', optional: true } },
        {
          name: 'b',
          secret: { secretName: 'creds', optional: true, items: [{ key: 'k', path: 'k' }] },
        },
      ]),
      sources(),
    );
    for (const p of Object.values(paths)) {
      assert.deepEqual(
        (await readdir(p)).filter((e) => !e.startsWith('..2')),
        ['..data'],
      );
    }
  });

  it('updates API-data volumes atomically and reports whether anything changed', async () => {
    const volumes = new PodVolumes(podDir);
    const src = sources();
    const pod = podWith(allKinds());
    await volumes.setUp(pod, src);
    const [mount] = await volumes.mountsFor(app([{ name: 'conf', mountPath: '/etc/conf' }]));
    const seen = path.join(root, `seen-${n}`);
    await symlink(mount.hostPath, seen);
    assert.equal(await volumes.update(pod, src), false);

    src.objects[0] = configMap('cfg', { 'app.conf': 'a=2', other: 'o' });
    assert.equal(await volumes.update(pod, src), true);
    assert.equal(await read(path.join(seen, 'etc/app.conf')), 'a=2');

    assert.equal(await volumes.update(podWith(allKinds(), { app: 'web', v: '2' }), src), true);
    assert.equal(
      await read(path.join(podDir, 'kubernetes.io~downward-api/info/labels')),
      'app="web"\nv="2"',
    );

    src.objects.splice(0, 1);
    await assert.rejects(volumes.update(pod, src), { message: 'configmap "cfg" not found' });
    assert.equal(await read(path.join(seen, 'etc/app.conf')), 'a=2', 'kept on failure');
  });

  it('tears down everything under podDir, never the hostPath', async () => {
    const volumes = new PodVolumes(podDir);
    await volumes.setUp(podWith(allKinds()), sources());
    await volumes.tearDown();
    await assert.rejects(access(podDir), { code: 'ENOENT' });
    assert.ok((await stat(hostDir)).isDirectory());
    await volumes.tearDown();
  });
});
