import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { attachConformance } from './conformance-attach.ts';
import {
  RuntimeError,
  type ContainerSpec,
  type ContainerStatus,
  type LogLine,
  type RuntimeDriver,
  type SandboxSpec,
} from './types.ts';

// One suite every runtime driver must pass (hono's common.case.test.ts shape): a driver's
// test file only says how to open a driver. Commands are POSIX `sh` plus `busybox` applets,
// so they run alike in the test image (a busybox rootfs) and on a host with busybox-static.

/** A container spec of a pod with nothing set but its name and image, for driver tests. */
export function testContainerSpec(
  pod: { podUid: string; podName: string; namespace: string },
  name: string,
  image: string,
  extra: Partial<ContainerSpec> = {},
): ContainerSpec {
  return {
    podUid: pod.podUid,
    podName: pod.podName,
    namespace: pod.namespace,
    name,
    attempt: 0,
    hash: 'h1',
    image,
    command: [],
    args: [],
    env: [],
    mounts: [],
    tty: false,
    stdin: false,
    stdinOnce: false,
    resources: {},
    ...extra,
  };
}

export interface RuntimeConformanceOptions {
  name: string;
  /** Opens a driver for `instance`; called again with the same instance to test recovery. */
  newDriver: (instance: string) => Promise<RuntimeDriver>;
  /** An image present on the engine (ignored by runtimes that do not run images). */
  image: string;
  /** A skip message (a missing system component), or false. */
  skip?: string | false;
}

const WAIT_MS = 20_000;

