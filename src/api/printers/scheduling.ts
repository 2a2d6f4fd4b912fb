// scheduling.k8s.io/v1 priorityclasses.

import type { Printer } from '../types.ts';
import { age, ageCol, col, nameCol } from './columns.ts';
import { int, nameOf, str } from './fields.ts';

export const priorityClassPrinter: Printer = {
  // PreemptionPolicy (added in 1.32) is declared with priority 0.
  columns: [
    nameCol(),
    col('Value', 'integer', 'The integer value of this priority class.'),
    col(
      'Global-Default',
      'boolean',
      'Whether this is the default priority for pods without a class.',
    ),
    ageCol(),
    col('PreemptionPolicy', 'string', 'The policy for preempting pods with lower priority.'),
  ],
  cells: (obj, now) => [
    nameOf(obj),
    int(obj.value),
    obj.globalDefault === true,
    age(obj, now),
    // Defaulted on create.
    str(obj.preemptionPolicy) || 'PreemptLowerPriority',
  ],
};
