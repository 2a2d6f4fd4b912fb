// apps/v1: deployments, replicasets, statefulsets, daemonsets and controllerrevisions.

import type { Printer } from '../types.ts';
import { age, ageCol, col, containerCols, nameCol, wide } from './columns.ts';
import { int, meta, nameOf, optInt, rec, recs, str } from './fields.ts';
import {
  containerCells,
  formatLabelSelector,
  formatLabels,
  selectorString,
  templateContainers,
} from './format.ts';

const SELECTOR_DESCRIPTION = 'Label query over pods that should match the replica count.';

/** spec.replicas, which the API server defaults to 1. */
function desiredReplicas(spec: unknown): number {
  return optInt(rec(spec).replicas) ?? 1;
}

export const deploymentPrinter: Printer = {
  columns: [
    nameCol(),
    col('Ready', 'string', 'Number of the pod with ready state'),
    col(
      'Up-to-date',
      'string',
      'Total number of non-terminated pods that have the desired template spec.',
    ),
    col(
      'Available',
      'string',
      'Total number of available pods (ready for at least minReadySeconds).',
    ),
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
      `${int(status.readyReplicas)}/${desiredReplicas(spec)}`,
      int(status.updatedReplicas),
      int(status.availableReplicas),
      age(obj, now),
      names,
      images,
      selectorString(spec.selector) ?? '<invalid>',
    ];
  },
};

export const replicaSetPrinter: Printer = {
  columns: [
    nameCol(),
    col('Desired', 'integer', 'Number of desired pods.'),
    col('Current', 'integer', 'The most recently observed number of replicas.'),
    col('Ready', 'integer', 'The number of ready replicas for this replica set.'),
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
      desiredReplicas(spec),
      int(status.replicas),
      int(status.readyReplicas),
      age(obj, now),
      names,
      images,
      formatLabelSelector(spec.selector),
    ];
  },
};

export const statefulSetPrinter: Printer = {
  columns: [
    nameCol(),
    col('Ready', 'string', 'Number of the pod with ready state'),
    ageCol(),
    ...containerCols(),
  ],
  cells(obj, now) {
    const spec = rec(obj.spec);
    const [names, images] = containerCells(templateContainers(spec));
    const ready = `${int(rec(obj.status).readyReplicas)}/${desiredReplicas(spec)}`;
    return [nameOf(obj), ready, age(obj, now), names, images];
  },
};

export const daemonSetPrinter: Printer = {
  columns: [
    nameCol(),
    col('Desired', 'integer', 'The total number of nodes that should be running the daemon pod.'),
    col('Current', 'integer', 'The number of nodes running at least one daemon pod that should.'),
    col('Ready', 'integer', 'Nodes that should run the daemon pod and have one or more ready.'),
    col('Up-to-date', 'integer', 'The total number of nodes running the updated daemon pod.'),
    col('Available', 'integer', 'Nodes that should run the daemon pod and have one available.'),
    col('Node Selector', 'string', 'Labels a node must match for the pod to be scheduled on it.'),
    ageCol(),
    ...containerCols(),
    wide('Selector', 'string', 'A label query over pods that are managed by the daemon set.'),
  ],
  cells(obj, now) {
    const spec = rec(obj.spec);
    const status = rec(obj.status);
    const podSpec = rec(rec(spec.template).spec);
    const [names, images] = containerCells(podSpec.containers);
    return [
      nameOf(obj),
      int(status.desiredNumberScheduled),
      int(status.currentNumberScheduled),
      int(status.numberReady),
      int(status.updatedNumberScheduled),
      int(status.numberAvailable),
      formatLabels(podSpec.nodeSelector),
      age(obj, now),
      names,
      images,
      formatLabelSelector(spec.selector),
    ];
  },
};

/** CONTROLLER: `kind.group/name` of the controlling owner, lower-cased; `<none>` without one. */
function controllerName(obj: unknown): string {
  const ref = recs(meta(obj).ownerReferences).find((r) => r.controller === true);
  if (ref === undefined) return '<none>';
  const apiVersion = str(ref.apiVersion);
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const kind = str(ref.kind);
  if (group === '' && kind === '') return str(ref.name);
  const groupKind = group === '' ? kind : `${kind}.${group}`;
  return `${groupKind.toLowerCase()}/${str(ref.name)}`;
}

export const controllerRevisionPrinter: Printer = {
  columns: [
    nameCol(),
    col('Controller', 'string', 'Controller of the object'),
    col('Revision', 'string', 'Revision indicates the revision of the state represented by Data.'),
    ageCol(),
  ],
  cells: (obj, now) => [nameOf(obj), controllerName(obj), int(obj.revision), age(obj, now)],
};
