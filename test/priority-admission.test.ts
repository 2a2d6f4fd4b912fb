import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestCluster, type TestCluster } from './support/cluster.ts';
import { KUBECTL, kubectl, kubectlOk } from './support/kubectl.ts';

// Pods get their priority from their PriorityClass when created, as with Kubernetes'
// Priority admission; an unknown class is refused.

describe('priority admission', () => {
  let cluster: TestCluster;
  const k = (...args: string[]) => kubectlOk(KUBECTL, cluster.kubectlArgs, args);
  const pod = (name: string, spec: Record<string, unknown> = {}) =>
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec: {
        containers: [{ name: 'main', image: 'busybox:1.36' }],
        schedulerName: 'none',
        ...spec,
      },
    });
  const create = (body: string) =>
    kubectl(KUBECTL, cluster.kubectlArgs, ['create', '-f', '-'], { input: body });

  before(async () => {
    cluster = await startTestCluster();
  });
  after(async () => {
    await cluster?.close();
  });

  it('sets spec.priority and preemptionPolicy from the named class', async () => {
    await k('create', 'priorityclass', 'gold', '--value=500', '--preemption-policy=Never');
    assert.equal((await create(pod('golden', { priorityClassName: 'gold' }))).code, 0);
    assert.equal(
      await k('get', 'pod', 'golden', '-o', 'jsonpath={.spec.priority} {.spec.preemptionPolicy}'),
      '500 Never',
    );
  });

  it('refuses an unknown class and a priority that contradicts the class', async () => {
    const unknown = await create(pod('lost', { priorityClassName: 'platinum' }));
    assert.notEqual(unknown.code, 0);
    assert.match(
      unknown.stderr,
      /pods "lost" is forbidden: no PriorityClass with name platinum was found/,
    );
    const contradicting = await create(pod('liar', { priorityClassName: 'gold', priority: 7 }));
    assert.notEqual(contradicting.code, 0);
    assert.match(
      contradicting.stderr,
      /the integer value of priority \(7\) must not be provided in pod spec/,
    );
  });

  it('gives pods without a class the global default class', async () => {
    assert.equal(await k('get', 'pod', 'golden', '-o', 'jsonpath={.spec.priority}'), '500');
    await k('create', 'priorityclass', 'everyday', '--value=100', '--global-default');
    assert.equal((await create(pod('plain'))).code, 0);
    assert.equal(
      await k('get', 'pod', 'plain', '-o', 'jsonpath={.spec.priorityClassName} {.spec.priority}'),
      'everyday 100',
    );
  });
});
