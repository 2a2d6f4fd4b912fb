import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KubeObject } from '../src/api/index.ts';
import { EventRecorder, type Logger, type ResourceRef, RestClient } from '../src/client/index.ts';
import { startTestCluster, type TestCluster } from './support/cluster.ts';
import { KUBECTL, kubectlOk } from './support/kubectl.ts';

// Events written by wharf's recorder, read back through the real kubectl: repeats shown
// as one row with a count ("x3 over 2s"), similar events combined past ten, and an Event
// deleted under the recorder written again with its count.

const CONFIGMAPS: ResourceRef = {
  group: '',
  version: 'v1',
  resource: 'configmaps',
  namespaced: true,
};
const NS = 'events-e2e';

describe('recorded events through kubectl', () => {
  let cluster: TestCluster;
  let client: RestClient;
  let recorder: EventRecorder;
  let settings: KubeObject;
  const warnings: string[] = [];
  const log: Logger = {
    info: () => {},
    warn: (fields, message) => warnings.push(`${message} ${JSON.stringify(fields)}`),
    error: (fields, message) => warnings.push(`${message} ${JSON.stringify(fields)}`),
  };
  const k = (...args: string[]) => kubectlOk(KUBECTL, cluster.kubectlArgs, args);
  const eventsAbout = async (name: string) => {
    const list = JSON.parse(await k('get', 'events', '-n', NS, '-o', 'json')) as {
      items: KubeObject[];
    };
    return list.items.filter((e) => (e.involvedObject as { name: string }).name === name);
  };

  before(async () => {
    cluster = await startTestCluster();
    client = new RestClient({ server: cluster.url, token: cluster.token, caPem: cluster.caPem });
    recorder = new EventRecorder(client, 'e2e-recorder', 'test-host', log);
    await k('create', 'namespace', NS);
    await k('create', 'configmap', 'settings', '-n', NS, '--from-literal=mode=fast');
    settings = await client.get(CONFIGMAPS, NS, 'settings');
  });
  after(async () => {
    recorder?.close();
    client?.close();
    await cluster?.close();
  });

  it('shows a repeated event once, with its count, in describe and get -o wide', async () => {
    for (let i = 0; i < 3; i++) recorder.event(settings, 'Normal', 'Synced', 'settings synced');
    await recorder.flush();
    assert.deepEqual(warnings, []);
    const synced = (await eventsAbout('settings')).filter((e) => e.reason === 'Synced');
    assert.equal(synced.length, 1);
    assert.equal(synced[0]!.count, 3);
    assert.match(
      await k('describe', 'configmap', 'settings', '-n', NS),
      /Normal\s+Synced\s+\S+ \(x3 over \S+\)\s+e2e-recorder\s+settings synced/,
    );
    assert.match(
      await k('get', 'events', '-n', NS, '-o', 'wide', '--field-selector', 'reason=Synced'),
      /Normal\s+Synced\s+configmap\/settings\s+e2e-recorder, test-host\s+settings synced\s+\S+\s+3\s+settings\./,
    );
  });

  it('combines similar events past ten into one "(combined from similar events)" Event', async () => {
    for (let i = 1; i <= 12; i++) recorder.event(settings, 'Warning', 'Failed', `attempt ${i}`);
    await recorder.flush();
    assert.deepEqual(warnings, []);
    const failed = (await eventsAbout('settings')).filter((e) => e.reason === 'Failed');
    assert.deepEqual(
      failed.map((e) => [e.message, e.count]).sort(),
      [
        ...Array.from({ length: 9 }, (_, i) => [`attempt ${i + 1}`, 1]),
        ['(combined from similar events): attempt 12', 3],
      ].sort(),
    );
    assert.match(
      await k('describe', 'configmap', 'settings', '-n', NS),
      /Warning\s+Failed\s+\S+ \(x3 over \S+\)\s+e2e-recorder\s+\(combined from similar events\): attempt 12/,
    );
    assert.match(
      await k('events', '-n', NS, '--for', 'configmap/settings', '--types', 'Warning'),
      /\S+ \(x3 over \S+\)\s+Warning\s+Failed\s+ConfigMap\/settings\s+\(combined from similar events\): attempt 12/,
    );
  });

  it('writes a deleted Event again, under its name, with the next count', async () => {
    const [synced] = (await eventsAbout('settings')).filter((e) => e.reason === 'Synced');
    const name = synced!.metadata!.name!;
    await k('delete', 'event', name, '-n', NS);
    recorder.event(settings, 'Normal', 'Synced', 'settings synced');
    await recorder.flush();
    assert.deepEqual(warnings, []);
    const again = (await eventsAbout('settings')).filter((e) => e.reason === 'Synced');
    assert.deepEqual(
      again.map((e) => [e.metadata!.name, e.count]),
      [[name, 4]],
    );
    assert.match(
      await k('describe', 'configmap', 'settings', '-n', NS),
      /Normal\s+Synced\s+\S+ \(x4 over \S+\)\s+e2e-recorder\s+settings synced/,
    );
  });
});
