import { matchesLabels, selectorFromSpec } from '../../api/selectors/index.ts';
import { claimObjects, controllerRefOf } from '../controller-ref/index.ts';
import { JOBS, PODS, uidOf, type JobDeps } from './context.ts';
import { hasTrackingFinalizer, JOB_TRACKING_FINALIZER, jobControllerRef } from './pods.ts';
import type { Job, Pod } from './types.ts';

// getPodsForJob: the pods a Job controls. Unlike the other controllers' claims, adoption
// adds the tracking finalizer and release removes it, so every pod the Job counts is one
// whose end it is sure to see.

export async function getPodsForJob(deps: JobDeps, job: Job, candidates: Pod[]): Promise<Pod[]> {
  const selector = job.spec?.selector ? selectorFromSpec(job.spec.selector) : undefined;
  const claimed = await claimObjects(
    {
      client: deps.client,
      owner: job,
      ownerResource: JOBS,
      ownerKind: 'Job',
      controllerRef: jobControllerRef(job),
      resource: PODS,
      kind: 'Pod',
      match: (pod) => !!selector && matchesLabels(selector, pod.metadata?.labels),
      finalizers: [JOB_TRACKING_FINALIZER],
    },
    candidates,
  );
  const uid = uidOf(job);
  return claimed.map((pod) => (controllerRefOf(pod)?.uid === uid ? pod : asAdopted(job, pod)));
}

/** The cached pod is shared: the adopted one, as the rest of the sync must see it, is a copy. */
function asAdopted(job: Job, pod: Pod): Pod {
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
  return adopted;
}
