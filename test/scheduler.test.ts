import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestCluster, type TestCluster } from './support/cluster.ts';
import { KUBECTL, kubectl, kubectlOk } from './support/kubectl.ts';

// The scheduler through kubectl, on nodes that are only API objects (no agent): pods go
// where they fit, wait with Kubernetes' message when nothing fits, and are placed as soon
// as room appears.

function nodeManifest(name: string, cpu: string, labels: Record<string, string> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', ...labels },
    },
    spec: {},
    status: {
      capacity: { cpu, memory: '8Gi', pods: '110', 'ephemeral-storage': '100Gi' },
      allocatable: { cpu, memory: '8Gi', pods: '110', 'ephemeral-storage': '100Gi' },
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'ready' }],
    },
  };
}

function podManifest(
  name: string,
  cpu: string,
  extra: Record<string, unknown> = {},
  labels: Record<string, string> = {},
) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels },
    spec: {
      containers: [
        { name: 'main', image: 'busybox:1.36', resources: { requests: { cpu, memory: '64Mi' } } },
      ],
      ...extra,
    },
  };
}

describe('scheduler', () => {
  let cluster: TestCluster;
  const k = (...args: string[]) => kubectlOk(KUBECTL, cluster.kubectlArgs, args);
  const apply = (obj: unknown, ns = 'default') =>
    kubectlOk(KUBECTL, cluster.kubectlArgs, ['create', '-n', ns, '-f', '-'], {
      input: JSON.stringify(obj),
    });
  const nodeOf = async (pod: string, ns = 'default') =>
    k('get', 'pod', pod, '-n', ns, '-o', 'jsonpath={.spec.nodeName}');

  async function eventually<T>(
    probe: () => Promise<T | undefined>,
    what: string,
    timeoutMs = 15_000,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: T | undefined;
    while (Date.now() < deadline) {
      last = await probe();
      if (last !== undefined) return last;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`timed out waiting for ${what}`);
  }
  const placed = (pod: string, ns = 'default') =>
    eventually(async () => (await nodeOf(pod, ns)) || undefined, `${pod} to be scheduled`);
  const unschedulableMessage = (pod: string, ns = 'default') =>
    eventually(async () => {
      const out = await k(
        'get',
        'pod',
        pod,
        '-n',
        ns,
        '-o',
        'jsonpath={.status.conditions[?(@.type=="PodScheduled")].message}',
      );
      return out || undefined;
    }, `${pod} to be reported unschedulable`);

  before(async () => {
    cluster = await startTestCluster();
    await k('create', 'namespace', 'fit');
    for (const [name, zone] of [
      ['node-a', 'a'],
      ['node-b', 'b'],
      ['node-c', 'c'],
    ]) {
      await apply(nodeManifest(name!, '2', { 'topology.kubernetes.io/zone': zone! }));
    }
  });
  after(async () => {
    await cluster?.close();
  });

  it('places pods where their requests fit, and refuses with the Kubernetes message when full', async () => {
    for (let i = 0; i < 3; i++) await apply(podManifest(`big-${i}`, '1500m'), 'fit');
    const nodes = await Promise.all([0, 1, 2].map((i) => placed(`big-${i}`, 'fit')));
    assert.equal(new Set(nodes).size, 3, `each big pod on its own node: ${nodes}`);
    await apply(podManifest('big-3', '1500m'), 'fit');
    const message = await unschedulableMessage('big-3', 'fit');
    assert.match(message, /^0\/3 nodes are available: 3 Insufficient cpu\./);
    assert.equal(await nodeOf('big-3', 'fit'), '');
    const describe = await k('describe', 'pod', 'big-3', '-n', 'fit');
    assert.match(
      describe,
      /Warning\s+FailedScheduling\s+.*default-scheduler\s+0\/3 nodes are available: 3 Insufficient cpu\./,
    );
    const table = await k('get', 'pod', 'big-3', '-n', 'fit');
    assert.match(table, /big-3\s+0\/1\s+Pending/);

    // Room appears: a new node is added, and the waiting pod goes there.
    await apply(nodeManifest('node-d', '2', { 'topology.kubernetes.io/zone': 'd' }));
    assert.equal(await placed('big-3', 'fit'), 'node-d');
    const events = await k(
      'get',
      'events',
      '-n',
      'fit',
      '--field-selector',
      'involvedObject.name=big-3,reason=Scheduled',
    );
    assert.match(events, /Successfully assigned fit\/big-3 to node-d/);
    // Bound pods end only when their node's agent stops them; there is none, so finish by hand.
    await k('delete', 'pods', '--all', '-n', 'fit', '--grace-period=0', '--force');
  });

  it('follows nodeSelector and node affinity', async () => {
    await apply(
      podManifest('in-zone-b', '10m', { nodeSelector: { 'topology.kubernetes.io/zone': 'b' } }),
    );
    assert.equal(await placed('in-zone-b'), 'node-b');
    await apply(
      podManifest('not-a-or-b', '10m', {
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                {
                  matchExpressions: [
                    {
                      key: 'topology.kubernetes.io/zone',
                      operator: 'NotIn',
                      values: ['a', 'b', 'c'],
                    },
                  ],
                },
              ],
            },
          },
        },
      }),
    );
    assert.equal(await placed('not-a-or-b'), 'node-d');
    await apply(podManifest('nowhere', '10m', { nodeSelector: { disk: 'ssd' } }));
    assert.match(
      await unschedulableMessage('nowhere'),
      /^0\/4 nodes are available: 4 node\(s\) didn't match Pod's node affinity\/selector\./,
    );
    await k('label', 'node', 'node-c', 'disk=ssd');
    assert.equal(await placed('nowhere'), 'node-c');
  });

  it('keeps off tainted nodes unless tolerated', async () => {
    for (const n of ['node-a', 'node-b', 'node-c'])
      await k('taint', 'nodes', n, 'dedicated=db:NoSchedule');
    await apply(podManifest('plain', '10m'));
    assert.equal(await placed('plain'), 'node-d');
    await apply(
      podManifest('tolerant', '10m', {
        tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }],
        nodeSelector: { 'topology.kubernetes.io/zone': 'a' },
      }),
    );
    assert.equal(await placed('tolerant'), 'node-a');
    await k('taint', 'nodes', 'node-d', 'dedicated=db:NoSchedule');
    await apply(podManifest('shut-out', '10m'));
    assert.match(
      await unschedulableMessage('shut-out'),
      /4 node\(s\) had untolerated taint \{dedicated: db\}/,
    );
    for (const n of ['node-a', 'node-b', 'node-c', 'node-d'])
      await k('taint', 'nodes', n, 'dedicated-');
    assert.ok(await placed('shut-out'));
  });

  it('spreads replicas with required anti-affinity and leaves the extra one pending', async () => {
    const antiAffinity = {
      affinity: {
        podAntiAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [
            {
              labelSelector: { matchLabels: { app: 'solo' } },
              topologyKey: 'kubernetes.io/hostname',
            },
          ],
        },
      },
    };
    for (let i = 0; i < 5; i++)
      await apply(podManifest(`solo-${i}`, '10m', antiAffinity, { app: 'solo' }));
    const results = await eventually(async () => {
      const nodes = await Promise.all([0, 1, 2, 3, 4].map((i) => nodeOf(`solo-${i}`)));
      return nodes.filter(Boolean).length === 4 ? nodes : undefined;
    }, 'four of five anti-affine pods to be placed');
    assert.equal(new Set(results.filter(Boolean)).size, 4, 'on four distinct nodes');
    const pending = `solo-${results.indexOf('')}`;
    assert.match(
      await unschedulableMessage(pending),
      /node\(s\) didn't match pod anti-affinity rules/,
    );
  });

  it('selects the namespaces of affinity terms by label, and follows a relabelled namespace', async () => {
    await k('create', 'namespace', 'team-a');
    await k('create', 'namespace', 'team-b');
    await apply(podManifest('cache', '10m', {}, { app: 'cache' }), 'team-a');
    const cacheNode = await placed('cache', 'team-a');
    // The pods labelled app=cache in every namespace labelled tier=shared, by host.
    const sharedCache = [
      {
        labelSelector: { matchLabels: { app: 'cache' } },
        namespaceSelector: { matchLabels: { tier: 'shared' } },
        topologyKey: 'kubernetes.io/hostname',
      },
    ];
    const nearShared = {
      affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: sharedCache } },
    };
    // team-a is not labelled tier=shared yet, so no pod matches the term anywhere.
    await apply(podManifest('near', '10m', nearShared), 'team-b');
    assert.match(
      await unschedulableMessage('near', 'team-b'),
      /^0\/4 nodes are available: 4 node\(s\) didn't match pod affinity rules\./,
    );
    // Labelling the namespace is a cluster event: the waiting pod is retried and follows
    // the cache pod onto its node.
    await k('label', 'namespace', 'team-a', 'tier=shared');
    assert.equal(await placed('near', 'team-b'), cacheNode);

    // Anti-affinity to the pods of every tier=shared namespace keeps a pod off that node,
    // even one whose nodeSelector allows no other.
    const awayFromShared = {
      nodeSelector: { 'kubernetes.io/hostname': cacheNode },
      affinity: {
        podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: sharedCache },
      },
    };
    await apply(podManifest('away', '10m', awayFromShared));
    assert.match(
      await unschedulableMessage('away'),
      /^0\/4 nodes are available: 1 node\(s\) didn't match pod anti-affinity rules, 3 node\(s\) didn't match Pod's node affinity\/selector\./,
    );
    await k('delete', 'pod', 'away', '--wait=false');
  });

  it('does not place new pods on cordoned nodes until uncordoned', async () => {
    for (const n of ['node-a', 'node-b', 'node-c', 'node-d']) await k('cordon', n);
    assert.match(await k('get', 'nodes'), /node-a\s+Ready,SchedulingDisabled/);
    await apply(podManifest('waits', '10m'));
    assert.match(await unschedulableMessage('waits'), /4 node\(s\) were unschedulable/);
    await k('uncordon', 'node-b');
    assert.equal(await placed('waits'), 'node-b');
    for (const n of ['node-a', 'node-c', 'node-d']) await k('uncordon', n);
  });

  it('leaves pods of another scheduler alone', async () => {
    await apply(podManifest('custom', '10m', { schedulerName: 'my-scheduler' }));
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(await nodeOf('custom'), '');
    const r = await kubectl(KUBECTL, cluster.kubectlArgs, [
      'get',
      'events',
      '--field-selector',
      'involvedObject.name=custom',
    ]);
    assert.doesNotMatch(r.stdout, /Scheduled/);
  });

  it('preempts the fewest lower-priority pods for a higher-priority one', async () => {
    await k('create', 'namespace', 'prio');
    await k('create', 'priorityclass', 'low', '--value=10');
    await k('create', 'priorityclass', 'high', '--value=1000');
    // Fill every node's CPU with low-priority pods.
    for (let i = 0; i < 4; i++)
      await apply(podManifest(`low-${i}`, '1800m', { priorityClassName: 'low' }), 'prio');
    await Promise.all([0, 1, 2, 3].map((i) => placed(`low-${i}`, 'prio')));
    await apply(podManifest('vip', '1500m', { priorityClassName: 'high' }), 'prio');
    const nominated = await eventually(async () => {
      const out = await k(
        'get',
        'pod',
        'vip',
        '-n',
        'prio',
        '-o',
        'jsonpath={.status.nominatedNodeName}',
      );
      return out || undefined;
    }, 'the high-priority pod to be nominated');
    // Exactly one low pod, the one on the nominated node, is being evicted.
    const victims = await eventually(async () => {
      const pods = JSON.parse(await k('get', 'pods', '-n', 'prio', '-o', 'json')) as {
        items: any[];
      };
      const going = pods.items.filter((p) => p.metadata.deletionTimestamp);
      return going.length > 0 ? going : undefined;
    }, 'a victim');
    assert.equal(victims.length, 1);
    assert.equal(victims[0].spec.nodeName, nominated);
    // The node agent would now stop it; without one, finish the deletion by hand.
    await k('delete', 'pod', victims[0].metadata.name, '-n', 'prio', '--grace-period=0', '--force');
    assert.equal(await placed('vip', 'prio'), nominated);
    const events = await k(
      'get',
      'events',
      '-n',
      'prio',
      '--field-selector',
      `involvedObject.name=${victims[0].metadata.name},reason=Preempted`,
    );
    assert.match(events, /Preempted by pod .* on node /);
  });

  it('says when preemption cannot help', async () => {
    await apply(podManifest('huge', '64'));
    assert.match(
      await unschedulableMessage('huge'),
      /^0\/4 nodes are available: 4 Insufficient cpu\. preemption: 0\/4 nodes are available: 4 No preemption victims found for incoming pod\.$/,
    );
  });
});
