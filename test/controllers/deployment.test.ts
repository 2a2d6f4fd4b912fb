import assert from 'node:assert/strict';
import { setMaxListeners } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { InformerFactory, RestClient, stderrLogger } from '../../src/client/index.ts';
import * as controllers from '../../src/controllers/index.ts';
import { DeploymentController } from '../../src/controllers/deployment/index.ts';
import { startTestCluster, type TestCluster } from '../support/cluster.ts';
import { KUBECTL, kubectl, kubectlOk } from '../support/kubectl.ts';
import { missingCommand } from '../support/requirements.ts';
import { untilTruthy } from '../support/until.ts';

// Deployments through the real kubectl, against a cluster whose node agent runs pods as
// host processes, each in its own network namespace: `busybox httpd` serves a version
// string; a rolling update runs under a bounded loop of requests to the Ready pods (as an
// endpoints controller would pick them) that must never fail; then history, undo,
// restart, pause and resume, scale, a progress deadline, cascading delete, and the canary
// recipe of docs/recipes/canary.md. Until the controller manager runs the Deployment
// controller, the test runs it itself.

type Json = Record<string, any>;

const WAIT_MS = 90_000;
const registered = 'DeploymentController' in controllers;
const PODS = { group: '', version: 'v1', resource: 'pods', namespaced: true };
/** Where the pods' httpd serve from: made before the tests, removed after them. */
let webRoot = '';
const SERVE =
  'mkdir -p $(ROOT)/$(POD_NAME) && echo $(VERSION) > $(ROOT)/$(POD_NAME)/index.html && ' +
  'exec busybox httpd -f -p 8080 -h $(ROOT)/$(POD_NAME)';

function template(labels: Record<string, string>, version: string, readyPort = 8080): Json {
  return {
    metadata: { labels },
    spec: {
      terminationGracePeriodSeconds: 5,
      containers: [
        {
          name: 'web',
          image: `busybox:${version}`,
          imagePullPolicy: 'IfNotPresent',
          command: ['sh', '-c', SERVE],
          env: [
            { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            { name: 'ROOT', value: webRoot },
            { name: 'VERSION', value: version },
          ],
          readinessProbe: { httpGet: { path: '/', port: readyPort }, periodSeconds: 1 },
          // A pod leaving the endpoints keeps serving a little, as production pods do.
          lifecycle: { preStop: { exec: { command: ['sleep', '2'] } } },
        },
      ],
    },
  };
}

function deployment(name: string, labels: Record<string, string>, version: string, spec: Json) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: { selector: { matchLabels: labels }, template: template(labels, version), ...spec },
  };
}

const ready = (p: Json) =>
  !p.metadata.deletionTimestamp &&
  p.status?.phase === 'Running' &&
  p.status.conditions?.some((c: Json) => c.type === 'Ready' && c.status === 'True');

