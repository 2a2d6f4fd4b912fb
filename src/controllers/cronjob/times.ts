import { rfc3339 } from '../../api/index.ts';
import type { Recorder } from '../job/context.ts';
import type { Schedule } from './schedule.ts';
import type { CronJob, Job } from './types.ts';
import { formatRfc3339, Zone } from './zone.ts';

// The CronJob controller's arithmetic of schedules (pkg/controller/cronjob/utils.go).

/** Padding on every requeue, for clock skew between this process and the API server. */
export const NEXT_SCHEDULE_DELTA_MS = 100;
export const SCHEDULED_TIMESTAMP_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

export type Missed = 'none' | 'few' | 'many';

export interface MostRecent {
  /** The last schedule time, else the creation time (moved up to the starting deadline). */
  earliest: number;
  /** The latest activation at or before now that has not run, if any. */
  mostRecent?: number;
  missed: Missed;
  error?: string;
}

function parse(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * mostRecentScheduleTime. The number of missed activations is estimated from the gap
 * between the next two, so that a CronJob whose controller was stopped for years does not
 * walk every one of them; more than 100 counts as "many".
 */
export function mostRecentScheduleTime(
  cj: CronJob,
  now: number,
  schedule: Schedule,
  withStartingDeadline: boolean,
): MostRecent {
  let earliest = parse(cj.metadata?.creationTimestamp) ?? 0;
  const last = parse(cj.status?.lastScheduleTime);
  if (last !== undefined) earliest = last;
  const deadline = cj.spec?.startingDeadlineSeconds;
  if (withStartingDeadline && deadline != null) {
    const schedulingDeadline = now - deadline * 1000;
    if (schedulingDeadline > earliest) earliest = schedulingDeadline;
  }
  const t1 = schedule.next(earliest);
  const t2 = schedule.next(t1);
  if (now < t1) return { earliest, missed: 'none' };
  if (now < t2) return { earliest, mostRecent: t1, missed: 'none' };
  // An impossible schedule (Feb 31) answers the zero time twice.
  const between = Math.round((t2 - t1) / 1000);
  if (between < 1) {
    return {
      earliest,
      missed: 'none',
      error: 'time difference between two schedules is less than 1 second',
    };
  }
  const elapsed = Math.trunc((now - t1) / 1000);
  const missedCount = Math.trunc(elapsed / between) + 1;
  let mostRecent: number | undefined;
  const potentialEarliest = t1 + (missedCount - 2) * between * 1000;
  for (let t = schedule.next(potentialEarliest); t <= now; t = schedule.next(t)) mostRecent = t;
  const missed: Missed = missedCount > 100 ? 'many' : 'few';
  return { earliest, mostRecent, missed };
}

/** How long until the next activation (plus the padding), from now. */
export function nextScheduleTimeDuration(cj: CronJob, now: number, schedule: Schedule): number {
  const r = mostRecentScheduleTime(cj, now, schedule, false);
  let from: number;
  if (r.error !== undefined) from = now;
  else if (r.mostRecent !== undefined) from = r.mostRecent;
  else from = r.missed === 'none' ? r.earliest : now;
  return schedule.next(from) + NEXT_SCHEDULE_DELTA_MS - now;
}

/** The minutes since the epoch that name a CronJob's Job for that activation. */
export function jobName(cj: CronJob, scheduled: number): string {
  return `${cj.metadata?.name}-${Math.floor(scheduled / 60_000)}`;
}

/** getJobFromTemplate2: the Job for an activation, controlled by the CronJob. */
export function jobFromTemplate(cj: CronJob, scheduled: number): Job {
  const template = cj.spec?.jobTemplate ?? {};
  const labels = { ...(template.metadata?.labels ?? {}) };
  // The time is written in the CronJob's time zone, or UTC when it has none.
  const zone = new Zone(cj.spec?.timeZone ?? 'UTC');
  const annotations = {
    ...(template.metadata?.annotations ?? {}),
    [SCHEDULED_TIMESTAMP_ANNOTATION]: formatRfc3339(scheduled, zone),
  };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: jobName(cj, scheduled),
      namespace: cj.metadata?.namespace,
      ...(Object.keys(labels).length > 0 ? { labels } : {}),
      annotations,
      creationTimestamp: rfc3339(scheduled),
      ownerReferences: [
        {
          apiVersion: 'batch/v1',
          kind: 'CronJob',
          name: cj.metadata?.name ?? '',
          uid: cj.metadata?.uid ?? '',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: structuredClone(template.spec ?? {}),
  };
}

/** The Complete or Failed condition type of a finished Job. */
export function finishedType(job: Job): string | undefined {
  return job.status?.conditions?.find(
    (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
  )?.type;
}

/** byJobStartTime: started before not started, then by start time, then by name. */
export function compareByStartTime(a: Job, b: Job): number {
  const sa = parse(a.status?.startTime);
  const sb = parse(b.status?.startTime);
  if (sa === undefined && sb !== undefined) return 1;
  if (sa !== undefined && sb === undefined) return -1;
  if (sa === sb) return (a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1;
  return sa! - sb!;
}

/** The schedule with the CronJob's time zone as a TZ= prefix (formatSchedule). */
export function formatSchedule(cj: CronJob, recorder?: Recorder): string {
  const schedule = cj.spec?.schedule ?? '';
  if (schedule.includes('TZ')) {
    recorder?.event(
      cj,
      'Warning',
      'UnsupportedSchedule',
      `CRON_TZ or TZ used in schedule "${schedule}" is not officially supported, see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details`,
    );
    return schedule;
  }
  const tz = cj.spec?.timeZone;
  if (tz != null) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz || 'UTC' });
    } catch {
      return schedule;
    }
    return `TZ=${tz} ${schedule}`;
  }
  return schedule;
}
