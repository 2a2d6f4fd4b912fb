import assert from 'node:assert/strict';
import { test } from 'node:test';

import { printerFor } from './index.ts';
import {
  type PodCase,
  cond,
  lastTerminated,
  now,
  oneInit,
  pod,
  running,
  terminated,
  waiting,
} from './pod-fixtures.ts';

const cases: PodCase[] = [
  [
    'init container running',
    pod(oneInit, {
      phase: 'Pending',
      initContainerStatuses: [
        { name: 'migrate', ready: false, restartCount: 0, state: running(5) },
      ],
    }),
    '0/1',
    'Init:0/1',
    '0',
  ],
  [
    'init container waiting PodInitializing',
    pod(oneInit, {
      phase: 'Pending',
      initContainerStatuses: [
        { name: 'migrate', restartCount: 0, state: waiting('PodInitializing') },
      ],
    }),
    '0/1',
    'Init:0/1',
    '0',
  ],
  [
    'second init container running',
    pod(
      { initContainers: [{ name: 'a' }, { name: 'b' }] },
      {
        phase: 'Pending',
        initContainerStatuses: [
          { name: 'a', restartCount: 0, state: terminated(0, 'Completed') },
          { name: 'b', restartCount: 0, state: running(5) },
        ],
      },
    ),
    '0/1',
    'Init:1/2',
    '0',
  ],
  [
    'init container crash-looping',
    pod(oneInit, {
      phase: 'Pending',
      conditions: [cond('Initialized', 'False')],
      initContainerStatuses: [
        {
          name: 'migrate',
          restartCount: 3,
          state: waiting('CrashLoopBackOff'),
          lastState: lastTerminated(300),
        },
      ],
    }),
    '0/1',
    'Init:CrashLoopBackOff',
    '3 (5m ago)',
  ],
  [
    'init container failed',
    pod(oneInit, {
      phase: 'Failed',
      initContainerStatuses: [{ name: 'migrate', restartCount: 0, state: terminated(1, 'Error') }],
    }),
    '0/1',
    'Init:Error',
    '0',
  ],
  [
    'init container exit code without reason',
    pod(oneInit, {
      phase: 'Pending',
      initContainerStatuses: [{ name: 'migrate', restartCount: 0, state: terminated(2) }],
    }),
    '0/1',
    'Init:ExitCode:2',
    '0',
  ],
  [
    'init container killed by a signal',
    pod(oneInit, {
      phase: 'Pending',
      initContainerStatuses: [
        { name: 'migrate', restartCount: 0, state: terminated(137, undefined, { signal: 9 }) },
      ],
    }),
    '0/1',
    'Init:Signal:9',
    '0',
  ],
  [
    'sidecar counted in READY, its restarts shown',
    pod(
      { initContainers: [{ name: 'proxy', restartPolicy: 'Always' }] },
      {
        phase: 'Running',
        conditions: [cond('Initialized', 'True'), cond('Ready', 'True')],
        initContainerStatuses: [
          {
            name: 'proxy',
            ready: true,
            started: true,
            restartCount: 1,
            state: running(600),
            lastState: lastTerminated(600),
          },
        ],
        containerStatuses: [{ name: 'app', ready: true, restartCount: 0, state: running() }],
      },
    ),
    '2/2',
    'Running',
    '1 (10m ago)',
  ],
  [
    'sidecar not started yet',
    pod(
      { initContainers: [{ name: 'proxy', restartPolicy: 'Always' }] },
      {
        phase: 'Pending',
        initContainerStatuses: [
          { name: 'proxy', ready: false, started: false, restartCount: 0, state: running(1) },
        ],
      },
    ),
    '0/2',
    'Init:0/1',
    '0',
  ],
];

const printer = printerFor('', 'pods');

for (const [title, obj, ready, status, restarts] of cases) {
  test(`pod status: ${title}`, () => {
    const cells = printer.cells(obj, now);
    assert.deepEqual(cells.slice(0, 5), ['web-0', ready, status, restarts, '60m']);
  });
}
