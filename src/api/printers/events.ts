// Events, core/v1 and events.k8s.io/v1. kube-apiserver converts both to the internal core
// Event before printing, so one printer serves both; events.k8s.io fields are mapped back
// to their core names first.

import type { KubeObject, Printer } from '../types.ts';
import { col, nameCol, wide } from './columns.ts';
import { translateTimestampSince } from './duration.ts';
import { type Json, int, isRecord, nameOf, rec, str } from './fields.ts';

/** The core/v1 fields the printer reads. */
interface CoreEvent {
  name: string;
  involvedObject: Json;
  reason: string;
  message: string;
  source: Json;
  firstTimestamp: unknown;
  lastTimestamp: unknown;
  count: number;
  type: string;
  eventTime: unknown;
  series: Json | undefined;
  reportingComponent: string;
  reportingInstance: string;
}

function fromCore(obj: KubeObject): CoreEvent {
  return {
    name: nameOf(obj),
    involvedObject: rec(obj.involvedObject),
    reason: str(obj.reason),
    message: str(obj.message),
    source: rec(obj.source),
    firstTimestamp: obj.firstTimestamp,
    lastTimestamp: obj.lastTimestamp,
    count: int(obj.count),
    type: str(obj.type),
    eventTime: obj.eventTime,
    series: isRecord(obj.series) ? obj.series : undefined,
    reportingComponent: str(obj.reportingComponent),
    reportingInstance: str(obj.reportingInstance),
  };
}

/** events.k8s.io/v1 → core/v1, as the API server's conversion maps the fields. */
function fromEventsV1(obj: KubeObject): CoreEvent {
  return {
    name: nameOf(obj),
    involvedObject: rec(obj.regarding),
    reason: str(obj.reason),
    message: str(obj.note),
    source: rec(obj.deprecatedSource),
    firstTimestamp: obj.deprecatedFirstTimestamp,
    lastTimestamp: obj.deprecatedLastTimestamp,
    count: int(obj.deprecatedCount),
    type: str(obj.type),
    eventTime: obj.eventTime,
    series: isRecord(obj.series) ? obj.series : undefined,
    reportingComponent: str(obj.reportingController),
    reportingInstance: str(obj.reportingInstance),
  };
}

/** SOURCE: component (or reporting controller), then `, host` (or reporting instance). */
function eventSource(e: CoreEvent): string {
  const component = str(e.source.component) || e.reportingComponent;
  const instance = str(e.source.host) || e.reportingInstance;
  return instance === '' ? component : `${component}, ${instance}`;
}

function eventCells(e: CoreEvent, now: Date): unknown[] {
  let first = translateTimestampSince(e.firstTimestamp, now);
  if (first === '<unknown>') first = translateTimestampSince(e.eventTime, now);
  let last = translateTimestampSince(e.lastTimestamp, now);
  if (last === '<unknown>') last = first;
  let count = e.count;
  if (e.series) {
    last = translateTimestampSince(e.series.lastObservedTime, now);
    count = int(e.series.count);
  } else if (count === 0) {
    // Singleton events of the new API carry no count.
    count = 1;
  }
  const involved = e.involvedObject;
  const kind = str(involved.kind).toLowerCase();
  const target = str(involved.name) === '' ? kind : `${kind}/${str(involved.name)}`;
  return [
    last,
    e.type,
    e.reason,
    target,
    str(involved.fieldPath),
    eventSource(e),
    e.message.trim(),
    first,
    count,
    e.name,
  ];
}

const eventColumns = [
  col(
    'Last Seen',
    'string',
    'The time at which the most recent occurrence of this event was recorded.',
  ),
  col('Type', 'string', 'Type of this event (Normal, Warning).'),
  col(
    'Reason',
    'string',
    'A short, machine-understandable reason for the transition into this state.',
  ),
  col('Object', 'string', 'The object that this event is about.'),
  wide('Subobject', 'string', 'The field of the object the event refers to, e.g. a container.'),
  wide('Source', 'string', 'The component reporting this event.'),
  col('Message', 'string', 'A human-readable description of the status of this operation.'),
  wide('First Seen', 'string', 'The time at which the event was first recorded.'),
  wide('Count', 'string', 'The number of times this event has occurred.'),
  nameCol(1),
];

export const coreEventPrinter: Printer = {
  columns: eventColumns,
  cells: (obj, now) => eventCells(fromCore(obj), now),
};

export const eventsV1Printer: Printer = {
  columns: eventColumns,
  cells: (obj, now) => eventCells(fromEventsV1(obj), now),
};
