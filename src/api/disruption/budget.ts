import type { KubeObject, OwnerReference } from '../index.ts';
import {
  matchesLabels,
  selectorFromSpec,
  SelectorParseError,
  type LabelSelectorSpec,
} from '../selectors/index.ts';
import { rfc3339 } from '../time.ts';

// The arithmetic of a PodDisruptionBudget, as kube-controller-manager's disruption
// controller does it (pkg/controller/disruption, Kubernetes 1.32). Pure functions of the
// budget, its pods, the controllers' scale and the time, so they are tested without a
// cluster:
//
//   expectedPods    minAvailable int      → number of selected pods
//                   minAvailable percent  → sum of the scale of the pods' controllers
//                   maxUnavailable        → sum of the scale of the pods' controllers
//   desiredHealthy  minAvailable int      → minAvailable
//                   minAvailable percent  → ceil(percent × expectedPods)
//                   maxUnavailable        → max(0, expectedPods − maxUnavailable),
//                                           a percentage rounded up
//   currentHealthy  selected pods that are Ready, not being deleted, and not recorded in
//                   disruptedPods by the eviction API within the last two minutes
//   disruptionsAllowed = max(0, currentHealthy − desiredHealthy), 0 while expectedPods is 0

/** How long an eviction's entry in status.disruptedPods is trusted (DeletionTimeout). */
export const DELETION_TIMEOUT_MS = 2 * 60 * 1000;

export const DISRUPTION_ALLOWED = 'DisruptionAllowed';
export const SUFFICIENT_PODS = 'SufficientPods';
export const INSUFFICIENT_PODS = 'InsufficientPods';
export const SYNC_FAILED = 'SyncFailed';

export type IntOrString = number | string;

