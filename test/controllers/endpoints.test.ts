import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isNotFound, RestClient, type ResourceRef } from '../../src/client/index.ts';
import { startTestCluster, type TestCluster } from '../support/cluster.ts';
import { KUBECTL, kubectlOk } from '../support/kubectl.ts';

// The endpoints and EndpointSlice controllers of the cluster's controller manager. No
// agent runs: the test registers a Node, creates pods bound to it, and plays the kubelet
// by writing their status (IP, Ready) through the status subresource.

type Json = Record<string, any>;

const WAIT_MS = 30_000;
const NS = 'default';
const NODE = 'ep-node';
const PODS: ResourceRef = { group: '', version: 'v1', resource: 'pods', namespaced: true };
const NODES: ResourceRef = { group: '', version: 'v1', resource: 'nodes', namespaced: false };
const SERVICES: ResourceRef = { group: '', version: 'v1', resource: 'services', namespaced: true };
const ENDPOINTS: ResourceRef = {
  group: '',
  version: 'v1',
  resource: 'endpoints',
  namespaced: true,
};
const SLICES: ResourceRef = {
  group: 'discovery.k8s.io',
  version: 'v1',
  resource: 'endpointslices',
  namespaced: true,
};
const IPS: Record<string, string> = { 'web-1': '10.244.1.11', 'web-2': '10.244.1.12' };
const seconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

