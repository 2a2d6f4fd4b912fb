import type { KubeObject } from '../../api/index.ts';
import { maxSurge } from './replica-sets.ts';
import {
  ANNOTATIONS_TO_SKIP,
  deploymentSpec,
  DESIRED_REPLICAS,
  MAX_REPLICAS,
  REVISION,
  REVISION_HISTORY,
} from './types.ts';

// The annotations a Deployment keeps on its ReplicaSets and on itself
// (deployment_util.go). Every function here changes the object it is given in place and
// answers whether it changed: callers hand in their own copies.

/** How long revision-history may grow (maxRevHistoryLengthInChars). */
export const MAX_REVISION_HISTORY_CHARS = 2000;

function annotations(obj: KubeObject): Record<string, string> {
  const meta = (obj.metadata ??= {});
  return (meta.annotations ??= {});
}

/** copyDeploymentAnnotationsToReplicaSet: all but ANNOTATIONS_TO_SKIP. */
function copyDeploymentAnnotations(d: KubeObject, rs: KubeObject): boolean {
  const target = annotations(rs);
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata?.annotations ?? {})) {
    if (ANNOTATIONS_TO_SKIP.has(k) || (k in target && target[k] === v)) continue;
    target[k] = v;
    changed = true;
  }
  return changed;
}

/** SetReplicasAnnotations: desired-replicas and max-replicas. */
export function setReplicasAnnotations(rs: KubeObject, desired: number, max: number): boolean {
  const a = annotations(rs);
  let changed = false;
  if (a[DESIRED_REPLICAS] !== String(desired)) {
    a[DESIRED_REPLICAS] = String(desired);
    changed = true;
  }
  if (a[MAX_REPLICAS] !== String(max)) {
    a[MAX_REPLICAS] = String(max);
    changed = true;
  }
  return changed;
}

/** ReplicasAnnotationsNeedUpdate. */
export function replicasAnnotationsNeedUpdate(rs: KubeObject, desired: number, max: number) {
  const a = rs.metadata?.annotations;
  return !a || a[DESIRED_REPLICAS] !== String(desired) || a[MAX_REPLICAS] !== String(max);
}

/** desired-replicas and max-replicas as the Deployment now wants them. */
export function replicasAnnotationsFor(d: KubeObject): { desired: number; max: number } {
  const desired = deploymentSpec(d).replicas;
  return { desired, max: desired + maxSurge(d) };
}

const isInt = (s: string) => /^[+-]?\d+$/.test(s);

/**
 * SetNewReplicaSetAnnotations: copies the Deployment's annotations, raises the revision
 * to `newRevision` when it is lower (recording the one it replaces in revision-history,
 * which is how a reused template remembers its earlier revisions), and, for a ReplicaSet
 * about to be created, sets the replicas annotations.
 */
export function setNewReplicaSetAnnotations(
  d: KubeObject,
  rs: KubeObject,
  newRevision: string,
  exists: boolean,
  historyLimit = MAX_REVISION_HISTORY_CHARS,
): boolean {
  let changed = copyDeploymentAnnotations(d, rs);
  const a = annotations(rs);
  const had = REVISION in a;
  const oldRevision = a[REVISION] ?? '';
  if (oldRevision !== '' && !isInt(oldRevision)) return false;
  if (!isInt(newRevision)) return false;
  const oldInt = oldRevision === '' ? 0 : Number(oldRevision);
  const newInt = Number(newRevision);
  if (oldInt < newInt) {
    a[REVISION] = newRevision;
    changed = true;
  }
  if (had && oldInt < newInt) {
    const history = a[REVISION_HISTORY] ?? '';
    let old = history.split(',');
    if (old[0]!.length === 0) {
      a[REVISION_HISTORY] = oldRevision;
    } else {
      let total = history.length + oldRevision.length + 1;
      let start = 0;
      while (total > historyLimit && start < old.length) {
        total -= old[start]!.length + 1;
        start++;
      }
      if (total <= historyLimit) {
        old = [...old.slice(start), oldRevision];
        a[REVISION_HISTORY] = old.join(',');
      }
    }
  }
  if (!exists) {
    const { desired, max } = replicasAnnotationsFor(d);
    if (setReplicasAnnotations(rs, desired, max)) changed = true;
  }
  return changed;
}

/** SetDeploymentRevision. */
export function setDeploymentRevision(d: KubeObject, revision: string): boolean {
  const a = annotations(d);
  if (a[REVISION] === revision) return false;
  a[REVISION] = revision;
  return true;
}

/** getIntFromAnnotation: the integer value of `key`, if there is a readable one. */
export function intAnnotation(rs: KubeObject, key: string): number | undefined {
  const v = rs.metadata?.annotations?.[key];
  return v !== undefined && isInt(v) ? Number(v) : undefined;
}
