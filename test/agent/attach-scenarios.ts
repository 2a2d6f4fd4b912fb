import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestCluster, type TestCluster } from '../support/cluster.ts';
import { KUBECTL, kubectl, versionedKubectl } from '../support/kubectl.ts';
import { startKubectl } from './kubectl-session.ts';

// `kubectl attach` and `kubectl run -i/-it` through the real kubectl against a cluster whose
// agent runs `runtime`: kubectl >= 1.30 over WebSocket, 1.29 over SPDY. Nothing here has a
// terminal of its own: -t runs kubectl under util-linux `script`.

export interface AttachScenarioOptions {
  runtime: 'docker' | 'process';
  image: () => Promise<string>;
  skip: string | false;
}

type Json = Record<string, any>;

const WAIT_MS = 60_000;

const clients = [
  { name: 'kubectl 1.32, WebSocket', binary: KUBECTL },
  { name: 'kubectl 1.30, WebSocket', binary: versionedKubectl(30) },
  { name: 'kubectl 1.29, SPDY', binary: versionedKubectl(29) },
].filter((c): c is { name: string; binary: string } => c.binary !== undefined);

export function runAttachScenarios(opts: AttachScenarioOptions): void {
  describe(
    `kubectl attach on the ${opts.runtime} runtime`,
    { skip: opts.skip, timeout: 600_000 },
    () => {
      let cluster: TestCluster;
      let image: string;
      const node = `attach-${opts.runtime}`;
      const k = (args: string[], input?: string) =>
        kubectl(KUBECTL, cluster.kubectlArgs, args, {
          ...(input ? { input } : {}),
          timeoutMs: WAIT_MS,
        });
      const ok = async (args: string[], input?: string) => {
        const r = await k(args, input);
        assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
        return r.stdout;
      };
      const session = (
        binary: string,
        args: string[],
        terminal?: { columns: number; rows: number },
      ) =>
        startKubectl(
          binary,
          [...cluster.kubectlArgs, ...args],
          terminal ? { underTerminal: terminal } : {},
        );
      const waitPod = async (
        name: string,
        test: (p: Json | undefined) => boolean,
        what: string,
      ) => {
        const deadline = Date.now() + WAIT_MS;
        let last: Json | undefined;
        while (Date.now() < deadline) {
          const r = await k(['get', 'pod', name, '-o', 'json']);
          last = r.code === 0 ? JSON.parse(r.stdout) : undefined;
          if (test(last)) return last;
          await sleep(250);
        }
        assert.fail(`pod ${name} never became ${what}: ${JSON.stringify(last?.status)}`);
      };
      const running = (p: Json | undefined) =>
        p?.status?.phase === 'Running' &&
        p.status.containerStatuses?.every((c: Json) => c.state?.running);
      const createPod = async (name: string, script: string, extra: Json = {}) => {
        const container = {
          name: 'main',
          image,
          imagePullPolicy: 'IfNotPresent',
          command: ['sh', '-c', script],
          ...extra,
        };
        const pod = {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name },
          spec: { nodeName: node, terminationGracePeriodSeconds: 1, containers: [container] },
        };
        await ok(['apply', '-f', '-'], JSON.stringify(pod));
        await waitPod(name, running, 'running');
      };
      // `--command`: the process runtime has no image entrypoint to fall back on.
      const runArgs = (name: string, ...flags: string[]) => [
        'run',
        name,
        ...flags,
        '--restart=Never',
        `--image=${image}`,
        '--image-pull-policy=IfNotPresent',
        '--command',
        '--',
      ];

      before(async () => {
        image = await opts.image();
        cluster = await startTestCluster({ agent: { runtime: opts.runtime, nodeName: node } });
        await createPod(
          'counter',
          'i=0; while true; do echo "tick $i"; i=$((i+1)); sleep 0.2; done',
        );
        await createPod('echoer', 'echo ready; exec cat', { stdin: true });
      });
      after(async () => {
        await k(['delete', 'pods', '--all', '--grace-period=1', '--wait=true']);
        await cluster?.close();
      });

      for (const client of clients) {
        it(`attach streams the output of a running container live (${client.name})`, async () => {
          const logged = (await ok(['logs', 'counter'])).match(/tick (\d+)/g) ?? [];
          const before = Number(logged.at(-1)?.slice(5) ?? -1);
          const attach = session(client.binary, ['attach', 'counter']);
          try {
            await attach.waitFor(/tick \d+\n.*tick \d+\n/s, 'two new lines');
          } finally {
            attach.kill();
          }
          const seen = [...attach.stdout().matchAll(/tick (\d+)/g)].map((m) => Number(m[1]));
          assert.ok(seen[0]! > before, `only output after the attach: ${seen[0]} after ${before}`);
          assert.equal(seen[1], seen[0]! + 1);
        });

        it(`attach -i sends stdin to a container with stdin: true (${client.name})`, async () => {
          const word = `hello-${clients.indexOf(client)}`;
          const attach = session(client.binary, ['attach', '-i', 'echoer']);
          attach.write(`${word}\n`);
          await attach.waitFor(new RegExp(`${word}\n`), 'the echo');
          attach.endInput(); // detaches; the container's stdin stays open for the next client
          assert.equal(await attach.exited(), 0, attach.stderr());
          assert.equal(attach.stdout(), `${word}\n`);
        });

        it(`run -i --rm runs a command on the test's stdin, then deletes the pod (${client.name})`, async () => {
          const name = `reader-${clients.indexOf(client)}`;
          const r = await kubectl(
            client.binary,
            cluster.kubectlArgs,
            [...runArgs(name, '-i', '--rm'), 'sh', '-c', 'read line; echo "got $line"'],
            { input: 'hello\n', timeoutMs: WAIT_MS },
          );
          assert.equal(r.code, 0, r.stderr);
          assert.match(r.stdout, /^got hello\n/);
          assert.doesNotMatch(r.stderr, /falling back to streaming logs/);
          await waitPod(name, (p) => p === undefined, 'deleted');
        });

        it(`run -it gives the command a terminal of the client's size (${client.name})`, async () => {
          const name = `terminal-${clients.indexOf(client)}`;
          const script =
            'while read line; do [ "$line" = quit ] && exit 0; echo "tty says $line"; stty size; done';
          const run = session(
            client.binary,
            [...runArgs(name, '-it', '--rm'), 'sh', '-c', script],
            { columns: 90, rows: 20 },
          );
          await run.waitFor(/try pressing enter/, 'the attach banner');
          // The size is applied asynchronously: lines are sent until the command reports it.
          const deadline = Date.now() + WAIT_MS;
          while (!/tty says hello\r\n20 90\r\n/.test(run.stdout()) && Date.now() < deadline) {
            run.write('hello\n');
            await sleep(300);
          }
          run.write('quit\n');
          assert.equal(await run.exited(), 0, run.stdout());
          assert.match(run.stdout(), /tty says hello\r\n20 90\r\n/);
          await waitPod(name, (p) => p === undefined, 'deleted');
        });
      }

      it('refuses attach -i to a container without stdin: true, in the kubelet words', async () => {
        const r = await k(['attach', '-i', 'counter']);
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /Unable to use stdin - container main did not allocate one/);
      });

      it('reports the exit code of a run -i command, as kubectl does with a kubelet', async () => {
        const r = await k(
          [...runArgs('failing', '-i'), 'sh', '-c', 'read line; echo "got $line"; exit 3'],
          'bye\n',
        );
        assert.equal(r.code, 3, r.stderr);
        assert.match(r.stdout, /got bye/);
        assert.match(r.stderr, /pod default\/failing terminated \(Error\)/);
      });

      it('keeps the stdin of a running container across an agent restart', async () => {
        const before = await waitPod('echoer', running, 'running');
        await cluster.stop();
        cluster = await startTestCluster({
          dataDir: cluster.dataDir,
          agent: { runtime: opts.runtime, nodeName: node },
        });
        const after = await waitPod('echoer', running, 'running after the restart');
        assert.equal(
          after!.status.containerStatuses[0].containerID,
          before!.status.containerStatuses[0].containerID,
        );
        const attach = session(KUBECTL, ['attach', '-i', 'echoer']);
        attach.write('still here\n');
        await attach.waitFor(/still here\n/, 'the echo');
        attach.endInput();
        assert.equal(await attach.exited(), 0, attach.stderr());
        const counter = await waitPod('counter', running, 'running');
        assert.equal(
          counter!.status.containerStatuses[0].restartCount,
          0,
          'attach never restarted it',
        );
      });
    },
  );
}
