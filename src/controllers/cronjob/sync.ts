import { rfc3339 } from '../../api/index.ts';
import { isAlreadyExists, isNotFound, type Clock, type Logger } from '../../client/index.ts';
import type { JobClient, Recorder } from '../job/context.ts';
import { errorMessage } from '../job/errors.ts';
import { controllerRefOf } from '../job/pods.ts';
import { CRONJOBS, JOBS } from './refs.ts';
import { cleanupFinishedJobs, deleteJob, removeFromActive } from './history.ts';
import { parseSchedule, type Schedule } from './schedule.ts';
import {
  finishedType,
  formatSchedule,
  jobFromTemplate,
  jobName,
  mostRecentScheduleTime,
  nextScheduleTimeDuration,
} from './times.ts';
import type { CronJob, Job, ObjectReference } from './types.ts';
import { formatRfc1123z, Zone } from './zone.ts';

// One pass over a CronJob (ControllerV2.sync): clean up finished Jobs beyond the history
// limits, reconcile .status.active with the Jobs that exist, start the Job of the most
// recent missed activation if allowed, write the status once, and answer when to look again.

export { CRONJOBS, JOBS };

export interface CronJobDeps {
  client: JobClient;
  recorder: Recorder;
  clock: Clock;
  log: Logger;
  localTimeZone: string;
}

/** `cached` is the informer's CronJob (never mutated); `jobs` the Jobs it controls. */
export async function syncCronJob(
  deps: CronJobDeps,
  cached: CronJob,
  jobs: Job[],
): Promise<number | undefined> {
  // Every change goes to one copy, written once at the end.
  const cj = structuredClone(cached);
  const cleaned = await cleanupFinishedJobs(deps, cj, jobs);
  let result: Outcome;
  try {
    result = await reconcileActive(deps, cj, jobs);
  } catch (err) {
    result = { update: false, error: err };
  }
  if (cleaned || result.update) {
    const status = { ...cj.status };
    if (!status.active?.length) delete status.active;
    const ns = cj.metadata?.namespace ?? '';
    await deps.client.update(
      CRONJOBS,
      ns,
      cj.metadata?.name ?? '',
      { ...cj, status },
      { subresource: 'status' },
    );
  }
  if (result.requeueAfterMs !== undefined) return result.requeueAfterMs;
  if (result.error !== undefined) throw result.error;
  return undefined;
}

interface Outcome {
  requeueAfterMs?: number;
  update: boolean;
  error?: unknown;
}

function inActive(cj: CronJob, uid: string | undefined): boolean {
  return (cj.status?.active ?? []).some((r) => r.uid === uid);
}

