// Jobs, CronJobs and the cron schedule grammar.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../types.ts';
import { applyDefaults } from '../defaults/index.ts';
import { cronScheduleError } from './cron.ts';
import { errorString, validateCreate, validateUpdate } from './index.ts';

type Spec = Record<string, unknown>;

const podTemplate = (spec: Spec = {}) => ({
  spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }], ...spec },
});

const job = (spec: Spec = {}): KubeObject => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name: 'pi', namespace: 'default', uid: 'u-1' },
  spec: { template: podTemplate(), ...spec },
});

function errors(kind: string, obj: KubeObject): string[] {
  applyDefaults('batch', 'v1', kind, obj);
  return validateCreate('batch', 'v1', kind, obj, { namespaced: true }).map(errorString);
}

describe('Job', () => {
  const cases: [string, KubeObject, string[]][] = [
    ['a job with a generated selector', job(), []],
    [
      'a template that restarts always',
      job({ template: podTemplate({ restartPolicy: 'Always' }) }),
      ['spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"'],
    ],
    [
      'negative completions',
      job({ completions: -1 }),
      ['spec.completions: Invalid value: -1: must be greater than or equal to 0'],
    ],
    [
      'an unknown completion mode',
      job({ completionMode: 'Sometimes' }),
      [
        'spec.completionMode: Unsupported value: "Sometimes": supported values: "NonIndexed", "Indexed"',
      ],
    ],
    [
      'a manual selector that misses the template',
      job({ manualSelector: true, selector: { matchLabels: { a: 'b' } } }),
      [
        'spec.template.metadata.labels: Invalid value: map[string]string(nil): `selector` does not match template `labels`',
      ],
    ],
    [
      'a tampered generated label',
      job({ template: { metadata: { labels: { 'job-name': 'other' } }, ...podTemplate() } }),
      [
        'spec.template.metadata.labels[job-name]: Invalid value: map[string]string{"batch.kubernetes.io/controller-uid":"u-1", "batch.kubernetes.io/job-name":"pi", "controller-uid":"u-1", "job-name":"other"}: must be \'pi\'',
      ],
    ],
    [
      'a pod failure policy with OnFailure',
      job({
        template: podTemplate({ restartPolicy: 'OnFailure' }),
        podFailurePolicy: {
          rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [1] } }],
        },
      }),
      [
        'spec.template.spec.restartPolicy: Invalid value: "OnFailure": only "Never" is supported when podFailurePolicy is specified',
      ],
    ],
  ];
  for (const [name, obj, want] of cases) it(name, () => assert.deepEqual(errors('Job', obj), want));

  it('keeps its template unless suspended before starting', () => {
    const old = job();
    applyDefaults('batch', 'v1', 'Job', old);
    old.metadata!.resourceVersion = '1';
    const next = structuredClone(old);
    ((next.spec as { template: { spec: Spec } }).template.spec.containers as Spec[])[0].image =
      'busybox:2';
    assert.deepEqual(
      validateUpdate('batch', 'v1', 'Job', next, old, { namespaced: true }).map(errorString),
      ['spec.template: Invalid value: core.PodTemplateSpec{...}: field is immutable'],
    );
    const suspended = structuredClone(old);
    (suspended.spec as Spec).suspend = true;
    const change = structuredClone(suspended);
    (change.spec as { template: { spec: Spec } }).template.spec.nodeSelector = { zone: 'a' };
    assert.deepEqual(
      validateUpdate('batch', 'v1', 'Job', change, suspended, { namespaced: true }),
      [],
    );
  });
});

describe('CronJob', () => {
  const cron = (spec: Spec, name = 'nightly'): KubeObject => ({
    metadata: { name, namespace: 'default' },
    spec: { schedule: '0 3 * * *', jobTemplate: { spec: { template: podTemplate() } }, ...spec },
  });
  const cases: [string, KubeObject, string[]][] = [
    ['a nightly job', cron({}), []],
    ['a descriptor schedule', cron({ schedule: '@hourly' }), []],
    ['no schedule', cron({ schedule: '' }), ['spec.schedule: Required value']],
    [
      'a three-field schedule',
      cron({ schedule: '* * *' }),
      ['spec.schedule: Invalid value: "* * *": expected exactly 5 fields, found 3: [* * *]'],
    ],
    [
      'a TZ prefix',
      cron({ schedule: 'TZ=UTC 0 3 * * *' }),
      [
        'spec.schedule: Invalid value: "TZ=UTC 0 3 * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead',
      ],
    ],
    ['a time zone', cron({ timeZone: 'Europe/Paris' }), []],
    [
      'an unknown time zone',
      cron({ timeZone: 'Mars/Olympus' }),
      ['spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus'],
    ],
    [
      'an unknown concurrency policy',
      cron({ concurrencyPolicy: 'Queue' }),
      [
        'spec.concurrencyPolicy: Unsupported value: "Queue": supported values: "Allow", "Forbid", "Replace"',
      ],
    ],
    [
      'a jobTemplate selector',
      cron({
        jobTemplate: { spec: { selector: { matchLabels: { a: 'b' } }, template: podTemplate() } },
      }),
      [
        'spec.jobTemplate.spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"a":"b"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: `selector` will be auto-generated',
      ],
    ],
    [
      'a name over 52 characters',
      cron({}, 'n'.repeat(53)),
      [`metadata.name: Invalid value: "${'n'.repeat(53)}": must be no more than 52 characters`],
    ],
  ];
  for (const [name, obj, want] of cases)
    it(name, () => assert.deepEqual(errors('CronJob', obj), want));
});

describe('cron schedules', () => {
  const TABLE: [string, string][] = [
    ['*/5 * * * *', ''],
    ['0 0 1 jan mon', ''],
    ['15 2-4 * * MON-FRI', ''],
    ['@daily', ''],
    ['@every 1h30m', ''],
    ['@weekly', ''],
    ['@fortnightly', 'unrecognized descriptor: @fortnightly'],
    ['@every one', 'failed to parse duration @every one: time: invalid duration "one"'],
    ['60 * * * *', 'end of range (60) above maximum (59): 60'],
    ['* 24 * * *', 'end of range (24) above maximum (23): 24'],
    ['* * 0 * *', 'beginning of range (0) below minimum (1): 0'],
    ['5-1 * * * *', 'beginning of range (5) beyond end of range (1): 5-1'],
    ['*/0 * * * *', 'step of range should be a positive number: */0'],
    ['a * * * *', 'failed to parse int from a: strconv.Atoi: parsing "a": invalid syntax'],
    ['1-2-3 * * * *', 'too many hyphens: 1-2-3'],
    ['*/2/3 * * * *', 'too many slashes: */2/3'],
    ['* * * * * *', 'expected exactly 5 fields, found 6: [* * * * * *]'],
  ];
  for (const [spec, want] of TABLE) it(spec, () => assert.equal(cronScheduleError(spec), want));
});
