import path from 'node:path';
import {
  EventRecorder,
  Informer,
  InformerFactory,
  realClock,
  type Clock,
  type Logger,
  type ResourceRef,
  type RestClient,
} from '../client/index.ts';
import type { Pod } from './k8s-types.ts';
import type { ClusterDnsSettings } from './pods/pod-dns.ts';
import { NodeHeartbeat } from './node/node-heartbeat.ts';
import { defaultHostIP, nodeStatus, type NodeFacts } from './node/node-object.ts';
import { openMemoryVolumes } from './pods/memory-volumes.ts';
import { TerminationMessages } from './pods/termination-message.ts';
import { createPodConfig } from './pods/pod-config-adapter.ts';
import { PodWorkers, PODS } from './pods/pod-workers.ts';
import type { PodEvents } from './pods/start-container.ts';
import { ProbeManager } from './probes/probe-manager.ts';
import { runProbe } from './probes/run-probe.ts';
import type { RuntimeDriver } from './runtime/types.ts';
import { AgentServer } from './server/agent-server.ts';

// The node agent, start to finish: serve the streaming endpoint, register the Node, adopt
// what the runtime still runs, then keep the pods bound to this node in line with their
// specs while the heartbeat tells the control plane the node is alive.

export interface AgentOptions {
  client: RestClient;
  nodeName: string;
  runtime: RuntimeDriver;
  dataDir: string;
  /** The node's address; default: the address of the interface with the default route. */
  hostIP?: string;
  /** Address and port of the agent's HTTPS endpoint; port 0 picks a free one. */
  listenHost?: string;
  port?: number;
  tls: { certPem: string; keyPem: string };
  /** Bearer token the API server presents when it proxies logs, exec and port-forward. */
  proxyToken: string;
  kubeletVersion: string;
  /**
   * Where pods reach the API server until the `kubernetes` Service exists
   * (KUBERNETES_SERVICE_HOST/PORT); host defaults to the node's address.
   */
  apiServer?: { host?: string; port: number; replacesService?: boolean };
  labels?: Record<string, string>;
  /** The node's cluster DNS, given to ClusterFirst pods as their resolver. */
  clusterDNS?: ClusterDnsSettings;
  log: Logger;
  clock?: Clock;
  progress?: (line: string) => void;
}

export interface RunningAgent {
  nodeName: string;
  port: number;
  close(): Promise<void>;
}

const CONFIG_MAPS: ResourceRef = {
  group: '',
  version: 'v1',
  resource: 'configmaps',
  namespaced: true,
};
const SECRETS: ResourceRef = { group: '', version: 'v1', resource: 'secrets', namespaced: true };
const SERVICES: ResourceRef = { group: '', version: 'v1', resource: 'services', namespaced: true };
const RESYNC_MS = 10_000;

