// storage.k8s.io/v1 storageclasses.

import type { Printer } from '../types.ts';
import { age, ageCol, col, nameCol } from './columns.ts';
import { meta, nameOf, rec, str } from './fields.ts';

const DEFAULT_CLASS_ANNOTATIONS = [
  'storageclass.kubernetes.io/is-default-class',
  'storageclass.beta.kubernetes.io/is-default-class',
];

export const storageClassPrinter: Printer = {
  columns: [
    nameCol(),
    col('Provisioner', 'string', 'The type of the provisioner.'),
    col('ReclaimPolicy', 'string', 'Reclaim policy of the volumes this class provisions.'),
    col('VolumeBindingMode', 'string', 'When volumes are provisioned and bound.'),
    col('AllowVolumeExpansion', 'string', 'Whether the storage class allows volume expansion.'),
    ageCol(),
  ],
  cells(obj, now) {
    const annotations = rec(meta(obj).annotations);
    const isDefault = DEFAULT_CLASS_ANNOTATIONS.some((a) => annotations[a] === 'true');
    return [
      isDefault ? `${nameOf(obj)} (default)` : nameOf(obj),
      str(obj.provisioner),
      str(obj.reclaimPolicy) || 'Delete',
      str(obj.volumeBindingMode) || 'Immediate',
      obj.allowVolumeExpansion === true,
      age(obj, now),
    ];
  },
};
