import type { KubeObject } from '../../api/index.ts';
import { equalIgnoreHash } from './hash.ts';
import {
  annotationsOf,
  deploymentSpec,
  DESIRED_REPLICAS,
  isRollingUpdate,
  replicasOf,
  REVISION,
  rsStatus,
  rsTemplate,
  type DeploymentStatus,
  type IntOrString,
} from './types.ts';

// Arithmetic over a Deployment's ReplicaSets, as pkg/controller/deployment/util and
// pkg/controller/controller_utils.go do it: surge and unavailability budgets, revisions,
// orderings, and the sums the status is made of. Pure functions of their arguments.

/**
 * intstr.GetScaledValueFromIntOrPercent: an integer as is, or a percentage of `total`
 * rounded up or down. Throws for strings that are not percentages.
 */
export function scaledValue(value: IntOrString, total: number, roundUp: boolean): number {
  if (typeof value === 'number') return value;
  const m = /^(-?\d+)%$/.exec(value);
  if (!m)
    throw new Error(`invalid value for IntOrString: invalid type: string is not a percentage`);
  const scaled = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}

/**
 * ResolveFenceposts: maxSurge rounded up, maxUnavailable rounded down, and when both come
 * to zero maxUnavailable is 1 (a surge may be impossible, with a quota say).
 */
