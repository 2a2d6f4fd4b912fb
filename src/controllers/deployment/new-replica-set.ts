import type { KubeObject } from '../../api/index.ts';
import type { LabelSelectorSpec } from '../../api/selectors/index.ts';
import { isAlreadyExists, isNamespaceTerminating } from '../../client/index.ts';
import { setDeploymentRevision, setNewReplicaSetAnnotations } from './annotations.ts';
import { controllerRefOf } from '../controller-ref/index.ts';
import { getCondition, newCondition, setCondition } from './conditions.ts';
import {
  errorMessage,
  updateDeploymentStatus,
  updateReplicaSet,
  type SyncContext,
} from './context.ts';
import { computeHash, equalIgnoreHash } from './hash.ts';
import {
  findNewReplicaSet,
  findOldReplicaSets,
  maxRevision,
  newRSNewReplicas,
} from './replica-sets.ts';
import {
  controllerRefTo,
  deploymentSpec,
  deploymentStatus,
  HASH_LABEL,
  hasProgressDeadline,
  PROGRESSING,
  Reason,
  REPLICASETS,
  REVISION,
  rsTemplate,
} from './types.ts';

// getAllReplicaSetsAndSyncRevision and getNewReplicaSet of sync.go: which ReplicaSet runs
// the current template (creating it when asked), with its revision raised above every old
// one, and the Deployment's revision annotation and Progressing condition to match.

export interface ReplicaSets {
  newRS?: KubeObject;
  /** Every other ReplicaSet the Deployment controls, active or not. */
  oldRSs: KubeObject[];
}

/**
 * `rsList` is the sync's list of claimed ReplicaSets; a ReplicaSet written here replaces
 * its entry, so later steps of the same sync see the write (Kubernetes re-reads its stale
 * cache and resolves the conflict on the next sync).
 */
export async function getAllReplicaSetsAndSyncRevision(
  ctx: SyncContext,
  d: KubeObject,
  rsList: KubeObject[],
  createIfNotExisted: boolean,
): Promise<ReplicaSets> {
  const oldRSs = findOldReplicaSets(d, rsList);
  const newRS = await getNewReplicaSet(ctx, d, rsList, oldRSs, createIfNotExisted);
  return { newRS, oldRSs };
}

async function getNewReplicaSet(
  ctx: SyncContext,
  d: KubeObject,
  rsList: KubeObject[],
  oldRSs: KubeObject[],
  createIfNotExisted: boolean,
): Promise<KubeObject | undefined> {
  const spec = deploymentSpec(d);
  const status = deploymentStatus(d);
  const existing = findNewReplicaSet(d, rsList);
  const newRevision = String(maxRevision(oldRSs) + 1);

  if (existing) {
    // The cached ReplicaSet is shared: change a copy.
    const copy = structuredClone(existing);
    const rsSpec = (copy.spec ??= {}) as { minReadySeconds?: number };
    const annotationsUpdated = setNewReplicaSetAnnotations(d, copy, newRevision, true);
    if (annotationsUpdated || (rsSpec.minReadySeconds ?? 0) !== spec.minReadySeconds) {
      rsSpec.minReadySeconds = spec.minReadySeconds;
      const updated = await updateReplicaSet(ctx, copy);
      rsList[rsList.indexOf(existing)] = updated;
      return updated;
    }
    let needsUpdate = setDeploymentRevision(d, copy.metadata?.annotations?.[REVISION] ?? '');
    if (hasProgressDeadline(d) && !getCondition(status, PROGRESSING)) {
      const msg = `Found new replica set "${copy.metadata?.name}"`;
      setCondition(status, newCondition(PROGRESSING, 'True', Reason.FoundNewRS, msg, now(ctx)));
      needsUpdate = true;
    }
    if (needsUpdate) await updateDeploymentStatus(ctx, d);
    return copy;
  }
  if (!createIfNotExisted) return undefined;

  const { namespace = '', name = '' } = d.metadata ?? {};
  const template = structuredClone(spec.template);
  const hash = computeHash(template, status.collisionCount);
  const labels = { ...(template.metadata?.labels ?? {}), [HASH_LABEL]: hash };
  template.metadata = { ...template.metadata, labels };
  const newRS: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      // Deterministic, so that creating twice is harmless.
      name: `${name}-${hash}`,
      namespace,
      ownerReferences: [controllerRefTo(d)],
      labels: { ...labels },
    },
    spec: {
      replicas: 0,
      minReadySeconds: spec.minReadySeconds,
      selector: selectorWithHash(spec.selector ?? {}, hash),
      template,
    },
  };
  const count = newRSNewReplicas(d, [...oldRSs, newRS], newRS);
  (newRS.spec as { replicas: number }).replicas = count;
  setNewReplicaSetAnnotations(d, newRS, newRevision, false);

  let created: KubeObject;
  let alreadyExists = false;
  try {
    created = await ctx.client.create(REPLICASETS, namespace, newRS);
  } catch (err) {
    if (isAlreadyExists(err)) {
      // A slow cache, or a hash collision with a ReplicaSet of another template.
      const rs = ctx.replicaSets.get(`${namespace}/${newRS.metadata!.name}`);
      if (!rs) throw err;
      const ref = controllerRefOf(rs);
      if (ref?.uid !== d.metadata?.uid || !equalIgnoreHash(spec.template, rsTemplate(rs))) {
        const before = status.collisionCount ?? 0;
        status.collisionCount = before + 1;
        try {
          await updateDeploymentStatus(ctx, d);
          ctx.log.info(
            { deployment: `${namespace}/${name}`, before, after: before + 1 },
            'found a hash collision for deployment - bumping collisionCount to resolve it',
          );
        } catch {
          // The collision is reported by the error below; the next sync tries again.
        }
        throw err;
      }
      created = rs;
      alreadyExists = true;
    } else if (isNamespaceTerminating(err)) {
      throw err;
    } else {
      const msg = `Failed to create new replica set "${newRS.metadata!.name}": ${errorMessage(err)}`;
      if (hasProgressDeadline(d)) {
        setCondition(
          status,
          newCondition(PROGRESSING, 'False', Reason.FailedRSCreate, msg, now(ctx)),
        );
        await updateDeploymentStatus(ctx, d).catch(() => {});
      }
      ctx.events.event(d, 'Warning', Reason.FailedRSCreate, msg);
      throw err;
    }
  }
  const createdName = created.metadata?.name ?? '';
  if (!alreadyExists && count > 0) {
    ctx.events.event(
      d,
      'Normal',
      'ScalingReplicaSet',
      `Scaled up replica set ${createdName} to ${count}`,
    );
  }
  let needsUpdate = setDeploymentRevision(d, newRevision);
  if (!alreadyExists && hasProgressDeadline(d)) {
    const msg = `Created new replica set "${createdName}"`;
    setCondition(status, newCondition(PROGRESSING, 'True', Reason.NewReplicaSet, msg, now(ctx)));
    needsUpdate = true;
  }
  if (needsUpdate) await updateDeploymentStatus(ctx, d);
  return created;
}

const now = (ctx: SyncContext) => ctx.clock.now();

/** CloneSelectorAndAddLabel. */
function selectorWithHash(selector: LabelSelectorSpec, hash: string): LabelSelectorSpec {
  const out: LabelSelectorSpec = {
    matchLabels: { ...(selector.matchLabels ?? {}), [HASH_LABEL]: hash },
  };
  if (selector.matchExpressions) out.matchExpressions = structuredClone(selector.matchExpressions);
  return out;
}
