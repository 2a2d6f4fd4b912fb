import assert from 'node:assert/strict';
import { test } from 'node:test';

import { printerFor } from './index.ts';
import {
  type PodCase,
  ago,
  cond,
  lastTerminated,
  now,
  pod,
  running,
  terminated,
  twoContainers,
  waiting,
} from './pod-fixtures.ts';

const cases: PodCase[] = [
  ['pending, unscheduled', pod({}, { phase: 'Pending' }), '0/1', 'Pending', '0'],
  [
    'scheduling gated',
    pod({}, { phase: 'Pending', conditions: [cond('PodScheduled', 'False', 'SchedulingGated')] }),
    '0/1',
    'SchedulingGated',
    '0',
  ],
  [
    'container creating',
    pod(
      {},
      {
        phase: 'Pending',
        containerStatuses: [
          { name: 'app', ready: false, restartCount: 0, state: waiting('ContainerCreating') },
        ],
      },
    ),
    '0/1',
    'ContainerCreating',
    '0',
  ],
  [
    'running and ready',
    pod(twoContainers, {
      phase: 'Running',
      conditions: [cond('Ready', 'True')],
      containerStatuses: [
        { name: 'app', ready: true, restartCount: 0, state: running() },
        { name: 'log', ready: true, restartCount: 0, state: running() },
      ],
    }),
    '2/2',
    'Running',
    '0',
  ],
  [
    'running, one container not ready',
    pod(twoContainers, {
      phase: 'Running',
      conditions: [cond('Ready', 'False')],
      containerStatuses: [
        { name: 'app', ready: true, restartCount: 0, state: running() },
        { name: 'log', ready: false, restartCount: 0, state: running() },
      ],
    }),
    '1/2',
    'Running',
    '0',
  ],
  [
    'crash loop with last restart time',
    pod(
      {},
      {
        phase: 'Running',
        containerStatuses: [
          {
            name: 'app',
            ready: false,
            restartCount: 5,
            state: waiting('CrashLoopBackOff'),
            lastState: lastTerminated(90),
          },
        ],
      },
    ),
    '0/1',
    'CrashLoopBackOff',
    '5 (90s ago)',
  ],
  [
    'restarts summed, latest restart wins',
    pod(twoContainers, {
      phase: 'Running',
      conditions: [cond('Ready', 'True')],
      containerStatuses: [
        {
          name: 'app',
          ready: true,
          restartCount: 2,
          state: running(600),
          lastState: lastTerminated(3 * 3600),
        },
        {
          name: 'log',
          ready: true,
          restartCount: 1,
          state: running(600),
          lastState: lastTerminated(1200),
        },
      ],
    }),
    '2/2',
    'Running',
    '3 (20m ago)',
  ],
  [
    'restarts without a termination time',
    pod(
      {},
      {
        phase: 'Running',
        containerStatuses: [{ name: 'app', ready: true, restartCount: 4, state: running() }],
      },
    ),
    '1/1',
    'Running',
    '4',
  ],
  [
    'completed',
    pod(
      {},
      {
        phase: 'Succeeded',
        containerStatuses: [
          { name: 'app', ready: false, restartCount: 0, state: terminated(0, 'Completed') },
        ],
      },
    ),
    '0/1',
    'Completed',
    '0',
  ],
  [
    'failed with Error',
    pod(
      {},
      {
        phase: 'Failed',
        containerStatuses: [
          { name: 'app', ready: false, restartCount: 0, state: terminated(1, 'Error') },
        ],
      },
    ),
    '0/1',
    'Error',
    '0',
  ],
  [
    'exit code without reason',
    pod(
      {},
      {
        phase: 'Failed',
        containerStatuses: [{ name: 'app', restartCount: 0, state: terminated(1) }],
      },
    ),
    '0/1',
    'ExitCode:1',
    '0',
  ],
  [
    'signal without reason',
    pod(
      {},
      {
        phase: 'Failed',
        containerStatuses: [
          { name: 'app', restartCount: 0, state: terminated(137, undefined, { signal: 9 }) },
        ],
      },
    ),
    '0/1',
    'Signal:9',
    '0',
  ],
  [
    'one container completed, other running, pod ready',
    pod(twoContainers, {
      phase: 'Running',
      conditions: [cond('Ready', 'True')],
      containerStatuses: [
        { name: 'app', ready: false, restartCount: 0, state: terminated(0, 'Completed') },
        { name: 'log', ready: true, restartCount: 0, state: running() },
      ],
    }),
    '1/2',
    'Running',
    '0',
  ],
  [
    'one container completed, other running, pod not ready',
    pod(twoContainers, {
      phase: 'Running',
      conditions: [cond('Ready', 'False')],
      containerStatuses: [
        { name: 'app', ready: false, restartCount: 0, state: terminated(0, 'Completed') },
        { name: 'log', ready: true, restartCount: 0, state: running() },
      ],
    }),
    '1/2',
    'NotReady',
    '0',
  ],
  [
    'terminating',
    pod(
      {},
      {
        phase: 'Running',
        containerStatuses: [{ name: 'app', ready: true, restartCount: 0, state: running() }],
      },
      { deletionTimestamp: ago(-30) },
    ),
    '1/1',
    'Terminating',
    '0',
  ],
  [
    'deleted after it succeeded keeps Completed',
    pod(
      {},
      {
        phase: 'Succeeded',
        containerStatuses: [{ name: 'app', restartCount: 0, state: terminated(0, 'Completed') }],
      },
      { deletionTimestamp: ago(-30) },
    ),
    '0/1',
    'Completed',
    '0',
  ],
  [
    'deleted on an unreachable node',
    pod(
      {},
      {
        phase: 'Running',
        reason: 'NodeLost',
        containerStatuses: [{ name: 'app', ready: true, restartCount: 0, state: running() }],
      },
      { deletionTimestamp: ago(60) },
    ),
    '1/1',
    'Unknown',
    '0',
  ],
  [
    'evicted',
    pod(
      {},
      { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory.' },
    ),
    '0/1',
    'Evicted',
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

test('pod columns', () => {
  assert.deepEqual(
    printer.columns.map((c) => [c.name, c.type, c.format, c.priority]),
    [
      ['Name', 'string', 'name', 0],
      ['Ready', 'string', '', 0],
      ['Status', 'string', '', 0],
      ['Restarts', 'string', '', 0],
      ['Age', 'string', '', 0],
      ['IP', 'string', '', 1],
      ['Node', 'string', '', 1],
      ['Nominated Node', 'string', '', 1],
      ['Readiness Gates', 'string', '', 1],
    ],
  );
});

test('pod wide cells', () => {
  const obj = pod(
    {
      nodeName: 'node-1',
      readinessGates: [{ conditionType: 'example.com/lb' }, { conditionType: 'example.com/dns' }],
    },
    {
      phase: 'Running',
      podIP: '10.244.1.7',
      podIPs: [{ ip: '10.244.1.7' }, { ip: 'fd00::7' }],
      nominatedNodeName: 'node-2',
      conditions: [
        cond('Ready', 'True'),
        cond('example.com/lb', 'True'),
        cond('example.com/dns', 'False'),
      ],
      containerStatuses: [{ name: 'app', ready: true, restartCount: 0, state: running() }],
    },
  );
  assert.deepEqual(printer.cells(obj, now), [
    'web-0',
    '1/1',
    'Running',
    '0',
    '60m',
    '10.244.1.7',
    'node-1',
    'node-2',
    '1/2',
  ]);
  const bare = pod({}, { phase: 'Pending' });
  assert.deepEqual(printer.cells(bare, now).slice(5), ['<none>', '<none>', '<none>', '<none>']);
});

test('an empty pod still prints', () => {
  assert.deepEqual(printer.cells({}, now), [
    '',
    '0/0',
    'Pending',
    '0',
    '<unknown>',
    '<none>',
    '<none>',
    '<none>',
    '<none>',
  ]);
});
