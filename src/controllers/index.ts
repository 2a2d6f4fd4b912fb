import { setMaxListeners } from 'node:events';
import type { ResourceRegistry } from '../api/index.ts';
import { InformerFactory, type Logger, type RestClient } from '../client/index.ts';
import { CronJobController } from './cronjob/index.ts';
import { DaemonSetController } from './daemonset/index.ts';
import { DeploymentController } from './deployment/index.ts';
import { DisruptionController } from './disruption/index.ts';
import { EndpointsController } from './endpoints/index.ts';
import { EndpointSliceController } from './endpointslice/index.ts';
import { GarbageCollector } from './garbage-collector/index.ts';
import { JobController, TtlAfterFinishedController } from './job/index.ts';
import { NamespaceController } from './namespace/index.ts';
import { NamespaceDefaultsController } from './namespace-defaults/index.ts';
import {
  NodeLifecycleController,
  TaintEvictionController,
  type NodeLifecycleOptions,
} from './node-lifecycle/index.ts';
import { PodGCController, type PodGCOptions } from './pod-gc/index.ts';
import { ReplicaSetController } from './replicaset/index.ts';
import { ServiceLBController } from './service-lb/index.ts';

// The controller manager: every controller as a client of the API server, sharing one
// informer per resource. Returns when the signal aborts and every controller has stopped.

export interface ControllerContext {
  client: RestClient;
  registry: ResourceRegistry;
  /** The cluster CA, published into every namespace. */
  caPem: string;
  log: Logger;
  /** `--node-monitor-grace-period` and friends. */
  nodeLifecycle?: NodeLifecycleOptions;
  /** `--terminated-pod-gc-threshold`. */
  podGC?: PodGCOptions;
}

export async function runControllers(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
  const { client, registry, log } = ctx;
  // Every informer and worker listens on this one signal.
  setMaxListeners(0, signal);
  const factory = new InformerFactory(client, { logger: log });
  const controllers = [
    new GarbageCollector(client, registry, factory, log),
    new NamespaceController(client, registry, factory, log),
    new NamespaceDefaultsController(client, ctx.caPem, factory, log),
    new DisruptionController(client, registry, factory, log),
    new ReplicaSetController(client, registry, factory, log),
    new ReplicaSetController(client, registry, factory, log, { kind: 'ReplicationController' }),
    new JobController(client, registry, factory, log),
    new TtlAfterFinishedController(client, registry, factory, log),
    new CronJobController(client, registry, factory, log),
    new DaemonSetController(client, registry, factory, log),
    new DeploymentController(client, registry, factory, log),
    new NodeLifecycleController(client, registry, factory, log, ctx.nodeLifecycle),
    new TaintEvictionController(client, registry, factory, log),
    new PodGCController(client, registry, factory, log, ctx.podGC),
    new EndpointsController(client, registry, factory, log),
    new EndpointSliceController(client, registry, factory, log),
    new ServiceLBController(client, factory, log),
  ];
  factory.start(signal);
  await Promise.all(controllers.map((c) => c.run(signal)));
  await factory.stop();
}

export { CronJobController } from './cronjob/index.ts';
export { DaemonSetController } from './daemonset/index.ts';
export { DeploymentController } from './deployment/index.ts';
export { DisruptionController } from './disruption/index.ts';
export { EndpointsController } from './endpoints/index.ts';
export { EndpointSliceController } from './endpointslice/index.ts';
export { JobController, TtlAfterFinishedController } from './job/index.ts';
export { GarbageCollector, collectableResources } from './garbage-collector/index.ts';
export { NamespaceController } from './namespace/index.ts';
export { NamespaceDefaultsController, ROOT_CA_CONFIGMAP } from './namespace-defaults/index.ts';
export { NodeLifecycleController, TaintEvictionController } from './node-lifecycle/index.ts';
export { PodGCController } from './pod-gc/index.ts';
export { ReplicaSetController } from './replicaset/index.ts';
export { ServiceLBController } from './service-lb/index.ts';
