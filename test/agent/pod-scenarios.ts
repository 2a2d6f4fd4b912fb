import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openMemoryVolumes } from '../../src/agent/pods/memory-volumes.ts';
import { startTestCluster, type TestCluster } from '../support/cluster.ts';
import { KUBECTL, kubectl } from '../support/kubectl.ts';

// The node agent's scenarios from issue 5, through the real kubectl against a cluster
// whose agent runs `runtime`. Every scenario is the same on docker and on host
// processes; only the image differs (a busybox rootfs, or recorded-only on the host).

export interface ScenarioOptions {
  runtime: 'docker' | 'process';
  image: () => Promise<string>;
  skip: string | false;
}

type Json = Record<string, any>;

const WAIT_MS = 60_000;

export function runPodScenarios(opts: ScenarioOptions): void {
  describe(
    `node agent on the ${opts.runtime} runtime`,
    { skip: opts.skip, timeout: 600_000 },
    () => {
      let cluster: TestCluster;
      let image: string;
      const node = `agent-${opts.runtime}`;
      const k = (args: string[], input?: string) =>
        kubectl(KUBECTL, cluster.kubectlArgs, args, {
          ...(input ? { input } : {}),
          timeoutMs: 60_000,
        });
      const ok = async (args: string[], input?: string) => {
        const r = await k(args, input);
        assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
        return r.stdout;
      };
      const getPod = async (name: string): Promise<Json> =>
        JSON.parse(await ok(['get', 'pod', name, '-o', 'json']));
      const waitPod = async (
        name: string,
        test: (p: Json) => boolean,
        what: string,
      ): Promise<Json> => {
        const deadline = Date.now() + WAIT_MS;
        let last: Json = {};
        while (Date.now() < deadline) {
          last = await getPod(name);
          if (test(last)) return last;
          await new Promise((r) => setTimeout(r, 250));
        }
        assert.fail(
          `pod ${name} never became ${what}; last status: ${JSON.stringify(last.status, null, 1)}`,
        );
      };
      const running = (p: Json) =>
        p.status?.phase === 'Running' &&
        p.status.containerStatuses?.every((c: Json) => c.state?.running);
      const ready = (p: Json) =>
        p.status?.conditions?.some((c: Json) => c.type === 'Ready' && c.status === 'True');
      const pod = (name: string, spec: Json) =>
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name },
          spec: { nodeName: node, terminationGracePeriodSeconds: 5, ...spec },
        });
      // Test images are local: `latest` would mean pullPolicy Always, with no registry.
      const container = (name: string, script: string, extra: Json = {}) => ({
        name,
        image,
        imagePullPolicy: 'IfNotPresent',
        command: ['sh', '-c', script],
        ...extra,
      });

      before(async () => {
        image = await opts.image();
        cluster = await startTestCluster({ agent: { runtime: opts.runtime, nodeName: node } });
      });
      after(async () => {
        await k(['delete', 'pods', '--all', '--grace-period=1', '--wait=true']);
        await cluster?.close();
      });

      it('registers a Ready node with capacity, runtime and lease', async () => {
        const n = JSON.parse(await ok(['get', 'node', node, '-o', 'json']));
        assert.equal(n.metadata.labels['wharf.dev/runtime'], opts.runtime);
        assert.equal(n.metadata.labels['kubernetes.io/hostname'], node);
        assert.equal(n.status.capacity.pods, '110');
        assert.ok(Number(n.status.capacity.cpu) >= 1);
        assert.match(n.status.nodeInfo.containerRuntimeVersion, new RegExp(`^${opts.runtime}://`));
        assert.deepEqual(n.status.conditions.map((c: Json) => `${c.type}=${c.status}`).sort(), [
          'DiskPressure=False',
          'MemoryPressure=False',
          'PIDPressure=False',
          'Ready=True',
        ]);
        const lease = JSON.parse(
          await ok(['get', 'lease', node, '-n', 'kube-node-lease', '-o', 'json']),
        );
        assert.equal(lease.spec.holderIdentity, node);
      });

      it('runs a pod and reports its status as Kubernetes does', async () => {
        await ok(
          ['apply', '-f', '-'],
          pod('hello', {
            containers: [
              container('main', 'echo hello from $HOSTNAME; while true; do sleep 1; done'),
            ],
          }),
        );
        const p = await waitPod('hello', (p) => running(p) && ready(p), 'running and ready');
        const s = p.status;
        assert.ok(s.podIP, 'has a pod IP');
        assert.ok(s.hostIP && s.startTime);
        assert.equal(s.qosClass, 'BestEffort');
        const types = s.conditions.map((c: Json) => `${c.type}=${c.status}`).sort();
        assert.deepEqual(types, [
          'ContainersReady=True',
          'Initialized=True',
          'PodReadyToStartContainers=True',
          'PodScheduled=True',
          'Ready=True',
        ]);
        const c = s.containerStatuses[0];
        assert.equal(c.restartCount, 0);
        assert.equal(c.ready, true);
        assert.equal(c.started, true);
        assert.match(c.containerID, new RegExp(`^${opts.runtime}://`));
        const logs = await ok(['logs', 'hello']);
        assert.equal(logs, 'hello from hello\n');
        const events = JSON.parse(
          await ok([
            'get',
            'events',
            '--field-selector',
            'involvedObject.name=hello',
            '-o',
            'json',
          ]),
        ).items.map((e: Json) => `${e.reason} ${e.message}`);
        assert.ok(
          events.includes(
            opts.runtime === 'process'
              ? `Pulled Container image "${image}" is recorded, not pulled: the process runtime runs the command on the host`
              : `Pulled Container image "${image}" already present on machine`,
          ),
          events.join('\n'),
        );
      });

      it('serves logs with --tail, --timestamps, -f, -c and --all-containers', async () => {
        await ok(
          ['apply', '-f', '-'],
          pod('chatty', {
            containers: [
              container(
                'count',
                'for i in 1 2 3 4 5; do echo line $i; done; while true; do sleep 0.2; echo tick; done',
              ),
              container('quiet', 'echo only once; while true; do sleep 1; done'),
            ],
          }),
        );
        await waitPod('chatty', running, 'running');
        const tail = await ok(['logs', 'chatty', '-c', 'quiet', '--tail=1']);
        assert.equal(tail, 'only once\n');
        const stamped = await ok(['logs', 'chatty', '-c', 'quiet', '--timestamps']);
        assert.match(stamped, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z only once\n$/);
        const all = await ok(['logs', 'chatty', '--all-containers', '--tail=1', '--prefix']);
        assert.match(all, /\[pod\/chatty\/quiet\] only once/);
        // kubectl picks the first container itself; the API asks for a choice.
        const noContainer = await k(['get', '--raw', '/api/v1/namespaces/default/pods/chatty/log']);
        assert.notEqual(noContainer.code, 0);
        assert.match(
          noContainer.stderr,
          /a container name must be specified for pod chatty, choose one of: \[count quiet\]/,
        );
        const followed = await followUntil(
          cluster,
          ['logs', '-f', 'chatty', '-c', 'count'],
          /tick\n.*tick\n/s,
        );
        assert.match(followed, /^line 1\nline 2\nline 3\nline 4\nline 5\n/);
      });

      it('execs commands with exit codes, stdin and a TTY', async () => {
        await ok(
          ['apply', '-f', '-'],
          pod('shell', { containers: [container('main', 'while true; do sleep 1; done')] }),
        );
        await waitPod('shell', running, 'running');
        assert.equal(
          await ok(['exec', 'shell', '--', 'sh', '-c', 'echo out; echo err >&2']),
          'out\n',
        );
        const failed = await k(['exec', 'shell', '--', 'sh', '-c', 'exit 3']);
        assert.equal(failed.code, 3);
        assert.match(failed.stderr, /command terminated with exit code 3/);
        assert.equal(
          await ok(['exec', '-i', 'shell', '--', 'cat'], 'through stdin\n'),
          'through stdin\n',
        );
        const tty = await viaScript(cluster, [
          'exec',
          '-it',
          'shell',
          '--',
          'sh',
          '-c',
          'test -t 0 && echo has-tty',
        ]);
        assert.match(tty, /has-tty/);
      });

      it('restarts a crashing container with back-off (CrashLoopBackOff)', async () => {
        await ok(
          ['apply', '-f', '-'],
          pod('crasher', { containers: [container('main', 'echo crashing; exit 1')] }),
        );
        const p = await waitPod(
          'crasher',
          (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff',
          'in CrashLoopBackOff',
        );
        const c = p.status.containerStatuses[0];
        assert.ok(c.restartCount >= 1);
        assert.equal(c.lastState.terminated.exitCode, 1);
        assert.equal(c.lastState.terminated.reason, 'Error');
        assert.match(
          c.state.waiting.message,
          /^back-off \d+s restarting failed container=main pod=crasher_default\(/,
        );
        assert.equal(await ok(['logs', 'crasher', '--previous']), 'crashing\n');
        const events = await ok([
          'get',
          'events',
          '--field-selector',
          'involvedObject.name=crasher',
          '-o',
          'json',
        ]);
        assert.ok(JSON.parse(events).items.some((e: Json) => e.reason === 'BackOff'));
      });

      it('restarts a container whose liveness probe fails, and flips Ready with readiness', async () => {
        await ok(
          ['apply', '-f', '-'],
          pod('probed', {
            containers: [
              container('main', 'touch /tmp/wharf-live-$HOSTNAME; while true; do sleep 1; done', {
                livenessProbe: {
                  exec: { command: ['sh', '-c', 'test -f /tmp/wharf-live-$HOSTNAME'] },
                  periodSeconds: 1,
                  failureThreshold: 1,
                },
                readinessProbe: {
                  exec: { command: ['sh', '-c', 'test -f /tmp/wharf-ready-$HOSTNAME'] },
                  periodSeconds: 1,
                },
              }),
            ],
          }),
        );
        await waitPod('probed', (p) => running(p) && !ready(p), 'running but not ready');
        await ok(['exec', 'probed', '--', 'sh', '-c', 'touch /tmp/wharf-ready-$HOSTNAME']);
        await waitPod('probed', ready, 'ready');
        await ok(['exec', 'probed', '--', 'sh', '-c', 'rm /tmp/wharf-ready-$HOSTNAME']);
        await waitPod('probed', (p) => !ready(p), 'unready again');
        await ok(['exec', 'probed', '--', 'sh', '-c', 'rm /tmp/wharf-live-$HOSTNAME']);
        const p = await waitPod(
          'probed',
          (p) => p.status.containerStatuses[0].restartCount >= 1,
          'restarted',
        );
        // SIGTERM ends a shell (143), except as PID 1 of a container, which waits for SIGKILL (137).
        assert.ok([137, 143].includes(p.status.containerStatuses[0].lastState.terminated.exitCode));
        const events = JSON.parse(
          await ok([
            'get',
            'events',
            '--field-selector',
            'involvedObject.name=probed',
            '-o',
            'json',
          ]),
        );
        assert.ok(
          events.items.some(
            (e: Json) => e.reason === 'Unhealthy' && /^Liveness probe failed/.test(e.message),
          ),
        );
        assert.ok(
          events.items.some(
            (e: Json) =>
              e.reason === 'Killing' && /failed liveness probe, will be restarted/.test(e.message),
          ),
        );
      });

      it('stops a pod gracefully: SIGTERM reaches its handler before it is removed', async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-term-'));
        try {
          await ok(
            ['apply', '-f', '-'],
            pod('graceful', {
              volumes: [{ name: 'out', hostPath: { path: dir } }],
              containers: [
                container(
                  'main',
                  'trap "echo got SIGTERM > /out/term; exit 0" TERM; while true; do sleep 0.2; done',
                  {
                    volumeMounts: [{ name: 'out', mountPath: '/out' }],
                  },
                ),
              ],
            }),
          );
          await waitPod('graceful', running, 'running');
          await ok(['delete', 'pod', 'graceful', '--wait=true', '--timeout=30s']);
          assert.equal(fs.readFileSync(path.join(dir, 'term'), 'utf8'), 'got SIGTERM\n');
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      });

      it('passes env values, field refs, config maps, secrets and service variables', async () => {
        await ok([
          'create',
          'configmap',
          'settings',
          '--from-literal=mode=fast',
          '--from-literal=level=3',
        ]);
        await ok(['create', 'secret', 'generic', 'creds', '--from-literal=password=s3cret']);
        await ok(
          ['apply', '-f', '-'],
          JSON.stringify({
            apiVersion: 'v1',
            kind: 'Service',
            metadata: { name: 'backend' },
            spec: {
              clusterIP: '10.96.0.50',
              ports: [{ name: 'http', port: 80, targetPort: 8080 }],
              selector: { app: 'backend' },
            },
          }),
        );
        await ok(
          ['apply', '-f', '-'],
          pod('envy', {
            containers: [
              container('main', 'env | sort; while true; do sleep 1; done', {
                env: [
                  { name: 'PLAIN', value: 'v-$(POD_NAME)' },
                  { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                  {
                    name: 'MODE',
                    valueFrom: { configMapKeyRef: { name: 'settings', key: 'mode' } },
                  },
                  {
                    name: 'PASSWORD',
                    valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } },
                  },
                ],
                envFrom: [{ configMapRef: { name: 'settings' }, prefix: 'CFG_' }],
              }),
            ],
          }),
        );
        await waitPod('envy', running, 'running');
        const env = await ok(['exec', 'envy', '--', 'env']);
        for (const line of [
          'POD_NAME=envy',
          'MODE=fast',
          'PASSWORD=s3cret',
          'CFG_level=3',
          'CFG_mode=fast',
          'BACKEND_SERVICE_HOST=10.96.0.50',
          'BACKEND_SERVICE_PORT=80',
          'BACKEND_PORT_80_TCP=tcp://10.96.0.50:80',
          'HOSTNAME=envy',
        ]) {
          assert.ok(env.split('\n').includes(line), `env has ${line}:\n${env}`);
        }
      });

      it('shows configMap updates to a running pod through its volume', async () => {
        await ok(['create', 'configmap', 'page', '--from-literal=index.html=version one']);
        await ok(
          ['apply', '-f', '-'],
          pod('reader', {
            volumes: [{ name: 'page', configMap: { name: 'page' } }],
            containers: [
              container('main', 'while true; do sleep 1; done', {
                volumeMounts: [{ name: 'page', mountPath: '/etc/page' }],
              }),
            ],
          }),
        );
        await waitPod('reader', running, 'running');
        assert.equal(
          await ok(['exec', 'reader', '--', 'cat', '/etc/page/index.html']),
          'version one',
        );
        await ok([
          'create',
          'configmap',
          'page',
          '--from-literal=index.html=version two',
          '--dry-run=client',
          '-o',
          'yaml',
        ]).then((y) => ok(['replace', '-f', '-'], y));
        const deadline = Date.now() + WAIT_MS;
        let seen = '';
        while (Date.now() < deadline && seen !== 'version two') {
          seen = (await k(['exec', 'reader', '--', 'cat', '/etc/page/index.html'])).stdout;
          await new Promise((r) => setTimeout(r, 300));
        }
        assert.equal(seen, 'version two');
      });

      it("lets two pods bind the same port, and a pod's containers share localhost", async (t) => {
        const n = JSON.parse(await ok(['get', 'node', node, '-o', 'json']));
        if (n.metadata.labels['wharf.dev/pod-network'] === 'host')
          return t.skip('pods share the host network on this node');
        for (const name of ['web-a', 'web-b']) {
          await ok(
            ['apply', '-f', '-'],
            pod(name, {
              containers: [
                container('server', `while true; do echo ${name} | busybox nc -l -p 8080; done`),
                container('client', 'while true; do sleep 1; done'),
              ],
            }),
          );
        }
        for (const name of ['web-a', 'web-b']) {
          await waitPod(name, running, 'running');
          const deadline = Date.now() + WAIT_MS;
          let answer = '';
          while (Date.now() < deadline && answer !== `${name}\n`) {
            answer = (
              await k(['exec', name, '-c', 'client', '--', 'busybox', 'nc', '127.0.0.1', '8080'])
            ).stdout;
          }
          assert.equal(answer, `${name}\n`);
        }
      });

      it('forwards a local port to the pod and copies files with kubectl cp', async () => {
        await ok(
          ['apply', '-f', '-'],
          pod('served', {
            containers: [
              container(
                'web',
                'mkdir -p /tmp/www-$HOSTNAME && echo served by $HOSTNAME > /tmp/www-$HOSTNAME/index.html && exec busybox httpd -f -p 8080 -h /tmp/www-$HOSTNAME',
              ),
            ],
          }),
        );
        await waitPod('served', running, 'running');
        const answer = await throughPortForward(cluster, 'served', 8080, '/index.html');
        assert.equal(answer, 'served by served\n');

        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-cp-'));
        try {
          const payload = Buffer.alloc(256 * 1024, 7);
          fs.writeFileSync(path.join(dir, 'up.bin'), payload);
          await ok(['cp', path.join(dir, 'up.bin'), 'served:/tmp/wharf-cp-up.bin']);
          await ok(['cp', 'served:/tmp/wharf-cp-up.bin', path.join(dir, 'down.bin')]);
          assert.ok(fs.readFileSync(path.join(dir, 'down.bin')).equals(payload));
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
          await k(['exec', 'served', '--', 'rm', '-f', '/tmp/wharf-cp-up.bin']);
        }
      });

      it("runs ephemeral containers from kubectl debug, in the target container's processes", async () => {
        await ok(
          ['apply', '-f', '-'],
          pod('debuggee', { containers: [container('main', 'while true; do sleep 3217; done')] }),
        );
        await waitPod('debuggee', (p) => running(p) && ready(p), 'ready');
        const ephemeral = (p: Json, name: string): Json | undefined =>
          (p.status.ephemeralContainerStatuses ?? []).find((c: Json) => c.name === name);
        const debug = (name: string, extra: string[], script?: string, input?: string) =>
          k(
            [
              'debug',
              'debuggee',
              '--image',
              image,
              '--image-pull-policy',
              'IfNotPresent',
              '--container',
              name,
              ...extra,
              '--',
              'sh',
              ...(script ? ['-c', script] : []),
            ],
            input,
          );
        // Every process's command line, as /proc of the container's namespace shows it.
        const processes = "for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < $f; echo; done";
        const peek = await debug('peek', ['--target', 'main'], processes);
        assert.equal(peek.code, 0, peek.stderr);
        const p = await waitPod(
          'debuggee',
          (p) => !!ephemeral(p, 'peek')?.state?.terminated,
          'done with its ephemeral container',
        );
        const status = ephemeral(p, 'peek')!;
        assert.equal(status.state.terminated.exitCode, 0);
        assert.equal(status.ready, false);
        assert.equal(status.restartCount, 0);
        assert.equal(status.started, undefined, 'the kubelet reports no started for them');
        assert.match(await ok(['logs', 'debuggee', '-c', 'peek']), /sleep 3217/);
        if (opts.runtime === 'docker') {
          // Without a target the debugger has a process namespace of its own.
          assert.equal((await debug('alone', [], processes)).code, 0);
          await waitPod('debuggee', (p) => !!ephemeral(p, 'alone')?.state?.terminated, 'done');
          assert.doesNotMatch(await ok(['logs', 'debuggee', '-c', 'alone']), /sleep 3217/);
        }
        // Interactive: stdin reaches the ephemeral container through attach.
        const talk = await debug('talk', ['-i'], undefined, 'echo from-$((6*7))\nexit\n');
        assert.equal(talk.code, 0, talk.stderr);
        assert.match(talk.stdout, /from-42/);
        const after = await waitPod(
          'debuggee',
          (p) => !!ephemeral(p, 'talk')?.state?.terminated,
          'done with talk',
        );
        assert.equal(after.status.phase, 'Running');
        assert.equal(after.status.containerStatuses[0].restartCount, 0);
        assert.ok(ready(after), 'ephemeral containers do not count for readiness');
        const events = await ok([
          'get',
          'events',
          '--field-selector',
          'involvedObject.name=debuggee',
          '-o',
          'jsonpath={range .items[*]}{.reason} {.involvedObject.fieldPath}{"\\n"}{end}',
        ]);
        assert.ok(events.includes('Started spec.ephemeralContainers{peek}'), events);
        const changed = await k([
          'patch',
          'pod',
          'debuggee',
          '--subresource=ephemeralcontainers',
          '--type=json',
          '-p',
          JSON.stringify([{ op: 'remove', path: '/spec/ephemeralContainers/0' }]),
        ]);
        assert.notEqual(changed.code, 0);
        assert.match(changed.stderr, /existing ephemeral containers "peek" may not be removed/);
      });

      it('debugs the node with kubectl debug node/: its processes and its whole file system', async () => {
        // The debugging pod has hostPID, hostNetwork and the node's / at /host.
        const script = `test -d /proc/${process.pid} && echo sees-host-processes; test -r /host/proc/${process.pid}/status && echo host-root-is-recursive`;
        const created = await ok([
          'debug',
          `node/${node}`,
          '--image',
          image,
          '--image-pull-policy',
          'IfNotPresent',
          '--',
          'sh',
          '-c',
          script,
        ]);
        const name = /Creating debugging pod (\S+)/.exec(created)?.[1];
        assert.ok(name, created);
        await waitPod(name, (p) => p.status?.phase === 'Succeeded', 'Succeeded');
        assert.equal(await ok(['logs', name]), 'sees-host-processes\nhost-root-is-recursive\n');
        await ok(['delete', 'pod', name, '--wait=true']);
      });

      it("writes the kubelet's /etc/hosts: the pod's FQDN with a subdomain, and its hostAliases", async () => {
        await ok(
          ['apply', '-f', '-'],
          pod('named', {
            hostname: 'web-0',
            subdomain: 'nginx',
            hostAliases: [
              { ip: '127.0.0.1', hostnames: ['foo.local', 'bar.local'] },
              { ip: '10.1.2.3', hostnames: ['foo.remote'] },
            ],
            containers: [container('main', 'cat /etc/hosts; while true; do sleep 1; done')],
          }),
        );
        const p = await waitPod('named', running, 'running');
        const hosts = await ok(['exec', 'named', '--', 'cat', '/etc/hosts']);
        const lines = hosts.split('\n');
        assert.ok(
          lines.includes(`${p.status.podIP}\tweb-0.nginx.default.svc.cluster.local\tweb-0`),
          hosts,
        );
        assert.ok(lines.includes('# Entries added by HostAliases.'), hosts);
        assert.ok(lines.includes('127.0.0.1\tfoo.local\tbar.local'), hosts);
        assert.ok(lines.includes('10.1.2.3\tfoo.remote'), hosts);
      });

      it('reports termination messages: the file a container wrote, or its log on error', async () => {
        await ok(
          ['apply', '-f', '-'],
          pod('last-words', {
            restartPolicy: 'Never',
            containers: [
              container('writer', 'printf "config missing" > /dev/termination-log; exit 3'),
              container('logger', 'echo first; echo "cannot connect"; exit 1', {
                terminationMessagePolicy: 'FallbackToLogsOnError',
              }),
              container('custom', 'echo done > /tmp/wharf-end-$HOSTNAME; exit 0', {
                terminationMessagePath: '/tmp/wharf-end-last-words',
              }),
            ],
          }),
        );
        const p = await waitPod('last-words', (p) => p.status?.phase === 'Failed', 'Failed');
        const terminated = (name: string) =>
          p.status.containerStatuses.find((c: Json) => c.name === name).state.terminated;
        assert.equal(terminated('writer').exitCode, 3);
        assert.equal(terminated('writer').message, 'config missing');
        assert.equal(terminated('logger').message, 'first\ncannot connect\n');
        assert.equal(terminated('custom').message, 'done\n');
        const described = await ok(['describe', 'pod', 'last-words']);
        assert.match(described, /Message:\s+config missing/);
      });

      it('runs init containers in order, sharing an emptyDir with the app', async () => {
        await ok(
          ['apply', '-f', '-'],
          pod('initialized', {
            volumes: [{ name: 'work', emptyDir: {} }],
            initContainers: [
              container('first', 'echo first >> /work/order', {
                volumeMounts: [{ name: 'work', mountPath: '/work' }],
              }),
              container('second', 'echo second >> /work/order', {
                volumeMounts: [{ name: 'work', mountPath: '/work' }],
              }),
            ],
            containers: [
              container('app', 'cat /work/order; while true; do sleep 1; done', {
                volumeMounts: [{ name: 'work', mountPath: '/work' }],
              }),
            ],
          }),
        );
        const p = await waitPod('initialized', running, 'running');
        assert.deepEqual(
          p.status.initContainerStatuses.map((c: Json) => [c.name, c.state.terminated?.reason]),
          [
            ['first', 'Completed'],
            ['second', 'Completed'],
          ],
        );
        assert.equal(await ok(['logs', 'initialized', '-c', 'app']), 'first\nsecond\n');
      });

      // Only the process runtime needs an explicit command: docker has the image's entrypoint.
      const processOnly = opts.runtime === 'process' ? it : () => undefined;
      processOnly(
        'explains why a container without a command cannot run as a host process',
        async () => {
          await ok(
            ['apply', '-f', '-'],
            pod('no-command', { containers: [{ name: 'main', image: 'nginx:1.27' }] }),
          );
          const p = await waitPod(
            'no-command',
            (p) => !!p.status?.containerStatuses?.[0]?.state?.waiting?.message,
            'waiting with a message',
          );
          const waiting = p.status.containerStatuses[0].state.waiting;
          assert.equal(waiting.reason, 'CreateContainerError');
          assert.match(waiting.message, /has no command/);
        },
      );

      // The process runtime records images and never pulls.
      const dockerOnly = opts.runtime === 'docker' ? it : () => undefined;
      dockerOnly(
        "reports an image it cannot pull as ErrImagePull, then ImagePullBackOff, in the engine's words",
        async () => {
          const missing = `wharf-missing/none-${Date.now().toString(36)}:v1`;
          await ok(
            ['apply', '-f', '-'],
            pod('pull-fails', {
              containers: [{ name: 'main', image: missing, imagePullPolicy: 'IfNotPresent' }],
            }),
          );
          const backOff = await waitPod(
            'pull-fails',
            (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff',
            'in ImagePullBackOff',
          );
          assert.equal(
            backOff.status.containerStatuses[0].state.waiting.message,
            `Back-off pulling image "${missing}"`,
          );
          assert.equal(backOff.status.phase, 'Pending');
          const events = JSON.parse(
            await ok([
              'get',
              'events',
              '--field-selector',
              'involvedObject.name=pull-fails',
              '-o',
              'json',
            ]),
          ).items.map((e: Json) => `${e.type} ${e.reason} ${e.message}`);
          const failed = events.filter((e: string) =>
            e.startsWith('Warning Failed Failed to pull'),
          );
          assert.ok(failed.length > 0, events.join('\n'));
          for (const e of failed) {
            const prefix = `Warning Failed Failed to pull image "${missing}": `;
            assert.ok(e.startsWith(prefix) && e.length > prefix.length, e);
            assert.ok(!e.slice(prefix.length).includes('Failed to pull image'), `said once: ${e}`);
          }
          assert.ok(events.includes('Warning Failed Error: ErrImagePull'), events.join('\n'));
          await ok(['delete', 'pod', 'pull-fails', '--wait=true']);
        },
      );

      it('adopts running pods after the agent restarts, without restarting them', async () => {
        await ok(
          ['apply', '-f', '-'],
          pod('survivor', {
            containers: [
              container('main', 'while true; do sleep 1; done', {
                volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }],
              }),
            ],
            volumes: [{ name: 'scratch', emptyDir: {} }],
          }),
        );
        const before = await waitPod('survivor', running, 'running');
        const id = before.status.containerStatuses[0].containerID;
        const survivorDirs = podDirs(cluster.dataDir, before.metadata.uid);
        // The emptyDir is in the agent's data dir, the service-account token on tmpfs.
        assert.equal(survivorDirs.length, 2, `volume dirs: ${survivorDirs.join(', ')}`);
        await cluster.stop();
        // What a pod deleted while the agent was down, its containers gone with a reboot,
        // leaves behind: its volume directories, and no record to tear them down by.
        const orphan = randomUUID();
        for (const dir of survivorDirs)
          fs.cpSync(dir, path.join(path.dirname(dir), orphan), { recursive: true });
        assert.equal(podDirs(cluster.dataDir, orphan).length, 2);
        cluster = await startTestCluster({
          dataDir: cluster.dataDir,
          agent: { runtime: opts.runtime, nodeName: node },
        });
        const after = await waitPod(
          'survivor',
          (p) => running(p) && ready(p),
          'running after the restart',
        );
        assert.equal(after.status.containerStatuses[0].containerID, id);
        assert.equal(after.status.containerStatuses[0].restartCount, 0);
        assert.deepEqual(podDirs(cluster.dataDir, orphan), [], 'the orphan volumes are removed');
        assert.deepEqual(podDirs(cluster.dataDir, before.metadata.uid), survivorDirs);
      });
    },
  );
}