describe('endpoints and EndpointSlice controllers against a real API server', () => {
  let cluster: TestCluster;
  let client: RestClient;

  const k = (...args: string[]) =>
    kubectlOk(KUBECTL, cluster.kubectlArgs, args, { timeoutMs: WAIT_MS });

  /** Polls `check` every 20 ms until it answers something truthy; answers it and the wait. */
  async function until<T>(what: string, check: () => Promise<T>) {
    const started = Date.now();
    let last: unknown;
    while (Date.now() - started < WAIT_MS) {
      try {
        const value = await check();
        if (value) return { value: value as NonNullable<T>, ms: Date.now() - started };
      } catch (err) {
        last = err;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.fail(`timed out after ${WAIT_MS} ms waiting for ${what}${last ? `: ${last}` : ''}`);
  }

  const endpoints = () => client.get(ENDPOINTS, NS, 'web') as Promise<Json>;
  const slices = async () =>
    (await client.list(SLICES, NS, { labelSelector: 'kubernetes.io/service-name=web' }))
      .items as Json[];

  /** What the kubelet reports: running with an IP, Ready or not. */
  async function postStatus(name: string, ready: boolean): Promise<void> {
    const now = seconds(Date.now());
    const status = {
      phase: 'Running',
      podIP: IPS[name],
      podIPs: [{ ip: IPS[name] }],
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: now }],
    };
    await client.patch(PODS, NS, name, { status }, 'merge', { subresource: 'status' });
  }

  before(async () => {
    cluster = await startTestCluster();
    client = new RestClient({ server: cluster.url, token: cluster.token, caPem: cluster.caPem });
    await client.create(NODES, '', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: NODE, labels: { 'topology.kubernetes.io/zone': 'zone-a' } },
    });
  });

  after(async () => {
    await cluster?.close();
  });

  it('publishes ready pods in Endpoints and EndpointSlices, and kubectl shows them', async () => {
    await client.create(SERVICES, NS, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', labels: { app: 'web' } },
      spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
    });
    for (const name of Object.keys(IPS)) {
      await client.create(PODS, NS, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, labels: { app: 'web' } },
        spec: {
          nodeName: NODE,
          containers: [
            { name: 'main', image: 'nginx', ports: [{ name: 'http', containerPort: 8080 }] },
          ],
        },
      });
      await postStatus(name, true);
    }
    const { value: ep } = await until('two ready addresses', async () => {
      const ep = await endpoints();
      return ep.subsets?.[0]?.addresses?.length === 2 ? ep : undefined;
    });
    const pods = (await client.list(PODS, NS, { labelSelector: 'app=web' })).items;
    const uid = (name: string) => pods.find((p) => p.metadata?.name === name)!.metadata!.uid;
    const address = (name: string) => ({
      ip: IPS[name],
      nodeName: NODE,
      targetRef: { kind: 'Pod', namespace: NS, name, uid: uid(name) },
    });
    assert.deepEqual(ep.subsets, [
      {
        addresses: [address('web-1'), address('web-2')],
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      },
    ]);
    assert.deepEqual(ep.metadata.labels, { app: 'web' });

    const { value: list } = await until('a slice with two endpoints', async () => {
      const list = await slices();
      return list[0]?.endpoints?.length === 2 ? list : undefined;
    });
    assert.equal(list.length, 1);
    const [slice] = list;
    assert.match(slice.metadata.name, /^web-[a-z0-9]{5}$/);
    assert.equal(slice.addressType, 'IPv4');
    assert.deepEqual(slice.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
    assert.equal(
      slice.metadata.labels['endpointslice.kubernetes.io/managed-by'],
      'endpointslice-controller.k8s.io',
    );
    const svc = await client.get(SERVICES, NS, 'web');
    assert.deepEqual(slice.metadata.ownerReferences, [
      {
        apiVersion: 'v1',
        kind: 'Service',
        name: 'web',
        uid: svc.metadata!.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    const byName = (s: Json, name: string) =>
      s.endpoints.find((e: Json) => e.targetRef.name === name);
    assert.deepEqual(byName(slice, 'web-1'), {
      addresses: [IPS['web-1']],
      conditions: { ready: true, serving: true, terminating: false },
      targetRef: { kind: 'Pod', namespace: NS, name: 'web-1', uid: uid('web-1') },
      nodeName: NODE,
      zone: 'zone-a',
    });

    const table = await k('get', 'endpoints', 'web', '-n', NS);
    assert.match(table, /^NAME\s+ENDPOINTS\s+AGE\n/);
    assert.match(table, /\nweb\s+10\.244\.1\.11:8080,10\.244\.1\.12:8080\s+\S+\n/);
  });

  it('moves a pod that turns unready to notReadyAddresses within a second', async () => {
    await postStatus('web-2', false);
    const { value: ep, ms } = await until('web-2 not ready', async () => {
      const ep = await endpoints();
      return ep.subsets?.[0]?.notReadyAddresses?.length === 1 ? ep : undefined;
    });
    assert.ok(ms < 1000, `took ${ms} ms`);
    assert.deepEqual(
      ep.subsets[0].addresses.map((a: Json) => a.ip),
      [IPS['web-1']],
    );
    assert.equal(ep.subsets[0].notReadyAddresses[0].targetRef.name, 'web-2');
    const { value: slice } = await until('web-2 not ready in the slice', async () => {
      const [slice] = await slices();
      const web2 = slice?.endpoints.find((e: Json) => e.targetRef.name === 'web-2');
      return web2?.conditions.ready === false ? slice : undefined;
    });
    const web2 = slice.endpoints.find((e: Json) => e.targetRef.name === 'web-2');
    assert.deepEqual(web2.conditions, { ready: false, serving: false, terminating: false });
    const table = await k('get', 'endpoints', 'web', '-n', NS);
    assert.match(table, /\nweb\s+10\.244\.1\.11:8080\s+/);
  });

  it('drops a terminating pod from Endpoints, keeping it terminating in the slice', async () => {
    // Without an agent, nothing finishes the graceful deletion: the pod stays terminating.
    await client.delete(PODS, NS, 'web-1', { gracePeriodSeconds: 30 });
    await until('web-1 gone from the Endpoints', async () => {
      const ep = await endpoints();
      return !ep.subsets?.some((s: Json) =>
        [...(s.addresses ?? []), ...(s.notReadyAddresses ?? [])].some(
          (a: Json) => a.targetRef.name === 'web-1',
        ),
      );
    });
    const { value: web1 } = await until('web-1 terminating in the slice', async () => {
      const [slice] = await slices();
      const web1 = slice?.endpoints.find((e: Json) => e.targetRef.name === 'web-1');
      return web1?.conditions.terminating ? web1 : undefined;
    });
    assert.deepEqual(web1.conditions, { ready: false, serving: true, terminating: true });
  });

  it('deletes the Endpoints with the service; the garbage collector takes the slices', async () => {
    await client.delete(SERVICES, NS, 'web');
    await until('the Endpoints gone', async () => {
      try {
        await endpoints();
        return false;
      } catch (err) {
        return isNotFound(err);
      }
    });
    await until('the slices gone', async () => (await slices()).length === 0);
    const kubernetes = await client.get(ENDPOINTS, NS, 'kubernetes');
    assert.ok(kubernetes, 'the API server’s own Endpoints are left alone');
  });
});
