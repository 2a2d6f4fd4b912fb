// coordination.k8s.io/v1 leases.

import type { Printer } from '../types.ts';
import { age, ageCol, col, nameCol } from './columns.ts';
import { nameOf, rec, str } from './fields.ts';

export const leasePrinter: Printer = {
  columns: [
    nameCol(),
    col('Holder', 'string', 'The identity of the holder of the current lease.'),
    ageCol(),
  ],
  cells: (obj, now) => [nameOf(obj), str(rec(obj.spec).holderIdentity), age(obj, now)],
};
