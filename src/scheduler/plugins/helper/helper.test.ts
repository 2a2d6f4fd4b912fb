import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addResources, podInfo, podNonZeroRequests } from '../../framework/index.ts';
import { makeNode, makePod } from '../testing/fixtures.ts';
import { countMatching, toleratesTaint } from './index.ts';
import type { Taint, Toleration } from './index.ts';

describe('per-node caches follow the scheduler cache’s in-place updates', () => {
  const node = makeNode('n1', { pods: [makePod('a', { labels: { app: 'x' } })] });
  const matcher = {
    key: 'test:app=x',
    matches: (p: { metadata?: { labels?: Record<string, string> } }) =>
      p.metadata?.labels?.app === 'x',
  };
  const assume = (name: string) => {
    const pod = makePod(name, { labels: { app: 'x' }, nodeName: 'n1', containers: [{}] });
    const info = podInfo(pod);
    node.pods.push(info);
    node.requested = addResources(node.requested, info.requests);
  };

  it('countMatching', () => {
    assert.equal(countMatching(node, matcher), 1);
    assume('b');
    assert.equal(countMatching(node, matcher), 2);
    node.pods = node.pods.slice(1);
    node.requested = addResources(node.requested, node.requested);
    assert.equal(countMatching(node, matcher), 1);
  });
});

describe('podNonZeroRequests', () => {
  const cases: { name: string; pod: ReturnType<typeof makePod>; want: [number, number] }[] = [
    { name: 'no containers', pod: makePod('p'), want: [0, 0] },
    {
      name: 'a container without requests',
      pod: makePod('p', { containers: [{}] }),
      want: [100, 200 * 1024 * 1024],
    },
    {
      name: 'an explicit zero is kept',
      pod: makePod('p', { containers: [{ resources: { requests: { cpu: '0', memory: '1Gi' } } }] }),
      want: [0, 1024 ** 3],
    },
    {
      name: 'limits stand for missing requests',
      pod: makePod('p', { containers: [{ resources: { limits: { cpu: '2' } } }] }),
      want: [2000, 200 * 1024 * 1024],
    },
    {
      name: 'init containers get the defaults too, and the max is taken',
      pod: makePod('p', {
        containers: [{}, {}],
        initContainers: [{ resources: { requests: { cpu: '1' } } }],
      }),
      want: [1000, 400 * 1024 * 1024],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = podNonZeroRequests(c.pod);
      assert.deepEqual([r.milliCPU, r.memory], c.want);
    });
  }
});

describe('toleratesTaint', () => {
  const taint: Taint = { key: 'k', value: 'v', effect: 'NoSchedule' };
  const cases: [string, Toleration, boolean][] = [
    ['Equal, same value', { key: 'k', operator: 'Equal', value: 'v' }, true],
    ['no operator means Equal', { key: 'k', value: 'v' }, true],
    ['Equal, other value', { key: 'k', value: 'w' }, false],
    ['Exists', { key: 'k', operator: 'Exists' }, true],
    ['Exists, no key', { operator: 'Exists' }, true],
    ['other effect', { key: 'k', operator: 'Exists', effect: 'NoExecute' }, false],
    ['unknown operator', { key: 'k', operator: 'Gt', value: 'v' }, false],
  ];
  for (const [name, t, want] of cases) it(name, () => assert.equal(toleratesTaint(t, taint), want));
});
