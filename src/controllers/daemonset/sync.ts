import type { KubeObject } from '../../api/index.ts';
import { objectKey } from '../../client/index.ts';
import { claimObjects } from '../controller-ref/index.ts';
import type { SyncContext } from './context.ts';
import { claimOptions, cleanupHistory, constructHistory, hashOf } from './history.ts';
import { BY_NAMESPACE } from './indexes.ts';
import { manage, nodesToDaemonPods } from './manage.ts';
import { rollingUpdate } from './rolling-update.ts';
import { calculateStatus, storeStatus } from './status.ts';
import { errorMessage, PODS, podSelector, specOf } from './types.ts';

// syncDaemonSet of daemon_controller.go, for one DaemonSet read from the cache (never
// mutated: every write goes to the API). In order: claim the pods, find or make the
// current ControllerRevision, and then, unless earlier creations or deletions are still
// in flight, create and delete pods node by node, take the next rolling-update step and
// trim the history. The status is written either way, but observedGeneration only moves
// when the spec was acted on.

export async function syncDaemonSet(ctx: SyncContext, ds: KubeObject): Promise<void> {
  const key = objectKey(ds);
  const selector = podSelector(ds);
  if (!selector) {
    ctx.log.warn({ key }, `DaemonSet ${key} has an invalid pod selector; not syncing`);
    return;
  }
  if (selector.length === 0) {
    const msg = 'This daemon set is selecting all pods. A non-empty selector is required.';
    ctx.events.event(ds, 'Warning', 'SelectingAll', msg);
    return;
  }
  // Being deleted: its history may already be gone, so its status cannot be trusted.
  if (ds.metadata?.deletionTimestamp) return;

  const nodes = ctx.caches.nodes.list();
  const namespace = ds.metadata?.namespace ?? '';
  let pods: KubeObject[];
  try {
    const inNamespace = ctx.caches.pods.byIndex(BY_NAMESPACE, namespace);
    pods = await claimObjects(claimOptions(ctx, ds, selector, PODS, 'Pod'), inNamespace);
  } catch (err) {
    const name = ds.metadata?.name ?? '';
    throw new Error(
      `couldn't get node to daemon pod mapping for daemon set "${name}": ${errorMessage(err)}`,
      { cause: err },
    );
  }
  let history;
  try {
    history = await constructHistory(ctx, ds, selector, pods);
  } catch (err) {
    throw new Error(`failed to construct revisions of DaemonSet: ${errorMessage(err)}`, {
      cause: err,
    });
  }
  const hash = hashOf(history.current) ?? '';
  const byNode = nodesToDaemonPods(pods, false);
  const now = () => ctx.clock.now();

  if (!ctx.expectations.satisfied(key)) {
    await storeStatus(ctx, ds, calculateStatus(ds, nodes, byNode, hash, now()), false);
    return;
  }

  let syncError: unknown;
  try {
    await manage(ctx, ds, nodes, byNode, hash);
    // The next rolling-update step waits until what manage just did is observed.
    if (ctx.expectations.satisfied(key) && specOf(ds).updateStrategy.type === 'RollingUpdate') {
      await rollingUpdate(ctx, ds, nodes, byNode, hash);
    }
    try {
      await cleanupHistory(ctx, ds, history.old, pods);
    } catch (err) {
      throw new Error(`failed to clean up revisions of DaemonSet: ${errorMessage(err)}`, {
        cause: err,
      });
    }
  } catch (err) {
    syncError = err;
  }

  const counts = calculateStatus(ds, nodes, byNode, hash, now());
  try {
    await storeStatus(ctx, ds, counts, true);
  } catch (err) {
    if (syncError === undefined) {
      throw new Error(`error storing status for daemon set ${key}: ${errorMessage(err)}`, {
        cause: err,
      });
    }
    ctx.log.error({ err, key }, 'failed to update the status of a DaemonSet');
  }
  if (syncError !== undefined) throw syncError;
  // A last line of defence against clock skew: look again once ready pods are available.
  const { minReadySeconds } = specOf(ds);
  if (minReadySeconds > 0 && counts.numberReady !== counts.numberAvailable) {
    ctx.requeueAfter(minReadySeconds * 1000);
  }
}
