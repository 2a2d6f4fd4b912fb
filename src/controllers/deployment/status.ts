import type { KubeObject } from '../../api/index.ts';
import { newCondition, setCondition } from './conditions.ts';
import { updateDeploymentStatus, type SyncContext } from './context.ts';
import {
  actualReplicas,
  availableReplicas,
  maxUnavailable,
  readyReplicas,
  specReplicas,
} from './replica-sets.ts';
import { normalize } from './hash.ts';
import {
  AVAILABLE,
  deploymentSpec,
  deploymentStatus,
  Reason,
  type DeploymentStatus,
} from './types.ts';

// calculateStatus and syncDeploymentStatus of sync.go: the status the ReplicaSets amount
// to, with the Available condition, written only when it changed.

/**
 * The status of `d` given its ReplicaSets: sums of theirs, the conditions it had, and
 * Available (True while at most maxUnavailable replicas are unavailable). Zero counts are
 * left out, as Kubernetes omits them from JSON.
 */
export function calculateStatus(
  allRSs: (KubeObject | undefined)[],
  newRS: KubeObject | undefined,
  d: KubeObject,
  now: number,
): DeploymentStatus {
  const available = availableReplicas(allRSs);
  const unavailable = Math.max(0, specReplicas(allRSs) - available);
  const old = deploymentStatus(d);
  const status: DeploymentStatus = {};
  const counts: [keyof DeploymentStatus, number][] = [
    ['observedGeneration', d.metadata?.generation ?? 0],
    ['replicas', actualReplicas(allRSs)],
    ['updatedReplicas', actualReplicas([newRS])],
    ['readyReplicas', readyReplicas(allRSs)],
    ['availableReplicas', available],
    ['unavailableReplicas', unavailable],
  ];
  for (const [field, n] of counts) if (n !== 0) (status as Record<string, number>)[field] = n;
  if (old.conditions && old.conditions.length > 0) status.conditions = [...old.conditions];
  if (old.collisionCount !== undefined && old.collisionCount !== null) {
    status.collisionCount = old.collisionCount;
  }
  const { replicas } = deploymentSpec(d);
  const condition =
    available >= replicas - maxUnavailable(d)
      ? newCondition(
          AVAILABLE,
          'True',
          Reason.MinimumReplicasAvailable,
          'Deployment has minimum availability.',
          now,
        )
      : newCondition(
          AVAILABLE,
          'False',
          Reason.MinimumReplicasUnavailable,
          'Deployment does not have minimum availability.',
          now,
        );
  setCondition(status, condition);
  return status;
}

/** reflect.DeepEqual of two statuses, zero values and absent fields alike. */
export function sameStatus(a: DeploymentStatus, b: DeploymentStatus): boolean {
  return JSON.stringify(normalize(dropZeros(a))) === JSON.stringify(normalize(dropZeros(b)));
}

function dropZeros(s: DeploymentStatus): DeploymentStatus {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) if (v !== 0 || k === 'collisionCount') out[k] = v;
  return out as DeploymentStatus;
}

/** syncDeploymentStatus: writes the calculated status when it differs. */
export async function syncDeploymentStatus(
  ctx: SyncContext,
  allRSs: (KubeObject | undefined)[],
  newRS: KubeObject | undefined,
  d: KubeObject,
): Promise<void> {
  const next = calculateStatus(allRSs, newRS, d, ctx.clock.now());
  if (sameStatus(deploymentStatus(d), next)) return;
  d.status = next;
  await updateDeploymentStatus(ctx, d);
}