describe(
  'Deployment controller on the process runtime',
  { skip: missingCommand('busybox', 'apt-get install busybox-static'), timeout: 900_000 },
  () => {
    let cluster: TestCluster;
    let client: RestClient;
    let factory: InformerFactory | undefined;
    const stop = new AbortController();
    setMaxListeners(0, stop.signal);
    let running: Promise<unknown> = Promise.resolve();

    const k = (...args: string[]) =>
      kubectlOk(KUBECTL, cluster.kubectlArgs, args, { timeoutMs: WAIT_MS });
    const create = (obj: Json) =>
      kubectlOk(KUBECTL, cluster.kubectlArgs, ['create', '-f', '-'], {
        input: JSON.stringify(obj),
        timeoutMs: WAIT_MS,
      });
    const json = async (...args: string[]): Promise<Json> =>
      JSON.parse(await k(...args, '-o', 'json'));
    const rolledOut = (name: string) =>
      k('rollout', 'status', `deployment/${name}`, `--timeout=${WAIT_MS / 1000}s`);
    const replicaSets = async (selector: string): Promise<Json[]> =>
      (await json('get', 'rs', '-l', selector)).items;
    const raw = (...args: string[]) =>
      kubectl(KUBECTL, cluster.kubectlArgs, args, { timeoutMs: WAIT_MS });
    const pods = async (selector: string): Promise<Json[]> =>
      (await client.list(PODS, 'default', { labelSelector: selector })).items;
    const readyPods = async (selector: string) => (await pods(selector)).filter(ready);
    const revision = (o: Json) => o.metadata.annotations?.['deployment.kubernetes.io/revision'];

    /** Polls `check` every 250 ms until it answers something truthy; fails after 90 s. */
    const until = <T>(what: string, check: () => Promise<T>) =>
      untilTruthy(what, check, { timeoutMs: WAIT_MS, intervalMs: 250 });

    async function get(pod: Json): Promise<string> {
      const res = await fetch(`http://${pod.status.podIP}:8080/`, {
        signal: AbortSignal.timeout(2000),
      });
      if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
      return (await res.text()).trim();
    }

    /** What each Ready pod of `selector` answers, once. */
    const answers = async (selector: string) => Promise.all((await readyPods(selector)).map(get));

    /**
     * Requests round-robin over the pods Ready right now (read from the API each time),
     * until `done()` or 400 requests or 60 s. Answers every response and every failure.
     */
    async function traffic(selector: string, done: () => boolean) {
      const seen: string[] = [];
      const failures: string[] = [];
      const deadline = Date.now() + 60_000;
      for (let i = 0; i < 400 && Date.now() < deadline && !done(); i++) {
        const live = await readyPods(selector);
        const pod = live[i % Math.max(live.length, 1)];
        if (!pod) failures.push(`request ${i}: no Ready pod`);
        else {
          try {
            seen.push(await get(pod));
          } catch (err) {
            failures.push(`request ${i} to ${pod.metadata.name}: ${err}`);
          }
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      return { seen, failures };
    }

    before(async () => {
      webRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-deploy-web-'));
      cluster = await startTestCluster({ agent: { runtime: 'process', nodeName: 'deploy-node' } });
      client = new RestClient({ server: cluster.url, token: cluster.token, caPem: cluster.caPem });
      if (registered) return;
      factory = new InformerFactory(client, { logger: stderrLogger });
      const dc = new DeploymentController(client, undefined, factory, stderrLogger);
      factory.start(stop.signal);
      running = dc.run(stop.signal);
    });

    after(async () => {
      if (cluster) {
        await raw('delete', 'deploy', '--all');
        await raw('delete', 'rs,pods', '--all', '--grace-period=1', '--wait=true');
        await until('every pod gone', async () => (await json('get', 'pods')).items.length === 0);
      }
      stop.abort();
      await running;
      await factory?.stop();
      await cluster?.close();
      if (webRoot) fs.rmSync(webRoot, { recursive: true, force: true });
    });

    let firstRS: Json;

    it('rolls out a new Deployment: a ReplicaSet per template hash, revision 1', async () => {
      await create(
        deployment('hello', { app: 'hello' }, 'v1', {
          replicas: 3,
          strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
        }),
      );
      assert.match(await rolledOut('hello'), /deployment "hello" successfully rolled out/);
      const d = await json('get', 'deploy', 'hello');
      const [rs, ...others] = await replicaSets('app=hello');
      assert.equal(others.length, 0);
      firstRS = rs!;
      const hash = rs!.metadata.labels['pod-template-hash'];
      assert.match(hash, /^[bcdfghjklmnpqrstvwxz2456789]+$/);
      assert.equal(rs!.metadata.name, `hello-${hash}`);
      assert.deepEqual(rs!.spec.selector.matchLabels, { app: 'hello', 'pod-template-hash': hash });
      assert.equal(rs!.spec.template.metadata.labels['pod-template-hash'], hash);
      const [ref] = rs!.metadata.ownerReferences;
      assert.deepEqual(
        [ref.kind, ref.name, ref.uid, ref.controller],
        ['Deployment', 'hello', d.metadata.uid, true],
      );
      const a = rs!.metadata.annotations;
      const keys = ['revision', 'desired-replicas', 'max-replicas'];
      assert.deepEqual(
        keys.map((x) => a[`deployment.kubernetes.io/${x}`]),
        ['1', '3', '4'],
      );
      assert.equal(revision(d), '1');
      const { conditions: _c, ...counts } = d.status;
      const want = { replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 };
      assert.deepEqual(counts, { observedGeneration: d.metadata.generation, ...want });
      const reasons = d.status.conditions.map((c: Json) => `${c.type}=${c.status} ${c.reason}`);
      assert.deepEqual(reasons.sort(), [
        'Available=True MinimumReplicasAvailable',
        'Progressing=True NewReplicaSetAvailable',
      ]);
      const progressing = d.status.conditions.find((c: Json) => c.type === 'Progressing');
      assert.equal(progressing.message, `ReplicaSet "hello-${hash}" has successfully progressed.`);
      const pods = await readyPods('app=hello');
      assert.equal(pods.length, 3);
      for (const p of pods) assert.equal(p.metadata.labels['pod-template-hash'], hash);
      assert.deepEqual(await answers('app=hello'), ['v1', 'v1', 'v1']);
      assert.match(
        await k('describe', 'deployment', 'hello'),
        new RegExp(
          `ScalingReplicaSet\\s+\\S+\\s+deployment-controller\\s+Scaled up replica set hello-${hash} to 3$`,
          'm',
        ),
      );
    });

    it('rolls v1 to v2 (maxSurge 1, maxUnavailable 0) without a failed request', async () => {
      let done = false;
      const load = traffic('app=hello', () => done);
      const v2 = { name: 'web', image: 'busybox:v2', env: [{ name: 'VERSION', value: 'v2' }] };
      const patch = { spec: { template: { spec: { containers: [v2] } } } };
      await new Promise((r) => setTimeout(r, 500));
      await k('patch', 'deployment', 'hello', '-p', JSON.stringify(patch));
      const status = await rolledOut('hello');
      done = true;
      const { seen, failures } = await load;
      assert.deepEqual(failures, []);
      assert.match(status, /deployment "hello" successfully rolled out/);
      assert.ok(seen.includes('v1') && seen.includes('v2'), `answers: ${seen.join(' ')}`);
      assert.deepEqual(await answers('app=hello'), ['v2', 'v2', 'v2']);
      const events = await k('describe', 'deployment', 'hello');
      assert.match(
        events,
        new RegExp(`Scaled down replica set ${firstRS.metadata.name} to 2 from 3`),
      );
      assert.match(events, /Scaled up replica set hello-\w+ to 1$/m);
      const history = await k('rollout', 'history', 'deployment/hello');
      assert.match(history, /^1\s+<none>$/m);
      assert.match(history, /^2\s+<none>$/m);
    });

    it('rolls back with rollout undo, reusing the first ReplicaSet as revision 3', async () => {
      assert.match(await k('rollout', 'undo', 'deployment/hello'), /rolled back/);
      await rolledOut('hello');
      assert.deepEqual(await answers('app=hello'), ['v1', 'v1', 'v1']);
      const rs = await json('get', 'rs', firstRS.metadata.name);
      assert.equal(revision(rs), '3');
      assert.equal(rs.metadata.annotations['deployment.kubernetes.io/revision-history'], '1');
      assert.equal(revision(await json('get', 'deploy', 'hello')), '3');
      const history = await k('rollout', 'history', 'deployment/hello');
      assert.doesNotMatch(history, /^1\s/m);
      assert.match(history, /^2\s+<none>$/m);
      assert.match(history, /^3\s+<none>$/m);
    });

    it('makes new pods on rollout restart', async () => {
      const before = (await readyPods('app=hello')).map((p) => p.metadata.name);
      assert.match(await k('rollout', 'restart', 'deployment/hello'), /restarted/);
      await rolledOut('hello');
      const after = await until('three new Ready pods', async () => {
        const names = (await readyPods('app=hello')).map((p) => p.metadata.name);
        return names.length === 3 && names.every((n) => !before.includes(n)) ? names : null;
      });
      assert.equal(after.length, 3);
      assert.equal(revision(await json('get', 'deploy', 'hello')), '4');
    });

    it('holds a rollout while paused and resumes it', async () => {
      await k('rollout', 'pause', 'deployment/hello');
      const paused = await until('the DeploymentPaused condition', async () => {
        const d = await json('get', 'deploy', 'hello');
        const c = d.status.conditions.find((x: Json) => x.type === 'Progressing');
        return c.reason === 'DeploymentPaused' ? c : null;
      });
      assert.deepEqual([paused.status, paused.message], ['Unknown', 'Deployment is paused']);
      const count = (await replicaSets('app=hello')).length;
      await k('set', 'image', 'deployment/hello', 'web=busybox:paused');
      await until('the paused spec observed', async () => {
        const d = await json('get', 'deploy', 'hello');
        return d.status.observedGeneration === d.metadata.generation;
      });
      assert.equal((await replicaSets('app=hello')).length, count, 'no rollout while paused');
      await k('rollout', 'resume', 'deployment/hello');
      await rolledOut('hello');
      const images = (await readyPods('app=hello')).map((p) => p.spec.containers[0].image);
      assert.deepEqual(images, ['busybox:paused', 'busybox:paused', 'busybox:paused']);
    });

    it('scales with kubectl scale', async () => {
      await k('scale', 'deployment', 'hello', '--replicas=5');
      await until('5 Ready pods', async () => (await readyPods('app=hello')).length === 5);
      await until('READY 5/5', async () =>
        /^hello\s+5\/5\s+5\s+5\s/m.test(await k('get', 'deploy')),
      );
      await k('scale', 'deployment', 'hello', '--replicas=2');
      await until('2 pods', async () => {
        const left = await pods('app=hello');
        return left.length === 2 && left.every(ready);
      });
    });

    it('fails rollout status once the progress deadline is exceeded', async () => {
      const stuck = deployment('stuck', { app: 'stuck' }, 'v1', { progressDeadlineSeconds: 3 });
      stuck.spec.template = template({ app: 'stuck' }, 'v1', 9999);
      await create(stuck);
      const r = await raw('rollout', 'status', 'deployment/stuck', '--timeout=60s');
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stderr, /deployment "stuck" exceeded its progress deadline/);
      const d = await json('get', 'deploy', 'stuck');
      const c = d.status.conditions.find((x: Json) => x.type === 'Progressing');
      assert.deepEqual([c.status, c.reason], ['False', 'ProgressDeadlineExceeded']);
      assert.match(c.message, /^ReplicaSet "stuck-\w+" has timed out progressing\.$/);
      await k('delete', 'deployment', 'stuck');
    });

    it('deletes ReplicaSets and pods with the Deployment', async () => {
      await k('delete', 'deployment', 'hello');
      await until(
        'no ReplicaSet of hello',
        async () => (await replicaSets('app=hello')).length === 0,
      );
      await until('no pod of hello', async () => (await pods('app=hello')).length === 0);
    });

    it('runs the canary recipe: stable and canary pods behind one selector', async () => {
      await create(
        deployment('web-stable', { app: 'web', track: 'stable' }, 'stable', { replicas: 3 }),
      );
      await create(
        deployment('web-canary', { app: 'web', track: 'canary' }, 'canary', { replicas: 1 }),
      );
      await rolledOut('web-stable');
      await rolledOut('web-canary');
      const tracks = (await readyPods('app=web')).map((p) => p.metadata.labels.track).sort();
      assert.deepEqual(tracks, ['canary', 'stable', 'stable', 'stable']);
      assert.deepEqual((await answers('app=web')).sort(), ['canary', 'stable', 'stable', 'stable']);
      const shown = await k('get', 'pods', '-l', 'app=web', '-L', 'track');
      assert.equal(shown.match(/\bcanary\s*$/gm)?.length, 1);
      assert.equal(shown.match(/\bstable\s*$/gm)?.length, 3);
    });
  },
);
