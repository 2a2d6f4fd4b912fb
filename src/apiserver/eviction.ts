import type { KubeObject } from '../api/index.ts';
import { builtinRegistry, rfc3339 } from '../api/index.ts';
import {
  DISRUPTION_TARGET,
  isPodReady,
  selectsPod,
  specOf,
  statusOf,
  withDisruptionAllowedCondition,
  withPodCondition,
  type BudgetStatus,
} from '../api/disruption/index.ts';
import { StatusError, badRequest, conflict, type Status } from './errors.ts';
import { sendJson } from './http/respond.ts';
import { deleteObject, type DeleteOptions } from './storage/delete.ts';
import { listObjects } from './storage/list.ts';
import { ResourceStore, type WriteContext } from './storage/resource-store.ts';
import type { SubresourceCall } from './subresources.ts';

// POST pods/{name}/eviction: a delete that respects PodDisruptionBudgets, as
// kube-apiserver 1.32 does it (pkg/registry/core/pod/storage/eviction.go).
//
//   pod Pending, Succeeded, Failed or already being deleted → deleted, no budget asked
//   no budget selects the pod                               → deleted
//   more than one budget selects it                         → 500
//   pod not Ready, and the budget's unhealthyPodEvictionPolicy is AlwaysAllow, or the
//     application is healthy (currentHealthy ≥ desiredHealthy > 0) → deleted if the pod
//     has not changed since (resourceVersion precondition), without using the budget
//   otherwise: the budget must be observed at its generation and allow a disruption;
//     disruptionsAllowed is decremented and the pod recorded in disruptedPods (one
//     optimistic write of the budget's status, retried on conflict), then the pod is
//     deleted; no disruption left → 429
//
// Every delete first sets the pod's DisruptionTarget condition (EvictionByEvictionAPI).
// Answers 201 with a Success Status.

/** More pending evictions than this in one budget means its controller is not keeping up. */
const MAX_DISRUPTED_PODS = 2000;
/** EvictionsRetry: attempts at a delete that races other writers of the pod. */
const MAX_ATTEMPTS = 20;

const BUDGETS = builtinRegistry().get('policy', 'v1', 'poddisruptionbudgets')!;

const MULTIPLE_BUDGETS =
  'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.';
const VIOLATION = "Cannot evict pod as it would violate the pod's disruption budget.";

export interface EvictionStores {
  pods: ResourceStore;
  budgets: ResourceStore;
}

export interface EvictionResult {
  code: number;
  status: Status;
}

/**
 * The PodDisruptionBudget store next to a pod store. A ResourceStore keeps no state of its
 * own beyond its type and the shared backend, cache and admission, so a second one for
 * the same type is equivalent to the server's.
 */
export function budgetStoreFor(pods: ResourceStore): ResourceStore {
  return new ResourceStore(BUDGETS, pods.deps);
}

/** The handler of the eviction subresource. */
export async function serveEviction(call: SubresourceCall): Promise<void> {
  const { rs, scope, ctx } = call;
  const eviction = await call.readObject();
  try {
    const { code, status } = await evictPod(
      { pods: rs, budgets: budgetStoreFor(rs) },
      scope.info.namespace,
      scope.info.name,
      eviction,
      ctx,
    );
    sendJson(scope.res, code, status);
  } catch (err) {
    // As kube-apiserver: a suggested delay travels in Retry-After too, which client-go
    // honours by retrying the request itself.
    const retryAfter = err instanceof StatusError ? err.details?.retryAfterSeconds : undefined;
    if (retryAfter) scope.res.setHeader('Retry-After', String(retryAfter));
    throw err;
  }
}

