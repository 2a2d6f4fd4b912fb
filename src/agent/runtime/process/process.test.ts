import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { runRuntimeConformance } from '../conformance.ts';
import {
  RuntimeError,
  type ContainerSpec,
  type ContainerStatus,
  type RuntimeDriver,
} from '../types.ts';
import { processRuntimeNotes } from './index.ts';
import { FILES, instanceDirName } from './records.ts';
import { collect, rootSkip, run, skip, spec, testEnvironment, until } from './test-support.ts';

const env = testEnvironment({ name: 'wharf-test', bridge: 'wharft0', subnet: '10.213.0.0/16' });
const open = env.open;

runRuntimeConformance({ name: 'process', newDriver: (i) => open(i), image: 'host', skip });
runRuntimeConformance({
  name: 'process (host network)',
  newDriver: (i) => open(i, { podNetwork: 'host' }),
  image: 'host',
  skip,
});

describe('process runtime', { skip }, () => {
  const instance = `process-${randomUUID().slice(0, 8)}`;
  let driver: RuntimeDriver;
  let sandboxId: string;
  const podUid = randomUUID();

  before(async () => {
    driver = await open(instance, { maxLogBytes: 2048 });
    sandboxId = (
      await driver.runSandbox({
        podUid,
        podName: 'p',
        namespace: 'test',
        hostname: 'p',
        hostNetwork: false,
        ports: [],
      })
    ).id;
  });

  after(async () => {
    await driver.removeSandbox(sandboxId);
    await driver.close();
  });

  async function start(name: string, script: string, extra: Partial<ContainerSpec> = {}) {
    const id = await driver.createContainer(sandboxId, spec(podUid, name, script, extra));
    await driver.startContainer(id);
    return id;
  }

  async function exited(id: string): Promise<ContainerStatus> {
    return until(`${id} to exit`, async () => {
      const status = await driver.inspectContainer(id);
      return status.state === 'exited' ? status : undefined;
    });
  }

  it('explains that a container needs a command', async () => {
    await assert.rejects(
      driver.createContainer(sandboxId, spec(podUid, 'x', '', { command: [] })),
      (err) =>
        err instanceof RuntimeError &&
        err.code === 'CreateContainer' &&
        /container "x" has no command: .*cannot use the image's entrypoint; set spec\.containers\[\]\.command/.test(
          err.message,
        ),
    );
  });

  const startFailures: Array<[string, Partial<ContainerSpec>, RegExp]> = [
    [
      'a missing working directory',
      { workingDir: '/no/such/dir' },
      /working directory \/no\/such\/dir/,
    ],
    [
      'a command in no PATH directory',
      { command: ['wharf-no-such-command'] },
      /"wharf-no-such-command" not found in \$PATH/,
    ],
    [
      'a missing volume',
      { mounts: [{ hostPath: '/no/such/volume', containerPath: '/mnt/x', readOnly: false }] },
      /host path \/no\/such\/volume does not exist/,
    ],
  ];
  for (const [name, extra, message] of startFailures) {
    it(
      `fails to start with ${name}, saying why`,
      { skip: !!extra.mounts && rootSkip },
      async () => {
        const id = await driver.createContainer(sandboxId, spec(podUid, 'broken', 'true', extra));
        await assert.rejects(driver.startContainer(id), (err) => {
          assert.ok(err instanceof RuntimeError && err.code === 'RunContainer', String(err));
          assert.match(err.message, message);
          return true;
        });
        const status = await driver.inspectContainer(id);
        if (status.state === 'exited') assert.equal(status.reason, 'StartError');
        await driver.removeContainer(id);
      },
    );
  }

  it('keeps the last line of a stream that lacks a newline, and the environment clean', async () => {
    process.env.WHARF_LEAK_CHECK = 'leaked';
    const id = await start('env', 'echo "[$WHARF_LEAK_CHECK] $PATH"; printf tail >&2', {
      env: [{ name: 'PATH', value: '/usr/bin:/bin' }],
    });
    delete process.env.WHARF_LEAK_CHECK;
    await exited(id);
    const lines = (await collect(driver, id)).map((l) => [l.stream, l.data.toString()]);
    assert.deepEqual(lines, [
      ['stdout', '[] /usr/bin:/bin\n'],
      ['stderr', 'tail'],
    ]);
  });

  it('rotates the combined log and follows across rotations', async () => {
    const script =
      'i=0; while [ $i -lt 200 ]; do echo "line-$i"; i=$((i+1)); [ $((i % 20)) = 0 ] && sleep 0.05; done';
    const id = await start('chatty', script);
    const followed = (await collect(driver, id, true)).map((l) => l.data.toString());
    assert.deepEqual(
      followed,
      Array.from({ length: 200 }, (_, i) => `line-${i}\n`),
    );
    const dir = join(env.stateDir, instanceDirName(instance), 'containers', id);
    assert.ok(existsSync(join(dir, `${FILES.log}.1`)), 'the log was rotated');
    assert.ok((await stat(join(dir, FILES.log))).size < 4096);
    // The raw output is on disk with the log, never on the runtime directory's tmpfs,
    // whose pages would count against the container's memory limit.
    assert.ok(existsSync(join(dir, FILES.stdout)));
    const runDir = join(env.runDir, instanceDirName(instance), 'containers', id);
    assert.deepEqual(
      [FILES.stdout, FILES.log].map((f) => existsSync(join(runDir, f))),
      [false, false],
    );
    assert.ok(existsSync(join(runDir, FILES.state)), 'the record is in the runtime directory');
    const kept = (await collect(driver, id)).map((l) => l.data.toString());
    assert.ok(kept.length > 20 && kept.length < 200, `${kept.length} lines kept`);
    assert.deepEqual(kept, followed.slice(-kept.length), 'the newest lines, in order');
  });

  it(
    'execs in the mount namespace of a container, read-only mounts included',
    { skip: rootSkip },
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'wharf-ro-'));
      const target = join(dir, 'target');
      try {
        await writeFile(join(dir, 'greeting'), 'hello\n');
        const id = await start('ro', 'echo ready; while sleep 0.1; do :; done', {
          mounts: [{ hostPath: dir, containerPath: target, readOnly: true }],
          workingDir: target,
        });
        await until('ready', async () =>
          (await collect(driver, id)).length > 0 ? true : undefined,
        );
        const out = new PassThrough();
        const chunks: Buffer[] = [];
        out.on('data', (c: Buffer) => chunks.push(c));
        const session = await driver.exec(id, {
          command: ['sh', '-c', 'pwd; cat greeting; touch x 2>/dev/null || echo read-only'],
          tty: false,
          stdout: out,
        });
        assert.equal(await session.exitCode, 0);
        assert.equal(Buffer.concat(chunks).toString(), `${target}\nhello\nread-only\n`);
        await driver.stopContainer(id, 0);
        await driver.removeContainer(id);
        assert.ok(!existsSync(target), 'the mount point it created is gone with the container');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );

  it(
    'mounts in order from one mount table, odd paths too, and names a mount that fails',
    { skip: rootSkip },
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'wharf mounts '));
      try {
        const first = join(dir, 'first one');
        const second = join(dir, 'back\\slash');
        for (const [source, text] of [
          [first, 'first'],
          [second, 'second'],
        ] as const) {
          await mkdir(source);
          await writeFile(join(source, 'greeting'), `${text}\n`);
        }
        const target = join(dir, 'the target');
        const id = await start('ordered', `cat '${target}/greeting'; touch '${target}/x' || true`, {
          mounts: [
            { hostPath: first, containerPath: target, readOnly: false },
            { hostPath: second, containerPath: target, readOnly: true },
          ],
        });
        assert.equal((await exited(id)).exitCode, 0);
        const lines = (await collect(driver, id)).map((l) => l.data.toString());
        assert.equal(lines[0], 'second\n', 'the later mount covers the earlier one');
        assert.match(lines.join(''), /Read-only file system/);

        const missing = join(dir, 'not there');
        const failing = await driver.createContainer(
          sandboxId,
          spec(podUid, 'missing', 'true', {
            mounts: [
              { hostPath: first, containerPath: join(dir, 'another'), readOnly: false },
              { hostPath: missing, containerPath: target, readOnly: false },
            ],
          }),
        );
        await assert.rejects(driver.startContainer(failing), (err: Error) => {
          assert.match(err.message, /cannot mount the volumes: .*the target/);
          return true;
        });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );

  it("puts the limits and the request in the container's cgroups", { skip: rootSkip }, async () => {
    const id = await start('weighed', 'sleep 30', {
      resources: { memoryLimitBytes: 64 << 20, cpuLimitMillis: 500, cpuRequestMillis: 250 },
    });
    try {
      const group = (controller: string, file: string) =>
        readFileSync(
          `/sys/fs/cgroup/${controller}/wharf/${instanceDirName(instance)}/${id}/${file}`,
          'utf8',
        ).trim();
      assert.equal(group('memory', 'memory.limit_in_bytes'), String(64 << 20));
      assert.equal(group('cpu', 'cpu.cfs_quota_us'), '50000');
      assert.equal(group('cpu', 'cpu.shares'), '256');
      const status = await driver.inspectContainer(id);
      assert.equal(status.state, 'running');
      const procs = group('cpu', 'cgroup.procs').split('\n').map(Number);
      assert.ok(procs.length > 0, 'the container runs in its cpu group');
    } finally {
      await driver.stopContainer(id, 0);
    }
  });

  it('removes the cgroups of an exited container', { skip: rootSkip }, async () => {
    const id = await start('limited', 'true', {
      resources: { memoryLimitBytes: 64 << 20, cpuLimitMillis: 500 },
    });
    await exited(id);
    assert.ok(!existsSync(`/sys/fs/cgroup/memory/wharf/${instanceDirName(instance)}/${id}`));
  });
});

