// Column-definition builders. Names, types, formats and priorities are exactly those
// kube-apiserver 1.32 declares; descriptions are shortened versions of its API docs.

import type { KubeObject, TableColumn } from '../types.ts';
import { translateTimestampSince } from './duration.ts';
import { meta } from './fields.ts';

export const NAME_DESCRIPTION =
  'Name must be unique within a namespace; it identifies the object and cannot be updated.';
export const AGE_DESCRIPTION =
  'CreationTimestamp is the server time at which this object was created.';
export const CONTAINERS_DESCRIPTION = 'Names of each container in the template.';
export const IMAGES_DESCRIPTION = 'Images referenced by each container in the template.';

type ColumnType = TableColumn['type'];

/** A column shown by default (priority 0). */
export function col(name: string, type: ColumnType, description: string): TableColumn {
  return { name, type, format: '', description, priority: 0 };
}

/** A column shown only with `-o wide` (priority 1). */
export function wide(name: string, type: ColumnType, description: string): TableColumn {
  return { name, type, format: '', description, priority: 1 };
}

/** The `Name` column, format `name`. */
export function nameCol(priority = 0): TableColumn {
  return { name: 'Name', type: 'string', format: 'name', description: NAME_DESCRIPTION, priority };
}

export function ageCol(): TableColumn {
  return col('Age', 'string', AGE_DESCRIPTION);
}

/** The wide Containers and Images columns that template-owning workloads share. */
export function containerCols(): TableColumn[] {
  return [
    wide('Containers', 'string', CONTAINERS_DESCRIPTION),
    wide('Images', 'string', IMAGES_DESCRIPTION),
  ];
}

/** The AGE cell: time since metadata.creationTimestamp. */
export function age(obj: KubeObject, now: Date): string {
  return translateTimestampSince(meta(obj).creationTimestamp, now);
}