export async function evictPod(
  stores: EvictionStores,
  namespace: string,
  name: string,
  eviction: KubeObject,
  requestCtx: WriteContext,
): Promise<EvictionResult> {
  if ((eviction.metadata?.name ?? '') !== name) {
    throw badRequest('name in URL does not match name in Eviction object');
  }
  // dryRun may come with the request or inside deleteOptions; either makes it a dry run.
  const options = structuredClone((eviction.deleteOptions ?? {}) as DeleteOptions);
  if (requestCtx.dryRun && !options.dryRun?.length) options.dryRun = ['All'];
  const ctx: WriteContext = { ...requestCtx, dryRun: (options.dryRun?.length ?? 0) > 0 };
  const rvUnset = !options.preconditions?.resourceVersion;
  const { pods } = stores;

  let pod: KubeObject;
  for (let attempt = 1; ; attempt++) {
    pod = await pods.get(namespace, name);
    if (!canIgnoreBudget(pod)) break;
    // Already disrupted (finished, not started, or going): delete without asking a budget,
    // unless the pod changed meanwhile.
    const opts =
      enforceResourceVersion(pod) && rvUnset ? withResourceVersion(options, pod) : options;
    try {
      await addConditionAndDelete(pods, namespace, name, opts, ctx);
      return success();
    } catch (err) {
      if (rvUnset && isConflict(err) && attempt < MAX_ATTEMPTS) continue;
      throw err;
    }
  }

  const matching = await budgetsOf(stores.budgets, pod);
  if (matching.length > 1) {
    return {
      code: 500,
      status: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: MULTIPLE_BUDGETS,
        code: 500,
      },
    };
  }
  const pdb = matching[0];
  // An unready pod adds nothing to currentHealthy: deleting it costs the budget nothing
  // when the policy says so, or when the application is healthy without it.
  let spendsNothing = false;
  if (pdb && !isPodReady(pod)) {
    const status = statusOf(pdb);
    const desired = status.desiredHealthy ?? 0;
    spendsNothing =
      specOf(pdb).unhealthyPodEvictionPolicy === 'AlwaysAllow' ||
      ((status.currentHealthy ?? 0) >= desired && desired > 0);
  }
  if (pdb && !spendsNothing) await spendDisruption(stores.budgets, pdb, name, ctx);

  // Not spending the budget holds only while the pod stays as it was (not Ready).
  const opts = spendsNothing ? withResourceVersion(options, pod) : options;
  try {
    await addConditionAndDelete(pods, namespace, name, opts, ctx);
  } catch (err) {
    if (isConflict(err) && spendsNothing && rvUnset) throw stillProcessing(pdb!.metadata!.name!);
    throw err;
  }
  return success();
}

function success(): EvictionResult {
  return {
    code: 201,
    status: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 },
  };
}

function phaseOf(pod: KubeObject): string | undefined {
  return (pod.status as { phase?: string } | undefined)?.phase;
}

function canIgnoreBudget(pod: KubeObject): boolean {
  const phase = phaseOf(pod);
  return (
    phase === 'Succeeded' ||
    phase === 'Failed' ||
    phase === 'Pending' ||
    !!pod.metadata?.deletionTimestamp
  );
}

/** A pod that may still become Ready is deleted only as it was read. */
function enforceResourceVersion(pod: KubeObject): boolean {
  const phase = phaseOf(pod);
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata?.deletionTimestamp;
}

function withResourceVersion(options: DeleteOptions, pod: KubeObject): DeleteOptions {
  return {
    ...options,
    preconditions: { ...options.preconditions, resourceVersion: pod.metadata?.resourceVersion },
  };
}

function isConflict(err: unknown): boolean {
  return err instanceof StatusError && err.reason === 'Conflict';
}

/** The budgets of the pod's namespace whose selector matches it (policy/v1 rules). */
async function budgetsOf(budgets: ResourceStore, pod: KubeObject): Promise<KubeObject[]> {
  const { items } = await listObjects(budgets, { namespace: pod.metadata?.namespace ?? '' });
  return items.filter((pdb) => selectsPod(pdb, pod));
}

function stillProcessing(budget: string): StatusError {
  return new StatusError('TooManyRequests', VIOLATION, {
    causes: [
      {
        reason: 'DisruptionBudget',
        message: `The disruption budget ${budget} is still being processed by the server.`,
      },
    ],
    retryAfterSeconds: 10,
  });
}