export async function startAgent(opts: AgentOptions): Promise<RunningAgent> {
  const clock = opts.clock ?? realClock;
  const hostIP = opts.hostIP ?? defaultHostIP();
  const { runtime, client, log } = opts;
  const stop = new AbortController();
  const progress = opts.progress ?? (() => undefined);

  // The kubelet's event client: eventRecordQPS 50, eventBurst 100 (KubeletConfiguration).
  // A burst of pod starts writes 3 events a pod; beyond 100 they follow at 50 a second,
  // behind the pods' status writes instead of among them.
  const recorder = new EventRecorder(client, 'kubelet', opts.nodeName, log, {
    qps: 50,
    burst: 100,
  });
  const asPod = (pod: Pod) =>
    ({ ...pod, apiVersion: 'v1', kind: 'Pod' }) as Parameters<EventRecorder['event']>[0];
  const fieldPath = (pod: Pod, container?: string) => {
    if (!container) return undefined;
    const init = pod.spec?.initContainers?.some((c) => c.name === container);
    const ephemeral = pod.spec?.ephemeralContainers?.some((c) => c.name === container);
    const list = init ? 'initContainers' : ephemeral ? 'ephemeralContainers' : 'containers';
    return `spec.${list}{${container}}`;
  };
  const events: PodEvents = {
    normal: (pod, reason, message, container) =>
      recorder.event(asPod(pod), 'Normal', reason, message, fieldPath(pod, container)),
    warning: (pod, reason, message, container) =>
      recorder.event(asPod(pod), 'Warning', reason, message, fieldPath(pod, container)),
  };

  const factory = new InformerFactory(client, { logger: log });
  const podInformer = new Informer<Pod>(client, PODS, {
    fieldSelector: `spec.nodeName=${opts.nodeName}`,
    logger: log,
  });
  const configMaps = factory.informerFor(CONFIG_MAPS);
  const secrets = factory.informerFor(SECRETS);
  const services = factory.informerFor(SERVICES);

  const [version, capabilities] = [await runtime.version(), runtime.capabilities()];
  const facts: NodeFacts = {
    nodeName: opts.nodeName,
    hostIP,
    dataDir: opts.dataDir,
    port: 0,
    runtime: version,
    runtimeName: runtime.name,
    capabilities,
    kubeletVersion: opts.kubeletVersion,
    ...(opts.labels ? { labels: opts.labels } : {}),
  };
  const allocatable = nodeStatus(facts).allocatable ?? {};
  const memoryDir = openMemoryVolumes(opts.dataDir);
  const { config, volumes } = createPodConfig({
    dataDir: opts.dataDir,
    ...(memoryDir ? { memoryDir } : {}),
    nodeName: opts.nodeName,
    hostIP,
    allocatable,
    configMaps: configMaps.store,
    secrets: secrets.store,
    services: services.store,
    client,
    ...(opts.apiServer
      ? {
          masterService: {
            host: opts.apiServer.host ?? hostIP,
            port: opts.apiServer.port,
            ...(opts.apiServer.replacesService ? { replacesService: true } : {}),
          },
        }
      : {}),
  });

  const workers = new PodWorkers({
    client,
    runtime,
    config,
    volumes,
    events,
    probes: (probeEvents) =>
      new ProbeManager((probe, target) => runProbe(runtime, probe, target), probeEvents, clock),
    hostIP,
    ...(opts.clusterDNS ? { clusterDNS: opts.clusterDNS } : {}),
    clock,
    log,
    terminationMessages: new TerminationMessages(memoryDir ?? path.join(opts.dataDir, 'pods')),
  });

  const server = new AgentServer({
    host: opts.listenHost ?? '0.0.0.0',
    port: opts.port ?? 0,
    tls: opts.tls,
    token: opts.proxyToken,
    runtime,
    findPod: (ns, name) => workers.findPod(ns, name),
    hostIP,
    log,
  });
  facts.port = await server.listen();

  const heartbeat = new NodeHeartbeat(client, facts, clock, log);
  await heartbeat.register();
  progress(`  node ${opts.nodeName} registered (${runtime.name} runtime, ${hostIP})`);
  // What the runtime cannot do is said on the Node, where `kubectl describe node` shows it.
  const nodeRef = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: opts.nodeName, uid: heartbeat.uid },
  };
  for (const note of capabilities.notes) {
    log.warn({}, `agent: ${note}`);
    recorder.event(nodeRef, 'Warning', 'RuntimeLimitation', note);
  }

  workers.adopt(await runtime.listContainers(), await runtime.listSandboxes());
  podInformer.addEventHandler({
    onAdd: (pod) => workers.update(pod),
    onUpdate: (_old, pod) => workers.update(pod),
    onDelete: (pod) => workers.remove(pod),
  });
  const byNamespace = (obj: { metadata?: { namespace?: string } }) =>
    workers.resyncAll((pod) => pod.metadata?.namespace === obj.metadata?.namespace);
  for (const informer of [configMaps, secrets]) {
    informer.addEventHandler({
      onAdd: byNamespace,
      onUpdate: (_o, n) => byNamespace(n),
      onDelete: byNamespace,
    });
  }
  podInformer.start(stop.signal);
  factory.start(stop.signal);
  await Promise.all([podInformer.waitForSync(stop.signal), factory.waitForSync(stop.signal)]);
  const live = new Set(podInformer.store.list().map((p) => p.metadata!.uid!));
  workers.removeAllExcept(live);
  // Pods deleted while the agent was down whose containers were gone too (a reboot) have
  // no record to tear down: their volume directories go here.
  const orphans = await volumes.removeOrphans(
    (uid) => live.has(uid) || workers.record(uid) !== undefined,
  );
  if (orphans.length > 0)
    log.info({ pods: orphans.length }, 'agent: removed volumes of deleted pods');

  const running = Promise.all([workers.run(stop.signal), heartbeat.run(stop.signal)]);
  const resync = setInterval(() => workers.resyncAll(), RESYNC_MS);
  return {
    nodeName: opts.nodeName,
    port: facts.port,
    async close() {
      clearInterval(resync);
      stop.abort();
      await podInformer.stop();
      await factory.stop();
      await server.close();
      await running.catch(() => undefined);
      // The last events (a pod killed on the way out) are written, for up to 2 s, before
      // the caller closes the client.
      await recorder.shutdown();
      await runtime.close();
    },
  };
}
