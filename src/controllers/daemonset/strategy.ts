import type { KubeObject } from '../../api/index.ts';
import { specOf, type IntOrPercent } from './types.ts';

// The RollingUpdate numbers of a DaemonSet (util.SurgeCount, util.UnavailableCount,
// intstr.GetScaledValueFromIntOrPercent). Both are 0 for OnDelete.

/** An integer as is; `N%` of `total`, rounded up or down. Throws for anything else. */
export function scaledValue(value: IntOrPercent | undefined, total: number, roundUp: boolean) {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number') return value;
  const m = /^(-?\d+)%$/.exec(value);
  if (!m)
    throw new Error(`invalid value for IntOrString: invalid type: string is not a percentage`);
  const scaled = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}

function rollingUpdate(ds: KubeObject) {
  const strategy = specOf(ds).updateStrategy;
  return strategy.type === 'RollingUpdate' ? strategy.rollingUpdate : undefined;
}

/** SurgeCount: extra pods allowed out of `numberToSchedule`; 0 without maxSurge. */
export function surgeCount(ds: KubeObject, numberToSchedule: number): number {
  return scaledValue(rollingUpdate(ds)?.maxSurge, numberToSchedule, true);
}

/** UnavailableCount: pods allowed to be unavailable out of `numberToSchedule`. */
export function unavailableCount(ds: KubeObject, numberToSchedule: number): number {
  return scaledValue(rollingUpdate(ds)?.maxUnavailable, numberToSchedule, true);
}

/** AllowsSurge: whether a node may run an old and a new pod at once. */
export function allowsSurge(ds: KubeObject): boolean {
  try {
    return surgeCount(ds, 1) > 0;
  } catch {
    return false;
  }
}
