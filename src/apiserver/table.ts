import type { KubeObject, Printer, ResourceType } from '../api/index.ts';
import { printerFor } from '../api/printers/index.ts';
import { badRequest } from './errors.ts';

// `kubectl get` output: objects converted to meta.k8s.io/v1 Tables. Each row carries the
// object as PartialObjectMetadata (kubectl needs it for -A and --show-labels), or the whole
// object with includeObject=Object (--sort-by), or nothing with includeObject=None.

export const TABLE_CONTENT_TYPE = 'application/json;as=Table;v=v1;g=meta.k8s.io';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export function parseIncludeObject(value: string | null): IncludeObject {
  if (value === null || value === '') return 'Metadata';
  if (value === 'None' || value === 'Metadata' || value === 'Object') return value;
  throw badRequest(
    `includeObject: Unsupported value: "${value}": supported values: "Metadata", "None", "Object"`,
  );
}

export function printerOf(type: ResourceType): Printer {
  return printerFor(type.group, type.resource);
}

function rowObject(obj: KubeObject, include: IncludeObject): unknown {
  if (include === 'None') return undefined;
  if (include === 'Object') return obj;
  return {
    kind: 'PartialObjectMetadata',
    apiVersion: 'meta.k8s.io/v1',
    metadata: obj.metadata,
  };
}

function row(printer: Printer, obj: KubeObject, include: IncludeObject, now: Date) {
  let cells: unknown[];
  try {
    cells = printer.cells(obj, now);
  } catch {
    // A half-formed object must still list; show its name and blanks.
    cells = printer.columns.map((_column, i) => (i === 0 ? (obj.metadata?.name ?? '') : ''));
  }
  const object = rowObject(obj, include);
  return object === undefined ? { cells } : { cells, object };
}

export function toTable(
  type: ResourceType,
  objects: KubeObject[],
  listMeta: { resourceVersion?: string; continue?: string; remainingItemCount?: number },
  include: IncludeObject,
  opts: { withColumns?: boolean; now?: Date } = {},
) {
  const printer = printerOf(type);
  const now = opts.now ?? new Date();
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    ...(opts.withColumns === false ? {} : { columnDefinitions: printer.columns }),
    rows: objects.map((o) => row(printer, o, include, now)),
  };
}
