// policy/v1 poddisruptionbudgets.

import type { Printer } from '../types.ts';
import { age, ageCol, col, nameCol } from './columns.ts';
import { int, nameOf, rec } from './fields.ts';
import { intOrString } from './format.ts';

export const podDisruptionBudgetPrinter: Printer = {
  columns: [
    nameCol(),
    col('Min Available', 'string', 'The minimum number of pods that must be available.'),
    col('Max Unavailable', 'string', 'The maximum number of pods that may be unavailable.'),
    col(
      'Allowed Disruptions',
      'integer',
      'Calculated number of pods that may be disrupted at this time.',
    ),
    ageCol(),
  ],
  cells(obj, now) {
    const spec = rec(obj.spec);
    return [
      nameOf(obj),
      intOrString(spec.minAvailable) ?? 'N/A',
      intOrString(spec.maxUnavailable) ?? 'N/A',
      int(rec(obj.status).disruptionsAllowed),
      age(obj, now),
    ];
  },
};