function forbidden(budget: string, why: string): StatusError {
  return new StatusError(
    'Forbidden',
    `poddisruptionbudget.policy "${budget}" is forbidden: ${why}`,
    { name: budget, group: 'policy', kind: 'poddisruptionbudget' },
  );
}

/**
 * checkAndDecrement, as one optimistic update of the budget's status: re-run on the
 * latest budget whenever another writer got there first.
 */
async function spendDisruption(
  budgets: ResourceStore,
  pdb: KubeObject,
  podName: string,
  ctx: WriteContext,
): Promise<void> {
  const budget = pdb.metadata?.name ?? '';
  await budgets.guaranteedUpdate(
    pdb.metadata?.namespace ?? '',
    budget,
    (current) => {
      const status = statusOf(current);
      const allowed = status.disruptionsAllowed ?? 0;
      if ((status.observedGeneration ?? 0) < (current.metadata?.generation ?? 0)) {
        throw stillProcessing(budget);
      }
      if (allowed < 0) throw forbidden(budget, 'pdb disruptions allowed is negative');
      if (Object.keys(status.disruptedPods ?? {}).length > MAX_DISRUPTED_PODS) {
        throw forbidden(
          budget,
          'DisruptedPods map too big - too many evictions not confirmed by PDB controller',
        );
      }
      if (allowed === 0) {
        throw new StatusError('TooManyRequests', VIOLATION, {
          causes: [
            {
              reason: 'DisruptionBudget',
              message: `The disruption budget ${budget} needs ${status.desiredHealthy ?? 0} healthy pods and has ${status.currentHealthy ?? 0} currently`,
            },
          ],
        });
      }
      let next = { ...status, disruptionsAllowed: allowed - 1 } as BudgetStatus;
      if (next.disruptionsAllowed === 0) {
        next = withDisruptionAllowedCondition(next, ctx.now.getTime());
      }
      // Tells the disruption controller the pod is about to go, so it stops counting it
      // as healthy; the controller drops the entry once the pod is deleted, or after two
      // minutes if it never is.
      next.disruptedPods = { ...status.disruptedPods, [podName]: rfc3339(ctx.now) };
      return { ...current, status: next };
    },
    { now: ctx.now, dryRun: ctx.dryRun, subresource: 'status' },
  );
}

/**
 * Sets DisruptionTarget on the pod (unless a dry run), then deletes it. The condition
 * write checks the caller's preconditions itself and moves a resourceVersion
 * precondition on past its own write.
 */
async function addConditionAndDelete(
  pods: ResourceStore,
  namespace: string,
  name: string,
  options: DeleteOptions,
  ctx: WriteContext,
): Promise<void> {
  let opts = options;
  if (!ctx.dryRun) {
    const updated = await pods.guaranteedUpdate(
      namespace,
      name,
      (latest) => {
        const { uid, resourceVersion } = opts.preconditions ?? {};
        const m = latest.metadata ?? {};
        if (uid && uid !== m.uid) {
          throw conflict(
            '',
            'Pod',
            name,
            `the UID in the precondition (${uid}) does not match the UID in record (${m.uid}). The object might have been deleted and then recreated`,
          );
        }
        if (resourceVersion && resourceVersion !== m.resourceVersion) {
          throw conflict(
            '',
            'Pod',
            name,
            `the ResourceVersion in the precondition (${resourceVersion}) does not match the ResourceVersion in record (${m.resourceVersion}). The object might have been modified`,
          );
        }
        const condition = {
          type: DISRUPTION_TARGET,
          status: 'True',
          reason: 'EvictionByEvictionAPI',
          message: 'Eviction API: evicting',
        };
        return withPodCondition(latest, condition, ctx.now.getTime()) ?? latest;
      },
      { now: ctx.now, dryRun: false, subresource: 'status' },
    );
    if (opts.preconditions?.resourceVersion) {
      opts = {
        ...opts,
        preconditions: {
          ...opts.preconditions,
          resourceVersion: updated.metadata?.resourceVersion,
        },
      };
    }
  }
  await deleteObject(pods, namespace, name, opts, ctx);
}
