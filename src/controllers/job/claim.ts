import { matchesLabels, selectorFromSpec } from '../../api/selectors/index.ts';
import { isNotFound } from '../../client/index.ts';
import { JOBS, PODS, uidOf, type JobDeps } from './context.ts';
import {
  controllerRefOf,
  hasTrackingFinalizer,
  JOB_TRACKING_FINALIZER,
  jobControllerRef,
} from './pods.ts';
import type { Job, Pod } from './types.ts';

// getPodsForJob with the PodControllerRefManager: the pods a Job controls, adopting
// orphans its selector matches (adding the tracking finalizer) and releasing pods it
// controls that no longer match (removing it). Adoption first re-reads the Job from the
// API, so a Job deleted or replaced under the same name adopts nothing.

export async function claimPods(deps: JobDeps, job: Job, candidates: Pod[]): Promise<Pod[]> {
  const uid = uidOf(job);
  const ns = job.metadata?.namespace ?? '';
  const selector = job.spec?.selector ? selectorFromSpec(job.spec.selector) : undefined;
  const matches = (pod: Pod) => !!selector && matchesLabels(selector, pod.metadata?.labels);
  let canAdopt: boolean | undefined;
  const mayAdopt = async () => {
    if (canAdopt === undefined) {
      try {
        const fresh = await deps.client.get(JOBS, ns, job.metadata?.name ?? '');
        canAdopt = uidOf(fresh) === uid && !fresh.metadata?.deletionTimestamp;
      } catch (err) {
        if (!isNotFound(err)) throw err;
        canAdopt = false;
      }
    }
    return canAdopt;
  };
  const claimed: Pod[] = [];
  for (const pod of candidates) {
    const ref = controllerRefOf(pod);
    const name = pod.metadata?.name ?? '';
    if (ref) {
      if (ref.uid !== uid) continue;
      if (matches(pod) || job.metadata?.deletionTimestamp) {
        claimed.push(pod);
        continue;
      }
      // Ours, but the labels no longer match: let it go.
      const patch = {
        metadata: {
          ownerReferences: [{ $patch: 'delete', uid }],
          uid: uidOf(pod),
          ...(hasTrackingFinalizer(pod)
            ? { '$deleteFromPrimitiveList/finalizers': [JOB_TRACKING_FINALIZER] }
            : {}),
        },
      };
      try {
        await deps.client.patch(PODS, ns, name, patch, 'strategic');
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      continue;
    }
    if (!matches(pod) || pod.metadata?.deletionTimestamp || job.metadata?.deletionTimestamp) {
      continue;
    }
    if (!(await mayAdopt())) continue;
    const patch = {
      metadata: {
        ownerReferences: [jobControllerRef(job)],
        uid: uidOf(pod),
        finalizers: [JOB_TRACKING_FINALIZER],
      },
    };
    try {
      await deps.client.patch(PODS, ns, name, patch, 'strategic');
    } catch (err) {
      if (isNotFound(err)) continue;
      throw err;
    }
    // The cached pod is shared: show the adopted one as a copy.
    const adopted = structuredClone(pod);
    adopted.metadata!.ownerReferences = [
      ...(adopted.metadata?.ownerReferences ?? []),
      jobControllerRef(job),
    ];
    if (!hasTrackingFinalizer(adopted)) {
      adopted.metadata!.finalizers = [
        ...(adopted.metadata?.finalizers ?? []),
        JOB_TRACKING_FINALIZER,
      ];
    }
    claimed.push(adopted);
  }
  return claimed;
}