export function resolveFenceposts(
  maxSurge: IntOrString | undefined,
  maxUnavailable: IntOrString | undefined,
  desired: number,
): { surge: number; unavailable: number } {
  const surge = scaledValue(maxSurge ?? 0, desired, true);
  let unavailable = scaledValue(maxUnavailable ?? 0, desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

/** MaxSurge: 0 unless RollingUpdate. */
export function maxSurge(d: KubeObject): number {
  if (!isRollingUpdate(d)) return 0;
  const { replicas, strategy } = deploymentSpec(d);
  const ru = strategy.rollingUpdate ?? {};
  return resolveFenceposts(ru.maxSurge, ru.maxUnavailable, replicas).surge;
}

/** MaxUnavailable: 0 unless RollingUpdate with replicas; never more than replicas. */
export function maxUnavailable(d: KubeObject): number {
  const { replicas, strategy } = deploymentSpec(d);
  if (!isRollingUpdate(d) || replicas === 0) return 0;
  const ru = strategy.rollingUpdate ?? {};
  const { unavailable } = resolveFenceposts(ru.maxSurge, ru.maxUnavailable, replicas);
  return Math.min(unavailable, replicas);
}

/** The revision annotation as a number: 0 when absent, NaN when unreadable. */
export function revisionOf(obj: KubeObject): number {
  const v = annotationsOf(obj)[REVISION];
  if (v === undefined) return 0;
  return /^[+-]?\d+$/.test(v) ? Number(v) : NaN;
}

/** MaxRevision: the highest readable revision (unreadable ones are skipped). */
export function maxRevision(rss: KubeObject[]): number {
  let max = 0;
  for (const rs of rss) {
    const v = revisionOf(rs);
    if (!Number.isNaN(v) && v > max) max = v;
  }
  return max;
}

const created = (o: KubeObject) => Date.parse(o.metadata?.creationTimestamp ?? '') || 0;

/** ReplicaSetsByCreationTimestamp: oldest first, then by name. */
export function byCreation(a: KubeObject, b: KubeObject): number {
  const d = created(a) - created(b);
  if (d !== 0) return d;
  const [x, y] = [a.metadata?.name ?? '', b.metadata?.name ?? ''];
  return x < y ? -1 : x > y ? 1 : 0;
}

/** ReplicaSetsBySizeOlder: larger first; of equal size, older first. */
export function bySizeOlder(a: KubeObject, b: KubeObject): number {
  return replicasOf(b) - replicasOf(a) || byCreation(a, b);
}

/** ReplicaSetsBySizeNewer: larger first; of equal size, newer first. */
export function bySizeNewer(a: KubeObject, b: KubeObject): number {
  return replicasOf(b) - replicasOf(a) || byCreation(b, a);
}

/** ReplicaSetsByRevision: lower revision first; unreadable or equal ones by creation. */
export function byRevision(a: KubeObject, b: KubeObject): number {
  const [x, y] = [revisionOf(a), revisionOf(b)];
  if (Number.isNaN(x) || Number.isNaN(y) || x === y) return byCreation(a, b);
  return x - y;
}

/** FilterActiveReplicaSets: present and with spec.replicas > 0. */
export function activeOf(rss: (KubeObject | undefined)[]): KubeObject[] {
  return rss.filter((rs): rs is KubeObject => !!rs && replicasOf(rs) > 0);
}

/** FindNewReplicaSet: the oldest ReplicaSet whose template equals the Deployment's. */
export function findNewReplicaSet(d: KubeObject, rsList: KubeObject[]): KubeObject | undefined {
  const template = deploymentSpec(d).template;
  return [...rsList].sort(byCreation).find((rs) => equalIgnoreHash(rsTemplate(rs), template));
}

/** FindOldReplicaSets (all of them): every ReplicaSet but the new one. */
export function findOldReplicaSets(d: KubeObject, rsList: KubeObject[]): KubeObject[] {
  const newRS = findNewReplicaSet(d, rsList);
  return rsList.filter((rs) => !newRS || rs.metadata?.uid !== newRS.metadata?.uid);
}

/**
 * FindActiveOrLatest: the one active ReplicaSet, or the newest when none is active;
 * undefined when several are active (they scale proportionally). Sorts `oldRSs` newest
 * first, as Kubernetes does.
 */
export function findActiveOrLatest(
  newRS: KubeObject | undefined,
  oldRSs: KubeObject[],
): KubeObject | undefined {
  if (!newRS && oldRSs.length === 0) return undefined;
  oldRSs.sort((a, b) => byCreation(b, a));
  const active = activeOf([...oldRSs, newRS]);
  if (active.length === 0) return newRS ?? oldRSs[0];
  return active.length === 1 ? active[0] : undefined;
}

/** IsSaturated: the new ReplicaSet is sized, annotated and available at the desired count. */
export function isSaturated(d: KubeObject, rs: KubeObject | undefined): boolean {
  if (!rs) return false;
  const desired = annotationsOf(rs)[DESIRED_REPLICAS];
  if (desired === undefined || !/^[+-]?\d+$/.test(desired)) return false;
  const { replicas } = deploymentSpec(d);
  return (
    replicasOf(rs) === replicas &&
    Number(desired) === replicas &&
    rsStatus(rs).availableReplicas === replicas
  );
}

type Present = (KubeObject | undefined)[];
const sum = (rss: Present, f: (rs: KubeObject) => number) =>
  rss.reduce((n, rs) => (rs ? n + f(rs) : n), 0);

/** GetReplicaCountForReplicaSets: the sum of spec.replicas. */
export const specReplicas = (rss: Present) => sum(rss, replicasOf);
/** GetActualReplicaCountForReplicaSets: the sum of status.replicas. */
export const actualReplicas = (rss: Present) => sum(rss, (rs) => rsStatus(rs).replicas);
export const readyReplicas = (rss: Present) => sum(rss, (rs) => rsStatus(rs).readyReplicas);
export const availableReplicas = (rss: Present) => sum(rss, (rs) => rsStatus(rs).availableReplicas);

/** DeploymentComplete: every replica updated and available, the latest spec observed. */
export function deploymentComplete(d: KubeObject, status: DeploymentStatus): boolean {
  const { replicas } = deploymentSpec(d);
  return (
    (status.updatedReplicas ?? 0) === replicas &&
    (status.replicas ?? 0) === replicas &&
    (status.availableReplicas ?? 0) === replicas &&
    (status.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0)
  );
}

/** DeploymentProgressing: more updated, ready or available replicas, or fewer old ones. */
export function deploymentProgressing(d: KubeObject, next: DeploymentStatus): boolean {
  const old = (d.status ?? {}) as DeploymentStatus;
  const n = (v: number | undefined) => v ?? 0;
  const oldOld = n(old.replicas) - n(old.updatedReplicas);
  const newOld = n(next.replicas) - n(next.updatedReplicas);
  return (
    n(next.updatedReplicas) > n(old.updatedReplicas) ||
    newOld < oldOld ||
    n(next.readyReplicas) > n(old.readyReplicas) ||
    n(next.availableReplicas) > n(old.availableReplicas)
  );
}

/**
 * NewRSNewReplicas: the size the new ReplicaSet may grow to now. RollingUpdate: as far as
 * the surge allows over all ReplicaSets, never past spec.replicas; Recreate: all of them.
 */
export function newRSNewReplicas(d: KubeObject, allRSs: KubeObject[], newRS: KubeObject): number {
  const { replicas, strategy } = deploymentSpec(d);
  switch (strategy.type) {
    case 'RollingUpdate': {
      const surge = scaledValue(strategy.rollingUpdate?.maxSurge ?? 0, replicas, true);
      const current = specReplicas(allRSs);
      const maxTotal = replicas + surge;
      if (current >= maxTotal) return replicasOf(newRS);
      const scaleUp = Math.min(maxTotal - current, replicas - replicasOf(newRS));
      return replicasOf(newRS) + scaleUp;
    }
    case 'Recreate':
      return replicas;
    default:
      throw new Error(`deployment type ${strategy.type} isn't supported`);
  }
}
