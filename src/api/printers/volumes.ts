// core/v1 persistentvolumes and persistentvolumeclaims.

import type { KubeObject, Printer } from '../types.ts';
import { age, ageCol, col, nameCol, wide } from './columns.ts';
import { isDeleting, isSet, meta, nameOf, rec, str } from './fields.ts';
import { accessModesString } from './format.ts';
import { formatQuantity } from './quantity.ts';

// The beta annotation takes precedence over spec.storageClassName.
const BETA_STORAGE_CLASS_ANNOTATION = 'volume.beta.kubernetes.io/storage-class';

function storageClassOf(obj: KubeObject, specClass: unknown): string {
  const annotations = rec(meta(obj).annotations);
  if (BETA_STORAGE_CLASS_ANNOTATION in annotations) {
    return str(annotations[BETA_STORAGE_CLASS_ANNOTATION]);
  }
  return str(specClass);
}

/** STATUS: the phase (Pending until set), or Terminating while being deleted. */
function phaseOf(obj: KubeObject): string {
  if (isDeleting(obj)) return 'Terminating';
  return str(rec(obj.status).phase) || 'Pending';
}

function optionalName(value: unknown): string {
  return isSet(value) ? str(value) : '<unset>';
}

export const persistentVolumePrinter: Printer = {
  columns: [
    nameCol(),
    col('Capacity', 'string', 'The capacity of the volume.'),
    col('Access Modes', 'string', 'All ways the volume can be mounted.'),
    col('Reclaim Policy', 'string', 'What happens to the volume when released from its claim.'),
    col(
      'Status',
      'string',
      'Phase indicates if a volume is available, bound to a claim, or released.',
    ),
    col('Claim', 'string', 'The claim bound to this volume (namespace/name).'),
    col('StorageClass', 'string', 'StorageClass of the pv'),
    col('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pv'),
    col('Reason', 'string', 'A brief CamelCase string describing any failure.'),
    ageCol(),
    wide(
      'VolumeMode',
      'string',
      'Whether the volume is a formatted filesystem or a raw block device.',
    ),
  ],
  cells(obj, now) {
    const spec = rec(obj.spec);
    const claimRef = spec.claimRef;
    const claim = isSet(claimRef)
      ? `${str(rec(claimRef).namespace)}/${str(rec(claimRef).name)}`
      : '';
    return [
      nameOf(obj),
      formatQuantity(rec(spec.capacity).storage),
      accessModesString(spec.accessModes),
      // Defaulted on create: reclaim policy Retain, volume mode Filesystem.
      str(spec.persistentVolumeReclaimPolicy) || 'Retain',
      phaseOf(obj),
      claim,
      storageClassOf(obj, spec.storageClassName),
      optionalName(spec.volumeAttributesClassName),
      str(rec(obj.status).reason),
      age(obj, now),
      str(spec.volumeMode) || 'Filesystem',
    ];
  },
};

export const persistentVolumeClaimPrinter: Printer = {
  columns: [
    nameCol(),
    col('Status', 'string', 'The current phase of the claim.'),
    col('Volume', 'string', 'The binding reference to the volume backing this claim.'),
    col('Capacity', 'string', 'The actual resources of the underlying volume.'),
    col('Access Modes', 'string', 'The access modes the volume backing the claim has.'),
    col('StorageClass', 'string', 'StorageClass of the pvc'),
    col('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pvc'),
    ageCol(),
    wide('VolumeMode', 'string', 'What type of volume is required by the claim.'),
  ],
  cells(obj, now) {
    const spec = rec(obj.spec);
    const status = rec(obj.status);
    const volumeName = str(spec.volumeName);
    // Capacity and access modes are only meaningful once bound.
    const bound = volumeName !== '';
    const storageClass = isSet(spec.storageClassName) ? spec.storageClassName : '';
    return [
      nameOf(obj),
      phaseOf(obj),
      volumeName,
      bound ? formatQuantity(rec(status.capacity).storage) : '',
      bound ? accessModesString(status.accessModes) : '',
      storageClassOf(obj, storageClass),
      optionalName(spec.volumeAttributesClassName),
      age(obj, now),
      str(spec.volumeMode) || 'Filesystem',
    ];
  },
};
