import type { JobClient, Recorder } from '../job/context.ts';
import { errorMessage } from '../job/errors.ts';
import type { Logger } from '../../client/index.ts';
import { compareByStartTime, finishedType } from './times.ts';
import type { CronJob, Job } from './types.ts';
import { JOBS } from './refs.ts';

// The Jobs a CronJob keeps: finished ones beyond successfulJobsHistoryLimit and
// failedJobsHistoryLimit are deleted, oldest first (cleanupFinishedJobs).

interface HistoryDeps {
  client: JobClient;
  recorder: Recorder;
  log: Logger;
}

export function removeFromActive(cj: CronJob, uid: string | undefined): void {
  cj.status = { ...cj.status, active: (cj.status?.active ?? []).filter((r) => r.uid !== uid) };
}

/** cleanupFinishedJobs: the oldest finished Jobs beyond each history limit go. */
export async function cleanupFinishedJobs(
  deps: HistoryDeps,
  cj: CronJob,
  jobs: Job[],
): Promise<boolean> {
  const successLimit = cj.spec?.successfulJobsHistoryLimit;
  const failedLimit = cj.spec?.failedJobsHistoryLimit;
  if (successLimit == null && failedLimit == null) return false;
  let update = false;
  const removeOldest = async (list: Job[], limit: number | null | undefined) => {
    if (limit == null || list.length <= limit) return;
    const sorted = [...list].sort(compareByStartTime);
    for (const job of sorted.slice(0, sorted.length - limit)) {
      if (await deleteJob(deps, cj, job)) update = true;
    }
  };
  await removeOldest(
    jobs.filter((j) => finishedType(j) === 'Complete'),
    successLimit,
  );
  await removeOldest(
    jobs.filter((j) => finishedType(j) === 'Failed'),
    failedLimit,
  );
  return update;
}

/** Deletes a Job (its pods in the background) and its reference in .status.active. */
export async function deleteJob(deps: HistoryDeps, cj: CronJob, job: Job): Promise<boolean> {
  const name = job.metadata?.name ?? '';
  try {
    await deps.client.delete(JOBS, job.metadata?.namespace ?? '', name, {
      propagationPolicy: 'Background',
    });
  } catch (err) {
    deps.recorder.event(cj, 'Warning', 'FailedDelete', `Deleted job: ${errorMessage(err)}`);
    deps.log.warn({ err, job: name }, 'cronjob: could not delete a job');
    return false;
  }
  removeFromActive(cj, job.metadata?.uid);
  deps.recorder.event(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${name}`);
  return true;
}
