import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { ContainerStatus } from '../types.ts';
import { collect, run, skip, testEnvironment } from './test-support.ts';

// A restarted agent: the first one lives in a process of its own and is killed (SIGKILL)
// while its containers run; a new driver of the same instance takes over. Also from an
// agent that kept its records in the state directory (before the runtime directory, or
// on a machine without a tmpfs): the new one moves them, and the old shims still write
// their exit codes where they were told to.

const network = { name: 'wharf-test-adopt', bridge: 'wharft1', subnet: '10.214.0.0/16' };
const env = testEnvironment(network);

const cases = [
  { what: 'of the same layout', firstRunDir: true },
  { what: 'that kept its records in the state directory', firstRunDir: false },
];

describe('process runtime adoption', { skip }, () => {
  for (const { what, firstRunDir } of cases) {
    it(`adopts containers after an agent ${what} died, with their labels, output and exit codes`, async () => {
      const instance = `adopt-${randomUUID().slice(0, 8)}`;
      const dirs = { stateDir: env.stateDir, ...(firstRunDir ? { runDir: env.runDir } : {}) };
      // An agent in a process of its own, killed (SIGKILL) once its containers run.
      const driverModule = fileURLToPath(new URL('./index.ts', import.meta.url));
      const gate = join(env.stateDir, `gate-${instance}`);
      const code = `
      const { createProcessDriver } = await import(${JSON.stringify(driverModule)});
      const d = await createProcessDriver(${JSON.stringify({ instance, ...dirs, network })});
      const s = await d.runSandbox({ podUid: 'u1', podName: 'p', namespace: 'test', hostname: 'h', hostNetwork: false, ports: [] });
      const c = (name, attempt, script) => ({ podUid: 'u1', podName: 'p', namespace: 'test', name, attempt, hash: 'hash-' + name,
        image: 'host', command: ['sh', '-c', script], args: [], env: [], mounts: [], tty: false, stdin: false, stdinOnce: false, resources: {} });
      const long = await d.createContainer(s.id, c('long', 3, ${JSON.stringify(
        `echo before; while [ ! -e ${gate} ]; do sleep 0.05; done; echo after >&2; exit 42`,
      )}));
      await d.startContainer(long);
      const short = await d.createContainer(s.id, c('short', 0, 'sleep 0.3; echo done; exit 5'));
      await d.startContainer(short);
      console.log(JSON.stringify({ sandbox: s.id, long, short }));
      process.kill(process.pid, 'SIGKILL');`;
      const child = await run(process.execPath, [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        code,
      ]).then(
        () => assert.fail('the agent should have died'),
        (err: { stdout: string; signal: string }) => err,
      );
      assert.equal(child.signal, 'SIGKILL');
      const ids = JSON.parse(child.stdout) as { sandbox: string; long: string; short: string };
      await sleep(600); // the short one ends while no agent watches

      const driver = await env.open(instance);
      try {
        const containers = await driver.listContainers();
        const long = containers.find((c) => c.id === ids.long);
        assert.ok(long);
        assert.deepEqual(
          [long.state, long.name, long.attempt, long.hash, long.podUid],
          ['running', 'long', 3, 'hash-long', 'u1'],
        );
        const short = containers.find((c) => c.id === ids.short);
        assert.deepEqual([short?.state, short?.exitCode, short?.reason], ['exited', 5, 'Error']);
        assert.deepEqual(
          (await collect(driver, ids.short)).map((l) => l.data.toString()),
          ['done\n'],
        );

        const exit = new Promise<ContainerStatus>((resolve) =>
          driver.onContainerExit((s) => s.id === ids.long && resolve(s)),
        );
        const followed = collect(driver, ids.long, true);
        await writeFile(gate, '');
        const status = await exit;
        assert.deepEqual([status.state, status.exitCode, status.reason], ['exited', 42, 'Error']);
        assert.deepEqual(
          (await followed).map((l) => [l.stream, l.data.toString()]),
          [
            ['stdout', 'before\n'],
            ['stderr', 'after\n'],
          ],
        );
        await driver.removeSandbox(ids.sandbox);
        assert.deepEqual(await driver.listContainers(), []);
      } finally {
        await writeFile(gate, ''); // lets `long` end even when an assertion failed
        await driver.removeSandbox(ids.sandbox);
        await driver.close();
      }
      const left = [join(env.stateDir, instance), join(env.runDir, instance)];
      for (const dir of left) assert.deepEqual(await readdir(join(dir, 'containers')), []);
      assert.deepEqual(await readdir(join(env.runDir, instance, 'sandboxes')), []);
    });
  }
});