describe('process runtime cgroups', { skip: skip || rootSkip }, () => {
  it("removes the node's parent groups at close when no container is left in them", async () => {
    const instance = `groups-${randomUUID().slice(0, 8)}`;
    const parent = `/sys/fs/cgroup/memory/wharf/${instanceDirName(instance)}`;
    const pod = {
      podUid: randomUUID(),
      podName: 'p',
      namespace: 'test',
      hostname: 'p',
      hostNetwork: true,
      ports: [],
    };
    const first = await open(instance);
    const sandboxId = (await first.runSandbox(pod)).id;
    const id = await first.createContainer(sandboxId, spec(pod.podUid, 'keeps', 'sleep 600'));
    await first.startContainer(id);
    await first.close();
    assert.ok(existsSync(join(parent, id)), 'a container that outlives its driver keeps its group');
    const second = await open(instance);
    try {
      assert.equal((await second.inspectContainer(id)).state, 'running', 'adopted');
      await second.removeSandbox(sandboxId);
    } finally {
      await second.close();
    }
    assert.ok(!existsSync(parent), `${parent} is gone`);
  });
});

describe('process runtime pod network', { skip: skip || rootSkip }, () => {
  it('maps a hostPort to the pod (portmap)', async () => {
    const driver = await open(`ports-${randomUUID().slice(0, 8)}`);
    const podUid = randomUUID();
    const ports = [{ containerPort: 8080, hostPort: 18089, protocol: 'TCP' as const }];
    const sandbox = await driver.runSandbox({
      podUid,
      podName: 'p',
      namespace: 'test',
      hostname: 'p',
      hostNetwork: false,
      ports,
    });
    try {
      const server = 'echo ready; busybox nc -l -p 8080 -e echo hello-port';
      const id = await driver.createContainer(sandbox.id, spec(podUid, 'server', server));
      await driver.startContainer(id);
      await until('the server', async () =>
        (await collect(driver, id)).length > 0 ? true : undefined,
      );
      const { stdout: route } = await run('ip', ['-4', 'route', 'get', '1.1.1.1']);
      const nodeIp = /src (\S+)/.exec(route)![1]!;
      const answer = await until('an answer on the host port', async () => {
        const { stdout } = await run('busybox', ['nc', '-w', '2', nodeIp, '18089']).catch(() => ({
          stdout: '',
        }));
        return stdout || undefined;
      });
      assert.equal(answer, 'hello-port\n');
    } finally {
      await driver.removeSandbox(sandbox.id);
      await driver.close();
    }
  });
});
describe('processRuntimeNotes', () => {
  const tools = { sh: '/bin/sh', env: '/usr/bin/env', ip: '/sbin/ip', nsenter: '/usr/bin/nsenter' };
  const cases: Array<[string, Parameters<typeof processRuntimeNotes>[0], RegExp[]]> = [
    [
      'not root',
      { root: false, tools, cgroups: false },
      [/host network: .*not running as root/, /limits are not enforced/, /mounts are unsupported/],
    ],
    [
      'no CNI plugins',
      { root: true, tools, cgroups: true, cniDirHint: '/x' },
      [/CNI plugins \(bridge, host-local, loopback\) not found in \/x/],
    ],
    [
      'no cgroups',
      { root: true, tools, cgroups: false, cniBinDir: '/cni', cgroupProblem: 'EROFS' },
      [/limits are not enforced: EROFS/],
    ],
  ];
  for (const [name, facts, expected] of cases) {
    it(name, () => {
      const notes = processRuntimeNotes(facts);
      for (const pattern of expected)
        assert.ok(
          notes.some((n) => pattern.test(n)),
          `${pattern} in ${notes.join(' | ')}`,
        );
    });
  }
});
