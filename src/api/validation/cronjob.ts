// batch/v1 CronJob.

import type { FieldError } from '../types.ts';
import { validateJobSpecBody } from './job.ts';
import { child, invalid, notSupported, obj, required, str, type Obj } from './field.ts';
import { goLabelSelector } from './go-format.ts';
import { cronScheduleError, isValidTimeZone } from './cron.ts';
import { nameIsDNSSubdomain } from './names.ts';
import { validateNonnegative, validateObjectMeta, validateObjectMetaUpdate } from './objectmeta.ts';

function validateCronJobSpec(spec: Obj, oldSpec: Obj | null, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const schedule = str(spec.schedule);
  const sp = child(path, 'schedule');
  if (schedule === '') {
    errs.push(required(sp));
  } else {
    const allowTZ = oldSpec !== null && str(oldSpec.schedule).includes('TZ');
    const err = cronScheduleError(schedule);
    if (err) errs.push(invalid(sp, schedule, err));
    if (
      allowTZ &&
      schedule.includes('TZ') &&
      spec.timeZone !== undefined &&
      spec.timeZone !== null
    ) {
      errs.push(
        invalid(sp, schedule, 'cannot use both timeZone field and TZ or CRON_TZ in schedule'),
      );
    } else if (!allowTZ && schedule.includes('TZ')) {
      errs.push(
        invalid(sp, schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'),
      );
    }
  }
  const cp = str(spec.concurrencyPolicy);
  if (cp === '') errs.push(required(child(path, 'concurrencyPolicy')));
  else if (!['Allow', 'Forbid', 'Replace'].includes(cp)) {
    errs.push(notSupported(child(path, 'concurrencyPolicy'), cp, ['Allow', 'Forbid', 'Replace']));
  }
  const jt = obj(spec.jobTemplate) ?? {};
  const jtSpec = obj(jt.spec) ?? {};
  const jtPath = child(path, 'jobTemplate', 'spec');
  errs.push(...validateJobSpecBody(jtSpec, jtPath));
  if (obj(jtSpec.selector)) {
    errs.push(
      invalid(
        child(jtPath, 'selector'),
        goLabelSelector(jtSpec.selector),
        '`selector` will be auto-generated',
      ),
    );
  }
  if (jtSpec.manualSelector === true) {
    errs.push(notSupported(child(jtPath, 'manualSelector'), true, ['nil', 'false']));
  }
  errs.push(
    ...validateNonnegative(
      spec.successfulJobsHistoryLimit,
      child(path, 'successfulJobsHistoryLimit'),
    ),
  );
  errs.push(
    ...validateNonnegative(spec.failedJobsHistoryLimit, child(path, 'failedJobsHistoryLimit')),
  );
  errs.push(...validateTimeZone(spec.timeZone, child(path, 'timeZone')));
  return errs;
}

function validateTimeZone(tz: unknown, path: string): FieldError[] {
  if (typeof tz !== 'string') return [];
  if (tz === '') return [invalid(path, tz, 'timeZone must be nil or non-empty string')];
  for (const part of tz.split('/')) {
    if (
      part === '.' ||
      part === '..' ||
      part.startsWith('-') ||
      !/^[A-Za-z.\-_0-9+]{1,14}$/.test(part)
    ) {
      return [invalid(path, tz, `unknown time zone ${tz}`)];
    }
  }
  const errs: FieldError[] = [];
  if (tz.toLowerCase() === 'local') {
    errs.push(
      invalid(
        path,
        tz,
        'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones',
      ),
    );
  }
  if (!isValidTimeZone(tz)) errs.push(invalid(path, tz, `unknown time zone ${tz}`));
  return errs;
}

export function validateCronJobCreate(cj: Obj): FieldError[] {
  const meta = obj(cj.metadata) ?? {};
  const errs = validateObjectMeta(meta, true, nameIsDNSSubdomain);
  errs.push(...validateCronJobSpec(obj(cj.spec) ?? {}, null, 'spec'));
  if (str(meta.name).length > 52)
    errs.push(invalid('metadata.name', str(meta.name), 'must be no more than 52 characters'));
  return errs;
}

export function validateCronJobUpdate(cj: Obj, old: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(cj.metadata, old.metadata);
  return errs.concat(validateCronJobSpec(obj(cj.spec) ?? {}, obj(old.spec) ?? {}, 'spec'));
}
