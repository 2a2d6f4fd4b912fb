import type { KubeObject } from '../../api/index.ts';
import type { Clock, Logger, RestClient, StoreReader } from '../../client/index.ts';
import { DEPLOYMENTS, REPLICASETS, REVISION } from './types.ts';

// What one sync needs, and the writes it makes. A sync works on `d`, its own copy of the
// cached Deployment, which the steps change in place (conditions, annotations) as
// Kubernetes' syncDeployment does with its DeepCopy.

/** The API calls the controller makes (tests hand in a recording fake). */
export type DeploymentClient = Pick<RestClient, 'get' | 'create' | 'update' | 'patch' | 'delete'>;

/** Where events go: an EventRecorder, or a test's list. */
export interface EventSink {
  event(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

export interface SyncContext {
  client: DeploymentClient;
  events: EventSink;
  clock: Clock;
  log: Logger;
  /** The ReplicaSet cache (read when a creation answers AlreadyExists). */
  replicaSets: StoreReader;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * UpdateStatus of `d`. Kubernetes' status strategy for Deployments keeps the request's
 * annotations, which is how the revision annotation reaches the Deployment; an API server
 * that takes only the status from a status write (wharf's, today) gets the revision by a
 * merge patch of the object instead. `d` takes the new resourceVersion, so that further
 * writes in the same sync do not conflict with this one.
 */
export async function updateDeploymentStatus(ctx: SyncContext, d: KubeObject): Promise<void> {
  const { namespace = '', name = '' } = d.metadata ?? {};
  const written = await ctx.client.update(DEPLOYMENTS, namespace, name, d, {
    subresource: 'status',
  });
  const meta = (d.metadata ??= {});
  meta.resourceVersion = written.metadata?.resourceVersion ?? meta.resourceVersion;
  const revision = meta.annotations?.[REVISION];
  if (revision === undefined || written.metadata?.annotations?.[REVISION] === revision) return;
  const patch = { metadata: { annotations: { [REVISION]: revision } } };
  const patched = await ctx.client.patch(DEPLOYMENTS, namespace, name, patch, 'merge');
  meta.resourceVersion = patched.metadata?.resourceVersion ?? meta.resourceVersion;
}

/** Update (PUT) of a ReplicaSet the caller changed; answers the stored object. */
export function updateReplicaSet(ctx: SyncContext, rs: KubeObject): Promise<KubeObject> {
  const { namespace = '', name = '' } = rs.metadata ?? {};
  return ctx.client.update(REPLICASETS, namespace, name, rs);
}
