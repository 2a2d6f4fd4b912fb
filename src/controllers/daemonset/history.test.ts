import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../api/index.ts';
import { computeHash, safeEncodeString, stableStringify } from './hash.ts';
import {
  apiError,
  daemonSet,
  hashFor,
  node,
  pod,
  revisionFor,
  setup,
  summary,
} from './test-support.ts';

// The template history: ControllerRevisions made, renumbered, merged, labelled and trimmed.

const ds = daemonSet('web', { image: 'busybox:3' });
const older = (image: string, revision: number) =>
  revisionFor(daemonSet('web', { image }), revision);

describe('revision hashes', () => {
  it('spells the decimal FNV-32a with the safe alphabet', () => {
    assert.equal(safeEncodeString('0123456789'), '456789bcdf');
    const hash = computeHash({ spec: { containers: [{ name: 'c' }] } });
    assert.match(hash, /^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
  });

  it('depends on the template, not on key order, and on the collision count', () => {
    const a = { metadata: { labels: { x: '1' } }, spec: { b: 1, a: 2 } };
    const b = { spec: { a: 2, b: 1 }, metadata: { labels: { x: '1' } } };
    assert.equal(stableStringify(a), stableStringify(b));
    assert.equal(computeHash(a), computeHash(b));
    assert.notEqual(computeHash(a), computeHash(a, 1));
    assert.notEqual(computeHash(a), computeHash({ ...a, spec: { a: 3 } }));
  });
});

describe('ControllerRevisions', () => {
  it('records the template as a patch, with labels, annotations and owner', async () => {
    const { dsc, calls } = setup({ daemonSets: [ds], revisions: [older('busybox:1', 4)] });
    await dsc.reconcile('ns/web');
    const hash = hashFor(ds);
    assert.deepEqual(calls[0]!.body, {
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: {
        name: `web-${hash}`,
        namespace: 'ns',
        labels: { app: 'web', 'controller-revision-hash': hash },
        annotations: { note: 'ds' },
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: 'DaemonSet',
            name: 'web',
            uid: 'uid-web',
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      data: {
        spec: {
          template: {
            $patch: 'replace',
            metadata: { labels: { app: 'web' } },
            spec: { containers: [{ name: 'c', image: 'busybox:3' }] },
          },
        },
      },
      revision: 5,
    });
  });

  it('renumbers the current revision above the old ones (a rollback)', async () => {
    const current = revisionFor(ds, 1);
    const { dsc, calls } = setup({ daemonSets: [ds], revisions: [current, older('busybox:2', 2)] });
    await dsc.reconcile('ns/web');
    assert.deepEqual(summary(calls), [
      `update controllerrevisions web-${hashFor(ds)}`,
      'update daemonsets/status web',
    ]);
    assert.equal((calls[0]!.body as { revision: number }).revision, 3);
  });

  it('labels a revision that lacks the hash label with its name', async () => {
    const unlabelled = older('busybox:1', 1);
    delete unlabelled.metadata!.labels!['controller-revision-hash'];
    const { dsc, calls } = setup({ daemonSets: [ds], revisions: [unlabelled, revisionFor(ds, 2)] });
    await dsc.reconcile('ns/web');
    const name = unlabelled.metadata!.name!;
    assert.deepEqual(summary(calls).slice(0, 1), [`update controllerrevisions ${name}`]);
    const labels = (calls[0]!.body as KubeObject).metadata?.labels;
    assert.equal(labels?.['controller-revision-hash'], name);
  });

  it('merges duplicates of the current revision, relabelling pods to the one kept', async () => {
    const keep = revisionFor(ds, 3, 'keep');
    const dup = revisionFor(ds, 2, 'dup');
    const p = pod('p1', ds, { node: 'n1', hash: 'dup' });
    const { dsc, calls } = setup({
      daemonSets: [ds],
      nodes: [node('n1')],
      pods: [p],
      revisions: [dup, keep],
    });
    await dsc.reconcile('ns/web');
    assert.deepEqual(summary(calls).slice(0, 2), [
      'patch pods p1',
      'delete controllerrevisions web-dup',
    ]);
    assert.deepEqual(calls[0]!.body, {
      metadata: { labels: { 'controller-revision-hash': 'keep' } },
    });
  });

  it('trims old revisions beyond the limit, oldest first, sparing those pods still use', async () => {
    const limited = daemonSet('web', { image: 'busybox:3', revisionHistoryLimit: 2 });
    const [r1, r2, r3] = [older('busybox:0', 1), older('busybox:1', 2), older('busybox:2', 3)];
    const still = pod('still', limited, {
      node: 'n1',
      hash: r1.metadata!.labels!['controller-revision-hash'],
    });
    const { dsc, calls } = setup({
      daemonSets: [limited],
      nodes: [node('n1')],
      pods: [still],
      revisions: [r3, r1, r2, revisionFor(limited, 4)],
    });
    await dsc.reconcile('ns/web');
    const deletedRevisions = calls
      .filter((c) => c.verb === 'delete' && c.resource === 'controllerrevisions')
      .map((c) => c.name);
    assert.deepEqual(deletedRevisions, [r2.metadata!.name]);
  });

  it('bumps collisionCount when another template holds the name', async () => {
    const hash = hashFor(ds);
    const squatter = { ...older('busybox:9', 1), metadata: { name: `web-${hash}` } };
    const exists = apiError(409, 'AlreadyExists', 'already exists');
    const { dsc, calls } = setup(
      { daemonSets: [ds] },
      {
        script: {
          objects: { [`controllerrevisions/web-${hash}`]: squatter, 'daemonsets/web': ds },
          failCreate: (resource) => (resource === 'controllerrevisions' ? exists : undefined),
        },
      },
    );
    await assert.rejects(dsc.reconcile('ns/web'), /failed to construct revisions of DaemonSet/);
    assert.deepEqual(summary(calls), [
      `create controllerrevisions web-${hash}`,
      `get controllerrevisions web-${hash}`,
      'get daemonsets web',
      'update daemonsets/status web',
    ]);
    assert.equal(
      (calls[3]!.body as { status: { collisionCount: number } }).status.collisionCount,
      1,
    );
  });

  it('adopts an orphan revision that matches its selector', async () => {
    const orphan = revisionFor(ds, 1);
    delete orphan.metadata!.ownerReferences;
    const { dsc, calls } = setup(
      { daemonSets: [ds], revisions: [orphan] },
      { script: { objects: { 'daemonsets/web': ds } } },
    );
    await dsc.reconcile('ns/web');
    assert.deepEqual(summary(calls).slice(0, 2), [
      'get daemonsets web',
      `patch controllerrevisions ${orphan.metadata!.name}`,
    ]);
  });
});