export interface BudgetSpec {
  minAvailable?: IntOrString | null;
  maxUnavailable?: IntOrString | null;
  selector?: LabelSelectorSpec | null;
  unhealthyPodEvictionPolicy?: string;
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

/** policy/v1 PodDisruptionBudgetStatus, fields in the order Kubernetes writes them. */
export interface BudgetStatus {
  observedGeneration?: number;
  /** Pod name → when the eviction API approved its eviction (RFC 3339). */
  disruptedPods?: Record<string, string>;
  disruptionsAllowed: number;
  currentHealthy: number;
  desiredHealthy: number;
  expectedPods: number;
  conditions?: Condition[];
}

export function specOf(pdb: KubeObject): BudgetSpec {
  return (pdb.spec ?? {}) as BudgetSpec;
}

export function statusOf(pdb: KubeObject): Partial<BudgetStatus> {
  return (pdb.status ?? {}) as Partial<BudgetStatus>;
}

/**
 * intstr.GetScaledValueFromIntOrPercent: an integer as is, `N%` of `total` rounded up or
 * down; any other string is an error with Kubernetes' message.
 */
export function scaledValue(value: IntOrString, total: number, roundUp: boolean): number {
  if (typeof value === 'number') return value;
  if (!value.endsWith('%')) {
    throw new Error('invalid value for IntOrString: invalid type: string is not a percentage');
  }
  const digits = value.slice(0, -1);
  if (!/^[+-]?\d+$/.test(digits)) {
    throw new Error(
      `invalid value for IntOrString: invalid value "${value}": strconv.Atoi: parsing "${digits}": invalid syntax`,
    );
  }
  const scaled = (Number(digits) * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}

/**
 * Whether a budget selects a pod (policy/v1): same namespace, and the selector matches. A
 * missing selector selects nothing, an empty one everything, an invalid one nothing.
 */
export function selectsPod(pdb: KubeObject, pod: KubeObject): boolean {
  if (pdb.metadata?.namespace !== pod.metadata?.namespace) return false;
  const spec = specOf(pdb).selector;
  if (!spec) return false;
  try {
    return matchesLabels(selectorFromSpec(spec), pod.metadata?.labels);
  } catch (err) {
    if (err instanceof SelectorParseError) return false;
    throw err;
  }
}

/** podutil.IsPodReady: the Ready condition is True. */
export function isPodReady(pod: KubeObject): boolean {
  const conditions = (pod.status as { conditions?: { type?: string; status?: string }[] })
    ?.conditions;
  return (conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

export function controllerOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata?.ownerReferences?.find((r) => r.controller === true);
}

/** The scale of the controller a pod's controllerRef names, or null when there is none. */
export type ScaleFinder = (
  ref: OwnerReference,
  namespace: string,
) => Promise<{ uid: string; replicas: number } | null>;

export interface ExpectedCounts {
  expectedPods: number;
  desiredHealthy: number;
  /** Selected pods without a controller, left out of expectedPods. */
  unmanagedPods: string[];
}

/**
 * getExpectedScale: the sum of the scale of every controller of the pods. A pod without a
 * controller is set aside as unmanaged; a controller that cannot be found is an error.
 */
export async function expectedScale(
  pods: KubeObject[],
  findScale: ScaleFinder,
): Promise<{ expectedCount: number; unmanagedPods: string[] }> {
  const scaleByController = new Map<string, number>();
  const unmanagedPods: string[] = [];
  for (const pod of pods) {
    const ref = controllerOf(pod);
    if (!ref) {
      unmanagedPods.push(pod.metadata?.name ?? '');
      continue;
    }
    if (scaleByController.has(ref.uid)) continue;
    const found = await findScale(ref, pod.metadata?.namespace ?? '');
    if (!found) throw new Error(`found no controllers for pod "${pod.metadata?.name ?? ''}"`);
    scaleByController.set(found.uid, found.replicas);
  }
  let expectedCount = 0;
  for (const replicas of scaleByController.values()) expectedCount += replicas;
  return { expectedCount, unmanagedPods };
}

/** getExpectedPodCount: expectedPods and desiredHealthy from the spec. */
export async function expectedCounts(
  spec: BudgetSpec,
  pods: KubeObject[],
  findScale: ScaleFinder,
): Promise<ExpectedCounts> {
  if (spec.maxUnavailable !== undefined && spec.maxUnavailable !== null) {
    const { expectedCount, unmanagedPods } = await expectedScale(pods, findScale);
    const maxUnavailable = scaledValue(spec.maxUnavailable, expectedCount, true);
    return {
      expectedPods: expectedCount,
      desiredHealthy: Math.max(0, expectedCount - maxUnavailable),
      unmanagedPods,
    };
  }
  if (spec.minAvailable !== undefined && spec.minAvailable !== null) {
    if (typeof spec.minAvailable === 'number') {
      return { expectedPods: pods.length, desiredHealthy: spec.minAvailable, unmanagedPods: [] };
    }
    const { expectedCount, unmanagedPods } = await expectedScale(pods, findScale);
    return {
      expectedPods: expectedCount,
      desiredHealthy: scaledValue(spec.minAvailable, expectedCount, true),
      unmanagedPods,
    };
  }
  return { expectedPods: 0, desiredHealthy: 0, unmanagedPods: [] };
}

/**
 * buildDisruptedPodMap: the entries of status.disruptedPods still worth keeping — pods that
 * exist, are not yet being deleted, and whose eviction is younger than the deletion
 * timeout — and when the oldest of them expires (the budget is looked at again then).
 */
export function liveDisruptions(
  pods: KubeObject[],
  disruptedPods: Record<string, string> | undefined,
  now: number,
): { disruptedPods: Record<string, string>; recheckAt?: number; expired: string[] } {
  const kept: Record<string, string> = {};
  const expired: string[] = [];
  let recheckAt: number | undefined;
  if (!disruptedPods) return { disruptedPods: kept, expired };
  for (const pod of pods) {
    const name = pod.metadata?.name ?? '';
    if (pod.metadata?.deletionTimestamp) continue;
    const at = disruptedPods[name];
    if (at === undefined) continue;
    const expectedDeletion = Date.parse(at) + DELETION_TIMEOUT_MS;
    if (expectedDeletion < now) {
      expired.push(name);
      continue;
    }
    kept[name] = at;
    if (recheckAt === undefined || expectedDeletion < recheckAt) recheckAt = expectedDeletion;
  }
  return recheckAt === undefined
    ? { disruptedPods: kept, expired }
    : { disruptedPods: kept, recheckAt, expired };
}

/** countHealthyPods: Ready, not being deleted, not about to be deleted by an eviction. */
export function countHealthy(
  pods: KubeObject[],
  disruptedPods: Record<string, string>,
  now: number,
): number {
  let healthy = 0;
  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp) continue;
    const at = disruptedPods[pod.metadata?.name ?? ''];
    if (at !== undefined && Date.parse(at) + DELETION_TIMEOUT_MS > now) continue;
    if (isPodReady(pod)) healthy++;
  }
  return healthy;
}

/** apimeta.SetStatusCondition: the transition time moves only when the status does. */
export function setCondition(
  conditions: Condition[],
  wanted: Omit<Condition, 'lastTransitionTime'>,
  now: number,
): Condition[] {
  const existing = conditions.find((c) => c.type === wanted.type);
  if (!existing) return [...conditions, { ...wanted, lastTransitionTime: rfc3339(now) }];
  return conditions.map((c) =>
    c === existing
      ? {
          ...c,
          status: wanted.status,
          lastTransitionTime: c.status === wanted.status ? c.lastTransitionTime : rfc3339(now),
          reason: wanted.reason,
          message: wanted.message,
          observedGeneration: wanted.observedGeneration,
        }
      : c,
  );
}

/** pdbhelper.UpdateDisruptionAllowedCondition. */
export function withDisruptionAllowedCondition(status: BudgetStatus, now: number): BudgetStatus {
  const allowed = status.disruptionsAllowed > 0;
  const conditions = setCondition(
    status.conditions ?? [],
    {
      type: DISRUPTION_ALLOWED,
      status: allowed ? 'True' : 'False',
      reason: allowed ? SUFFICIENT_PODS : INSUFFICIENT_PODS,
      message: '',
      observedGeneration: status.observedGeneration ?? 0,
    },
    now,
  );
  return { ...status, conditions };
}

/** pdbhelper.ConditionsAreUpToDate. */
function conditionsUpToDate(pdb: KubeObject): boolean {
  const status = statusOf(pdb);
  const cond = status.conditions?.find((c) => c.type === DISRUPTION_ALLOWED);
  if (!cond) return false;
  if ((status.observedGeneration ?? 0) !== (pdb.metadata?.generation ?? 0)) return false;
  return (status.disruptionsAllowed ?? 0) > 0
    ? cond.status === 'True' && cond.reason === SUFFICIENT_PODS
    : cond.status === 'False' && cond.reason === INSUFFICIENT_PODS;
}

/** Same entries at the same instants; an absent map equals an empty one. */
function sameDisruptions(
  a: Record<string, string> | undefined,
  b: Record<string, string> | undefined,
): boolean {
  const ak = Object.keys(a ?? {});
  if (ak.length !== Object.keys(b ?? {}).length) return false;
  return ak.every((k) => b?.[k] !== undefined && Date.parse(a![k]!) === Date.parse(b[k]!));
}

export interface Observed {
  currentHealthy: number;
  desiredHealthy: number;
  expectedPods: number;
  disruptedPods: Record<string, string>;
}

/**
 * updatePdbStatus: the status the budget should have, or undefined when it already has
 * it. Conditions other than DisruptionAllowed are kept.
 */
export function nextStatus(
  pdb: KubeObject,
  observed: Observed,
  now: number,
): BudgetStatus | undefined {
  const { currentHealthy, desiredHealthy, expectedPods, disruptedPods } = observed;
  // A budget that expects no pods allows nothing, so pods that appear before the next
  // sync are safe.
  const disruptionsAllowed =
    expectedPods <= 0 || currentHealthy - desiredHealthy <= 0 ? 0 : currentHealthy - desiredHealthy;
  const current = statusOf(pdb);
  const generation = pdb.metadata?.generation ?? 0;
  if (
    current.currentHealthy === currentHealthy &&
    current.desiredHealthy === desiredHealthy &&
    current.expectedPods === expectedPods &&
    current.disruptionsAllowed === disruptionsAllowed &&
    sameDisruptions(current.disruptedPods, disruptedPods) &&
    (current.observedGeneration ?? 0) === generation &&
    conditionsUpToDate(pdb)
  ) {
    return undefined;
  }
  return withDisruptionAllowedCondition(
    {
      observedGeneration: generation,
      ...(Object.keys(disruptedPods).length > 0 ? { disruptedPods } : {}),
      disruptionsAllowed,
      currentHealthy,
      desiredHealthy,
      expectedPods,
      conditions: current.conditions ?? [],
    },
    now,
  );
}

/**
 * failSafe: when the status cannot be computed, at least allow no disruptions, and say
 * why in the DisruptionAllowed condition (reason SyncFailed).
 */
export function failSafeStatus(pdb: KubeObject, message: string, now: number): BudgetStatus {
  const current = statusOf(pdb);
  const observedGeneration = current.observedGeneration ?? 0;
  return {
    observedGeneration,
    ...(current.disruptedPods ? { disruptedPods: current.disruptedPods } : {}),
    disruptionsAllowed: 0,
    currentHealthy: current.currentHealthy ?? 0,
    desiredHealthy: current.desiredHealthy ?? 0,
    expectedPods: current.expectedPods ?? 0,
    conditions: setCondition(
      current.conditions ?? [],
      {
        type: DISRUPTION_ALLOWED,
        status: 'False',
        reason: SYNC_FAILED,
        message,
        observedGeneration,
      },
      now,
    ),
  };
}