export function runRuntimeConformance(options: RuntimeConformanceOptions): void {
  describe(`runtime conformance: ${options.name}`, { skip: options.skip }, () => {
    const instance = `conformance-${randomUUID().slice(0, 8)}`;
    let driver: RuntimeDriver;
    let scratch: string;
    const exits = new Map<string, ContainerStatus>();
    const exitWaiters = new Map<string, (s: ContainerStatus) => void>();
    const sandboxes: string[] = [];

    const onExit = (status: ContainerStatus) => {
      exits.set(status.id, status);
      exitWaiters.get(status.id)?.(status);
    };

    before(async () => {
      scratch = await mkdtemp(join(tmpdir(), 'wharf-conformance-'));
      driver = await options.newDriver(instance);
      driver.onContainerExit(onExit);
    });

    after(async () => {
      for (const id of sandboxes) {
        for (const c of await driver.listContainers()) {
          if (c.sandboxId !== id) continue;
          await driver.stopContainer(c.id, 0);
          await driver.removeContainer(c.id);
        }
        await driver.removeSandbox(id);
      }
      await driver.close();
      await rm(scratch, { recursive: true, force: true });
    });

    function waitExit(id: string): Promise<ContainerStatus> {
      const seen = exits.get(id);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`container ${id} did not exit in ${WAIT_MS} ms`)),
          WAIT_MS,
        );
        exitWaiters.set(id, (s) => {
          clearTimeout(timer);
          resolve(s);
        });
      });
    }

    let podCounter = 0;
    async function newSandbox(overrides: Partial<SandboxSpec> = {}) {
      const n = ++podCounter;
      const spec: SandboxSpec = {
        podUid: randomUUID(),
        podName: `pod-${n}`,
        namespace: 'conformance',
        hostname: `pod-${n}`,
        hostNetwork: false,
        ports: [],
        ...overrides,
      };
      const sandbox = await driver.runSandbox(spec);
      sandboxes.push(sandbox.id);
      return { spec, sandbox };
    }

    function containerSpec(
      sandbox: SandboxSpec,
      name: string,
      script: string,
      extra: Partial<ContainerSpec> = {},
    ): ContainerSpec {
      return testContainerSpec(sandbox, name, options.image, {
        command: ['sh', '-c', script],
        ...extra,
      });
    }

    async function run(
      script: string,
      extra: Partial<ContainerSpec> = {},
      sandboxExtra: Partial<SandboxSpec> = {},
    ) {
      const { spec, sandbox } = await newSandbox(sandboxExtra);
      const id = await driver.createContainer(
        sandbox.id,
        containerSpec(spec, 'main', script, extra),
      );
      await driver.startContainer(id);
      return { id, spec, sandbox };
    }

    async function readLogs(
      id: string,
      opts: { tail?: number; since?: Date } = {},
    ): Promise<LogLine[]> {
      const lines: LogLine[] = [];
      for await (const line of driver.logs(id, { follow: false, ...opts })) lines.push(line);
      return lines;
    }

    const text = (lines: LogLine[]) => lines.map((l) => l.data.toString()).join('');

    it('reports a version and capabilities', async () => {
      const version = await driver.version();
      assert.ok(version.name.length > 0 && version.version.length > 0);
      const caps = driver.capabilities();
      assert.ok(caps.podNetwork === 'pod' || caps.podNetwork === 'host');
    });

    it('resolves an image it has', async () => {
      const ref = await driver.ensureImage(options.image, 'IfNotPresent');
      assert.ok(ref.length > 0);
    });

    it('refuses a missing image under pullPolicy Never, unless images are only recorded', async () => {
      const missing = `wharf-missing/none-${randomUUID().slice(0, 6)}:v1`;
      if (driver.capabilities().runsImages) {
        await assert.rejects(
          driver.ensureImage(missing, 'Never'),
          (err) => err instanceof RuntimeError && err.code === 'ImageNeverPull',
        );
      } else {
        // A runtime that runs commands on the host records the image and never fetches it.
        assert.ok((await driver.ensureImage(missing, 'Never')).length > 0);
      }
    });

    it('runs a sandbox with an IP of its own when pods have their own network', async () => {
      const { sandbox, spec } = await newSandbox();
      assert.equal(sandbox.podUid, spec.podUid);
      assert.equal(sandbox.state, 'ready');
      if (driver.capabilities().podNetwork === 'pod') assert.equal(sandbox.ips.length, 1);
      const listed = (await driver.listSandboxes()).find((s) => s.id === sandbox.id);
      assert.ok(listed, 'listSandboxes includes the new sandbox');
      assert.equal(listed.podName, spec.podName);
      assert.equal(listed.namespace, spec.namespace);
    });

    it('runs a container to completion and keeps its output by stream', async () => {
      // stdout and stderr reach a runtime through separate pipes: order within a stream is
      // kept, the interleaving of the two only when the writes are apart (docker, CRI).
      const { id } = await run('echo hello; sleep 0.2; echo oops >&2; sleep 0.2; echo bye');
      const status = await waitExit(id);
      assert.equal(status.state, 'exited');
      assert.equal(status.exitCode, 0);
      assert.equal(status.reason, 'Completed');
      assert.ok(status.startedAt && status.finishedAt);
      const lines = await readLogs(id);
      assert.deepEqual(
        lines.map((l) => [l.stream, l.data.toString()]),
        [
          ['stdout', 'hello\n'],
          ['stderr', 'oops\n'],
          ['stdout', 'bye\n'],
        ].filter(Boolean),
      );
      assert.equal(text(await readLogs(id, { tail: 1 })), 'bye\n');
      const inspected = await driver.inspectContainer(id);
      assert.equal(inspected.exitCode, 0);
      assert.equal(inspected.name, 'main');
    });

    it('reports a non-zero exit as Error with its code', async () => {
      const { id } = await run('exit 3');
      const status = await waitExit(id);
      assert.equal(status.exitCode, 3);
      assert.equal(status.reason, 'Error');
    });

    it('passes env, args and the working directory', async () => {
      const { id } = await run('echo "$GREETING $1 $(pwd)"', {
        command: ['sh', '-c', 'echo "$GREETING $1 $(pwd)"', 'sh'],
        args: ['world'],
        env: [{ name: 'GREETING', value: 'hello' }],
        workingDir: '/tmp',
      });
      await waitExit(id);
      assert.equal(text(await readLogs(id)), 'hello world /tmp\n');
    });

    it('sets HOSTNAME to the pod hostname', async () => {
      const { id } = await run('echo "$HOSTNAME"', {}, { hostname: 'web-0' });
      await waitExit(id);
      assert.equal(text(await readLogs(id)), 'web-0\n');
    });

    it('mounts a host directory at the container path (read-only here), or refuses it clearly', async () => {
      const dir = join(scratch, `vol-${randomUUID().slice(0, 6)}`);
      await import('node:fs/promises').then((fs) => fs.mkdir(dir));
      await writeFile(join(dir, 'greeting'), 'from the volume\n');
      const mounts = [{ hostPath: dir, containerPath: '/etc/wharf-test', readOnly: true }];
      if (!driver.capabilities().mounts) {
        const { spec, sandbox } = await newSandbox();
        await assert.rejects(
          driver.createContainer(sandbox.id, containerSpec(spec, 'mounter', 'true', { mounts })),
          (err) =>
            err instanceof RuntimeError &&
            err.code === 'CreateContainer' &&
            /mount/i.test(err.message),
        );
        return;
      }
      const { id } = await run(
        'cat /etc/wharf-test/greeting; touch /etc/wharf-test/x 2>/dev/null || echo read-only',
        { mounts },
      );
      const status = await waitExit(id);
      assert.equal(
        text(await readLogs(id)),
        'from the volume\nread-only\n',
        `exit ${status.exitCode}`,
      );
    });

    it('stops a container with SIGTERM and lets its handler finish', async () => {
      const { id } = await run(
        'trap "echo got-term; exit 0" TERM; echo ready; while true; do sleep 0.1; done',
      );
      await waitForLog(id, 'ready');
      await driver.stopContainer(id, 10);
      const status = await waitExit(id);
      assert.equal(status.exitCode, 0);
      assert.match(text(await readLogs(id)), /got-term/);
    });

    it('kills a container that ignores SIGTERM once the grace period ends', async () => {
      const { id } = await run('trap "" TERM; echo ready; while true; do sleep 0.1; done');
      await waitForLog(id, 'ready');
      await driver.stopContainer(id, 1);
      const status = await waitExit(id);
      assert.equal(status.exitCode, 137);
      await driver.stopContainer(id, 1); // idempotent
    });

    it('follows logs until the container exits, and filters by time', async () => {
      const { id } = await run('echo one; sleep 0.5; echo two; sleep 0.5; echo three');
      const seen: string[] = [];
      for await (const line of driver.logs(id, { follow: true })) seen.push(line.data.toString());
      assert.deepEqual(seen, ['one\n', 'two\n', 'three\n']);
      const all = await readLogs(id);
      const since = await readLogs(id, { since: all[1]!.time });
      assert.deepEqual(
        since.map((l) => l.data.toString()),
        ['two\n', 'three\n'],
      );
      assert.ok(all[0]!.time.getTime() <= all[2]!.time.getTime());
    });

    it('execs commands with their output and exit code', async () => {
      const { id } = await run('echo ready; while true; do sleep 0.1; done');
      await waitForLog(id, 'ready');
      const out = collectStream();
      const err = collectStream();
      const session = await driver.exec(id, {
        command: ['sh', '-c', 'echo out; echo err >&2; exit 7'],
        tty: false,
        stdout: out.stream,
        stderr: err.stream,
      });
      assert.equal(await session.exitCode, 7);
      assert.equal(out.text(), 'out\n');
      assert.equal(err.text(), 'err\n');

      const echoed = collectStream();
      const piped = await driver.exec(id, {
        command: ['cat'],
        tty: false,
        stdin: Readable.from([Buffer.from('line 1\n'), Buffer.from('line 2\n')]),
        stdout: echoed.stream,
      });
      assert.equal(await piped.exitCode, 0);
      assert.equal(echoed.text(), 'line 1\nline 2\n');

      const tty = collectStream();
      const withTty = await driver.exec(id, {
        command: ['sh', '-c', 'test -t 0 && test -t 1 && echo is-a-tty'],
        tty: true,
        stdin: new PassThrough(),
        stdout: tty.stream,
      });
      withTty.resize(100, 30);
      assert.equal(await withTty.exitCode, 0);
      assert.match(tty.text(), /is-a-tty/);
      await driver.stopContainer(id, 0);
    });

    it('refuses exec into a container that is not running', async () => {
      const { id } = await run('true');
      await waitExit(id);
      await assert.rejects(
        driver.exec(id, { command: ['true'], tty: false }),
        (err) => err instanceof RuntimeError && err.code === 'NotRunning',
      );
    });

    it('fails to start a command that does not exist', async () => {
      const { spec, sandbox } = await newSandbox();
      const id = await driver.createContainer(
        sandbox.id,
        containerSpec(spec, 'broken', '', { command: ['/no/such/wharf-binary'] }),
      );
      await assert.rejects(
        driver.startContainer(id),
        (err) =>
          err instanceof RuntimeError &&
          err.code === 'RunContainer' &&
          /no\/such\/wharf-binary/.test(err.message),
      );
    });

    it('lets the containers of one pod share localhost, and own-network pods bind the same port', async () => {
      // Pods of their own network all bind 8080; on the host network one pod takes a
      // port of its own, and has no IP of its own.
      const own = driver.capabilities().podNetwork === 'pod';
      const port = own ? 8080 : 20_000 + Math.floor(Math.random() * 10_000);
      const pods = own ? [await newSandbox(), await newSandbox()] : [await newSandbox()];
      if (!own) assert.deepEqual(pods[0]!.sandbox.ips, []);
      const servers = [];
      for (const { spec, sandbox } of pods) {
        const id = await driver.createContainer(
          sandbox.id,
          containerSpec(
            spec,
            'server',
            `echo ready; busybox nc -l -p ${port} -e echo ${spec.podName}`,
          ),
        );
        await driver.startContainer(id);
        servers.push(id);
      }
      for (const id of servers) await waitForLog(id, 'ready');
      for (const { spec, sandbox } of pods) {
        const id = await driver.createContainer(
          sandbox.id,
          containerSpec(
            spec,
            'client',
            `for i in 1 2 3 4 5 6 7 8 9 10; do busybox nc 127.0.0.1 ${port} </dev/null && exit 0; sleep 0.2; done; exit 1`,
          ),
        );
        await driver.startContainer(id);
        const status = await waitExit(id);
        assert.equal(status.exitCode, 0);
        assert.equal(text(await readLogs(id)), `${spec.podName}\n`);
      }
    });

    it('reports OOMKilled when a container exceeds an enforced memory limit', async () => {
      const { id } = await run('busybox dd if=/dev/zero of=/dev/null bs=64M count=1', {
        resources: { memoryLimitBytes: 16 * 1024 * 1024 },
      });
      const status = await waitExit(id);
      if (driver.capabilities().enforcesLimits) {
        assert.equal(status.reason, 'OOMKilled');
        assert.equal(status.exitCode, 137);
      } else {
        // Not enforced (and said so in capabilities().notes): the container just runs.
        assert.ok(driver.capabilities().notes.length > 0);
        assert.equal(status.exitCode, 0);
      }
    });

    it('lets a new driver of the same instance adopt running containers', async () => {
      const { id, spec } = await run('echo ready; while true; do sleep 0.1; done', {
        attempt: 2,
        hash: 'adopt-me',
      });
      await waitForLog(id, 'ready');
      const second = await options.newDriver(instance);
      try {
        const adopted = (await second.listContainers()).find((c) => c.id === id);
        assert.ok(adopted, 'the running container is listed by the new driver');
        assert.equal(adopted.state, 'running');
        assert.equal(adopted.podUid, spec.podUid);
        assert.equal(adopted.attempt, 2);
        assert.equal(adopted.hash, 'adopt-me');
        assert.ok((await second.listSandboxes()).some((s) => s.podUid === spec.podUid));
        const exited = new Promise<ContainerStatus>((resolve) =>
          second.onContainerExit((s) => s.id === id && resolve(s)),
        );
        await second.stopContainer(id, 0);
        assert.equal((await exited).state, 'exited');
        const other = await options.newDriver(`${instance}-other`);
        try {
          assert.ok(!(await other.listContainers()).some((c) => c.id === id));
        } finally {
          await other.close();
        }
      } finally {
        await second.close();
      }
    });

    it('removes containers and sandboxes idempotently', async () => {
      const { id, sandbox } = await run('true');
      await waitExit(id);
      await driver.removeContainer(id);
      await driver.removeContainer(id);
      await assert.rejects(
        driver.inspectContainer(id),
        (err) => err instanceof RuntimeError && err.code === 'NotFound',
      );
      await driver.stopSandbox(sandbox.id);
      await driver.removeSandbox(sandbox.id);
      await driver.removeSandbox(sandbox.id);
      assert.ok(!(await driver.listSandboxes()).some((s) => s.id === sandbox.id));
    });

    attachConformance({
      driver: () => driver,
      reopen: () => options.newDriver(instance),
      run,
      newSandbox: () => newSandbox(),
      containerSpec,
      waitExit,
      waitForLog,
    });

    async function waitForLog(id: string, needle: string): Promise<void> {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), WAIT_MS);
      try {
        for await (const line of driver.logs(id, { follow: true, signal: controller.signal })) {
          if (line.data.toString().includes(needle)) return;
        }
      } finally {
        clearTimeout(timer);
        controller.abort();
      }
      assert.fail(`container ${id} never logged ${JSON.stringify(needle)}`);
    }
  });
}

function collectStream() {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString() };
}