/** A pod's volume directories: in the agent's data dir, and on tmpfs (its secrets and token). */
function podDirs(clusterDataDir: string, uid: string): string[] {
  const dataDir = path.join(clusterDataDir, 'agent');
  const memory = openMemoryVolumes(dataDir);
  return [path.join(dataDir, 'pods', uid), ...(memory ? [path.join(memory, uid)] : [])].filter(
    (dir) => fs.existsSync(dir),
  );
}

/** Runs kubectl until its output matches, then stops it (for `logs -f`). */
function followUntil(cluster: TestCluster, args: string[], until: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(KUBECTL, [...cluster.kubectlArgs, ...args], { timeout: 30_000 });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (until.test(out)) {
        child.kill();
        resolve(out);
      }
    });
    child.on('exit', () =>
      until.test(out)
        ? resolve(out)
        : reject(new Error(`kubectl ${args.join(' ')} ended with: ${out}`)),
    );
  });
}

/** `kubectl port-forward` to a free local port, one HTTP GET through it, then stop. */
async function throughPortForward(
  cluster: TestCluster,
  pod: string,
  port: number,
  urlPath: string,
): Promise<string> {
  const child = execFile(
    KUBECTL,
    [...cluster.kubectlArgs, 'port-forward', `pod/${pod}`, `:${port}`],
    {
      timeout: 30_000,
    },
  );
  try {
    const local = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.on('exit', () => reject(new Error(`port-forward ended: ${out}`)));
    });
    const res = await fetch(`http://127.0.0.1:${local}${urlPath}`, {
      signal: AbortSignal.timeout(10_000),
    });
    return await res.text();
  } finally {
    child.kill();
  }
}

/** Runs kubectl under a pseudo-terminal (util-linux `script`), for `exec -it`. */
function viaScript(cluster: TestCluster, args: string[]): Promise<string> {
  const quoted = [KUBECTL, ...cluster.kubectlArgs, ...args]
    .map((a) => `'${a.replace(/'/g, `'\\''`)}'`)
    .join(' ');
  return new Promise((resolve) => {
    execFile('script', ['-qec', quoted, '/dev/null'], { timeout: 30_000 }, (_err, stdout) =>
      resolve(String(stdout)),
    );
  });
}
