import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../api/index.ts';
import { isPodAvailable, nodeNameOf } from './pods.ts';
import { targetNodeName } from './placement.ts';
import {
  daemonSet,
  deleted,
  hashFor,
  iso,
  lastStatus,
  node,
  NOW,
  pod,
  revisionFor,
  setup,
  summary,
  type DaemonSetOptions,
} from './test-support.ts';

// Rolling updates, step by step: each step reconciles once, then plays the API's and a
// kubelet's part (created pods appear bound, deleted pods disappear, pods made in an
// earlier step become ready), and records what the controller did to which node.

const v1 = daemonSet('web');

function rolloutOf(opts: DaemonSetOptions, nodeCount = 3, oldReady = true) {
  const v2 = daemonSet('web', { ...opts, image: 'busybox:2', generation: 2 });
  const names = Array.from({ length: nodeCount }, (_, i) => `n${i + 1}`);
  const old = names.map((n) =>
    pod(`old-${n}`, v1, { node: n, ...(oldReady ? { readySince: NOW - 3_600_000 } : {}) }),
  );
  const env = setup({
    daemonSets: [v2],
    nodes: names.map((n) => node(n)),
    pods: old,
    revisions: [revisionFor(v1, 1)],
  });
  return { ...env, v2, names };
}

type Env = ReturnType<typeof rolloutOf>;

/** One step; answers what the controller did, as `create n1` / `delete n2`. */
async function step(env: Env): Promise<string[]> {
  const { dsc, caches, calls } = env;
  calls.length = 0;
  // What an earlier step created is ready now.
  for (const p of caches.pods.list()) {
    if (p.metadata?.name?.startsWith('web-') && !isPodAvailable(p, 0, NOW)) {
      const ready = structuredClone(p);
      ready.metadata!.resourceVersion = '7';
      ready.status = {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: iso(NOW) }],
      };
      caches.pods.set(ready);
      dsc.updatePod(p, ready);
    }
  }
  await dsc.reconcile('ns/web');
  const did: string[] = [];
  for (const c of calls) {
    const body = c.body as KubeObject;
    if (c.verb === 'create' && c.resource === 'controllerrevisions') {
      caches.revisions.set({ ...body, metadata: { ...body.metadata, uid: `uid-${c.name}` } });
    } else if (c.verb === 'create') {
      const target = targetNodeName(body)!;
      const name = `web-${target}-${Math.random().toString(36).slice(2, 7)}`;
      const created = {
        ...body,
        metadata: { ...body.metadata, name, namespace: 'ns', uid: `uid-${name}` },
        spec: { ...(body.spec as object), nodeName: target },
        status: { phase: 'Pending' },
      };
      created.metadata.creationTimestamp = iso(NOW);
      created.metadata.resourceVersion = '6';
      caches.pods.set(created);
      dsc.addPod(created);
      did.push(`create ${target}`);
    } else if (c.verb === 'delete' && c.resource === 'pods') {
      const gone = caches.pods.get(`ns/${c.name}`)!;
      caches.pods.remove(gone);
      dsc.deletePod(gone);
      did.push(`delete ${nodeNameOf(gone)}`);
    }
  }
  return did;
}

/** Runs steps until the controller only writes status; checks `invariant` after each. */
async function rollOut(env: Env, invariant: (env: Env) => void): Promise<string[][]> {
  const steps: string[][] = [];
  for (let i = 0; i < 20; i++) {
    const did = await step(env);
    invariant(env);
    if (did.length === 0) return steps;
    steps.push(did);
  }
  assert.fail(`no end in sight: ${JSON.stringify(steps)}`);
}

/** Nodes without an available pod. */
function unavailableNodes(env: Env): number {
  return env.names.filter(
    (n) => !env.caches.pods.list().some((p) => nodeNameOf(p) === n && isPodAvailable(p, 0, NOW)),
  ).length;
}

describe('RollingUpdate', () => {
  it('makes revision 2 and replaces one pod at a time with maxUnavailable 1', async () => {
    const env = rolloutOf({});
    const v2hash = hashFor(env.v2);
    const steps = await rollOut(env, (e) => assert.ok(unavailableNodes(e) <= 1));
    assert.deepEqual(steps, [
      ['delete n1'],
      ['create n1'],
      ['delete n2'],
      ['create n2'],
      ['delete n3'],
      ['create n3'],
    ]);
    const revisions = env.caches.revisions.list().map((cr) => [cr.metadata?.name, cr.revision]);
    assert.deepEqual(revisions, [
      [`web-${hashFor(v1)}`, 1],
      [`web-${v2hash}`, 2],
    ]);
    const pods = env.caches.pods.list();
    assert.ok(pods.every((p) => p.metadata?.labels?.['controller-revision-hash'] === v2hash));
    assert.deepEqual(lastStatus(env.calls), {
      currentNumberScheduled: 3,
      numberMisscheduled: 0,
      desiredNumberScheduled: 3,
      numberReady: 3,
      observedGeneration: 2,
      updatedNumberScheduled: 3,
      numberAvailable: 3,
    });
  });

  it('replaces two at a time with maxUnavailable 2', async () => {
    const env = rolloutOf({
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 2, maxSurge: 0 } },
    });
    const steps = await rollOut(env, (e) => assert.ok(unavailableNodes(e) <= 2));
    assert.deepEqual(steps[0], ['delete n1', 'delete n2']);
  });

  it('replaces every old pod that is unavailable anyway at once', async () => {
    const env = rolloutOf({}, 3, false);
    const first = await step(env);
    assert.deepEqual(first, ['delete n1', 'delete n2', 'delete n3']);
  });

  it('waits for a pod being deleted to go before making its successor', async () => {
    const env = rolloutOf({});
    const old = env.caches.pods.get('ns/old-n1')!;
    const terminating = structuredClone(old);
    terminating.metadata!.deletionTimestamp = iso(NOW);
    env.caches.pods.set(terminating);
    await env.dsc.reconcile('ns/web');
    assert.deepEqual(deleted(env.calls), [], 'n1 counts as unavailable: nothing else goes');
    assert.ok(!summary(env.calls).some((c) => c.startsWith('create pods')));
  });

  it('surges one new pod beside the old with maxSurge 1, never leaving a node without', async () => {
    const env = rolloutOf({
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
    });
    const steps = await rollOut(env, (e) => assert.equal(unavailableNodes(e), 0));
    assert.deepEqual(steps, [
      ['create n1'],
      ['delete n1'],
      ['create n2'],
      ['delete n2'],
      ['create n3'],
      ['delete n3'],
    ]);
  });

  it('with OnDelete replaces nothing, but a deleted pod comes back new', async () => {
    const env = rolloutOf({ updateStrategy: { type: 'OnDelete' } });
    assert.deepEqual(await step(env), []);
    const gone = env.caches.pods.get('ns/old-n2')!;
    env.caches.pods.remove(gone);
    env.dsc.deletePod(gone);
    assert.deepEqual(await step(env), ['create n2']);
    const created = env.caches.pods.list().find((p) => p.metadata?.name?.startsWith('web-'))!;
    assert.equal(created.metadata?.labels?.['controller-revision-hash'], hashFor(env.v2));
    assert.equal(
      (lastStatus(env.calls) as { updatedNumberScheduled?: number }).updatedNumberScheduled,
      undefined,
    );
  });
});
