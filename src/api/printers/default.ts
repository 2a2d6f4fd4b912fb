// The table kube-apiserver's default convertor produces for resources without a printer
// (roles, clusterroles, limitranges, ...): the name and the creation time as RFC 3339.

import type { Printer } from '../types.ts';
import { AGE_DESCRIPTION, nameCol } from './columns.ts';
import { formatRFC3339 } from './duration.ts';
import { meta, nameOf } from './fields.ts';

export const defaultPrinter: Printer = {
  columns: [
    nameCol(),
    { name: 'Created At', type: 'date', format: '', description: AGE_DESCRIPTION, priority: 0 },
  ],
  cells: (obj) => [nameOf(obj), formatRFC3339(meta(obj).creationTimestamp)],
};