async function reconcileActive(deps: CronJobDeps, cj: CronJob, jobs: Job[]): Promise<Outcome> {
  const ns = cj.metadata?.namespace ?? '';
  const now = deps.clock.now();
  let update = false;
  const children = new Set<string>();
  for (const job of jobs) {
    const uid = job.metadata?.uid ?? '';
    children.add(uid);
    const found = inActive(cj, uid);
    const finished = finishedType(job);
    if (!found && !finished) {
      // Maybe our cache is older than our own last status write: ask the API.
      const fresh = await deps.client.get<CronJob>(CRONJOBS, ns, cj.metadata?.name ?? '');
      if (inActive(fresh, uid)) {
        Object.assign(cj, fresh);
        continue;
      }
      deps.recorder.event(
        cj,
        'Warning',
        'UnexpectedJob',
        `Saw a job that the controller did not create or forgot: ${job.metadata?.name}`,
      );
    } else if (found && finished) {
      removeFromActive(cj, uid);
      deps.recorder.event(
        cj,
        'Normal',
        'SawCompletedJob',
        `Saw completed job: ${job.metadata?.name}, status: ${finished}`,
      );
      update = true;
    } else if (finished === 'Complete') {
      const done = job.status?.completionTime;
      const last = cj.status?.lastSuccessfulTime;
      if (done && (!last || Date.parse(done) > Date.parse(last))) {
        cj.status = { ...cj.status, lastSuccessfulTime: done };
        update = true;
      }
    }
  }
  // An active Job that no longer exists would keep the CronJob active forever.
  for (const ref of [...(cj.status?.active ?? [])]) {
    if (children.has(ref.uid ?? '')) continue;
    try {
      await deps.client.get(JOBS, ref.namespace ?? ns, ref.name ?? '');
    } catch (err) {
      if (!isNotFound(err)) return { update, error: err };
      deps.recorder.event(cj, 'Normal', 'MissingJob', `Active job went missing: ${ref.name}`);
      removeFromActive(cj, ref.uid);
      update = true;
    }
  }
  if (cj.metadata?.deletionTimestamp) return { update };

  const tz = cj.spec?.timeZone;
  if (tz != null) {
    try {
      new Zone(tz);
    } catch (err) {
      deps.recorder.event(
        cj,
        'Warning',
        'UnknownTimeZone',
        `invalid timeZone: "${tz}": ${errorMessage(err)}`,
      );
      return { update };
    }
  }
  if (cj.spec?.suspend === true) return { update };
  let schedule: Schedule;
  try {
    schedule = parseSchedule(formatSchedule(cj, deps.recorder), deps.localTimeZone);
  } catch (err) {
    deps.recorder.event(
      cj,
      'Warning',
      'UnparseableSchedule',
      `unparseable schedule: "${cj.spec?.schedule}" : ${errorMessage(err)}`,
    );
    return { update };
  }
  const recent = mostRecentScheduleTime(cj, now, schedule, true);
  if (recent.missed === 'many' && recent.mostRecent !== undefined && recent.mostRecent <= now) {
    deps.recorder.event(
      cj,
      'Warning',
      'TooManyMissedTimes',
      'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew',
    );
  }
  const again = () => nextScheduleTimeDuration(cj, now, schedule);
  if (recent.mostRecent === undefined || recent.mostRecent > now) {
    if (recent.error !== undefined) {
      deps.recorder.event(
        cj,
        'Warning',
        'InvalidSchedule',
        `invalid schedule: ${cj.spec?.schedule} : ${recent.error}`,
      );
      return { update };
    }
    return { update, requeueAfterMs: again() };
  }
  const scheduled = recent.mostRecent;
  const deadline = cj.spec?.startingDeadlineSeconds;
  if (deadline != null && scheduled + deadline * 1000 < now) {
    deps.recorder.event(
      cj,
      'Warning',
      'MissSchedule',
      `Missed scheduled time to start a job: ${formatRfc1123z(scheduled)}`,
    );
    return { update, requeueAfterMs: again() };
  }
  const name = jobName(cj, scheduled);
  const lastScheduled = cj.status?.lastScheduleTime;
  if (
    (cj.status?.active ?? []).some((r) => r.name === name && r.namespace === ns) ||
    (lastScheduled !== undefined && Date.parse(lastScheduled) === scheduled)
  ) {
    return { update, requeueAfterMs: again() };
  }
  if (cj.spec?.concurrencyPolicy === 'Forbid' && (cj.status?.active?.length ?? 0) > 0) {
    deps.recorder.event(
      cj,
      'Normal',
      'JobAlreadyActive',
      'Not starting job because prior execution is running and concurrency policy is Forbid',
    );
    return { update, requeueAfterMs: again() };
  }
  if (cj.spec?.concurrencyPolicy === 'Replace') {
    for (const ref of [...(cj.status?.active ?? [])]) {
      let job: Job;
      try {
        job = await deps.client.get<Job>(JOBS, ref.namespace ?? ns, ref.name ?? '');
      } catch (err) {
        deps.recorder.event(cj, 'Warning', 'FailedGet', `Get job: ${errorMessage(err)}`);
        return { update, error: err };
      }
      if (!(await deleteJob(deps, cj, job))) {
        return { update, error: new Error(`could not replace job ${ns}/${job.metadata?.name}`) };
      }
      update = true;
    }
  }
  const request = jobFromTemplate(cj, scheduled);
  let created: Job;
  let existed = false;
  try {
    created = await deps.client.create<Job>(JOBS, ns, request);
  } catch (err) {
    if (!isAlreadyExists(err)) {
      if (!/is being terminated/.test(errorMessage(err))) {
        deps.recorder.event(
          cj,
          'Warning',
          'FailedCreate',
          `Error creating job: ${errorMessage(err)}`,
        );
      }
      return { update, error: err };
    }
    // Created before by us (whose status write was lost) or by someone else.
    existed = true;
    created = await deps.client.get<Job>(JOBS, ns, name);
    if (controllerRefOf(created)?.uid !== cj.metadata?.uid) return { update };
    if (inActive(cj, created.metadata?.uid)) return { update };
  }
  if (existed)
    deps.log.info({ cronjob: cj.metadata?.name, job: name }, 'cronjob: job already exists');
  else
    deps.recorder.event(cj, 'Normal', 'SuccessfulCreate', `Created job ${created.metadata?.name}`);
  const ref: ObjectReference = {
    kind: 'Job',
    namespace: created.metadata?.namespace,
    name: created.metadata?.name,
    uid: created.metadata?.uid,
    apiVersion: 'batch/v1',
    resourceVersion: created.metadata?.resourceVersion,
  };
  cj.status = {
    ...cj.status,
    active: [...(cj.status?.active ?? []), ref],
    lastScheduleTime: rfc3339(scheduled),
  };
  return { update: true, requeueAfterMs: again() };
}
