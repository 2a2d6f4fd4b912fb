// batch/v1: jobs and cronjobs.

import type { KubeObject, Printer } from '../types.ts';
import { age, ageCol, col, containerCols, nameCol, wide } from './columns.ts';
import { humanDuration, parseTime, translateTimestampSince } from './duration.ts';
import {
  type Json,
  int,
  isDeleting,
  isSet,
  list,
  nameOf,
  optInt,
  rec,
  recs,
  str,
} from './fields.ts';
import { containerCells, formatLabelSelector, printBool, templateContainers } from './format.ts';

const SELECTOR_DESCRIPTION = 'A label query over pods that should match the pod count.';

/** Status of the first condition of `type` is True. */
function hasJobCondition(status: Json, type: string): boolean {
  const cond = recs(status.conditions).find((c) => c.type === type);
  return cond?.status === 'True';
}

/** STATUS as 1.32 prints it (SuccessCriteriaMet is not shown before 1.34). */
function jobStatus(job: KubeObject): string {
  const status = rec(job.status);
  if (hasJobCondition(status, 'Complete')) return 'Complete';
  if (hasJobCondition(status, 'Failed')) return 'Failed';
  if (isDeleting(job)) return 'Terminating';
  if (hasJobCondition(status, 'Suspended')) return 'Suspended';
  if (hasJobCondition(status, 'FailureTarget')) return 'FailureTarget';
  return 'Running';
}

/** COMPLETIONS: `succeeded/completions`, or `succeeded/1 of parallelism` for work queues. */
function jobCompletions(spec: Json, status: Json): string {
  const succeeded = int(status.succeeded);
  const completions = optInt(spec.completions);
  if (completions !== undefined) return `${succeeded}/${completions}`;
  const parallelism = optInt(spec.parallelism) ?? 0;
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

/** DURATION: from start to completion, or to now while running; empty before the start. */
function jobDuration(status: Json, now: Date): string {
  const start = parseTime(status.startTime);
  if (start === null) return '';
  const end = parseTime(status.completionTime);
  return humanDuration((end ?? now.getTime()) - start);
}

export const jobPrinter: Printer = {
  columns: [
    nameCol(),
    col('Status', 'string', 'Status of the job.'),
    col('Completions', 'string', 'The number of pods which reached phase Succeeded.'),
    col('Duration', 'string', 'Time required to complete the job.'),
    ageCol(),
    ...containerCols(),
    wide('Selector', 'string', SELECTOR_DESCRIPTION),
  ],
  cells(obj, now) {
    const spec = rec(obj.spec);
    const status = rec(obj.status);
    const [names, images] = containerCells(templateContainers(spec));
    return [
      nameOf(obj),
      jobStatus(obj),
      jobCompletions(spec, status),
      jobDuration(status, now),
      age(obj, now),
      names,
      images,
      formatLabelSelector(spec.selector),
    ];
  },
};

export const cronJobPrinter: Printer = {
  columns: [
    nameCol(),
    col('Schedule', 'string', 'The schedule in Cron format.'),
    col('Timezone', 'string', 'The time zone name for the given schedule.'),
    col('Suspend', 'boolean', 'Whether subsequent executions are suspended.'),
    col('Active', 'integer', 'A list of pointers to currently running jobs.'),
    col(
      'Last Schedule',
      'string',
      'Information when was the last time the job was successfully scheduled.',
    ),
    ageCol(),
    ...containerCols(),
    wide('Selector', 'string', SELECTOR_DESCRIPTION),
  ],
  cells(obj, now) {
    const spec = rec(obj.spec);
    const status = rec(obj.status);
    const jobSpec = rec(rec(spec.jobTemplate).spec);
    const [names, images] = containerCells(templateContainers(jobSpec));
    const last = isSet(status.lastScheduleTime)
      ? translateTimestampSince(status.lastScheduleTime, now)
      : '<none>';
    return [
      nameOf(obj),
      str(spec.schedule),
      isSet(spec.timeZone) ? str(spec.timeZone) : '<none>',
      // suspend defaults to false on create.
      printBool(spec.suspend ?? false),
      list(status.active).length,
      last,
      age(obj, now),
      names,
      images,
      formatLabelSelector(jobSpec.selector),
    ];
  },
};
