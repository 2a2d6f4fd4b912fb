// PersistentVolumes, PersistentVolumeClaims and StorageClasses.

import type { FieldError } from '../types.ts';
import { validateNodeSelector } from './pod-affinity.ts';
import {
  arr,
  deepEqual,
  forbidden,
  invalid,
  notSupported,
  obj,
  objs,
  required,
  sortedKeys,
  str,
  tooLong,
  type Obj,
} from './field.ts';
import { goRaw, goStringMap } from './go-format.ts';
import { isQualifiedName, nameIsDNSSubdomain } from './names.ts';
import { validateImmutable, validateObjectMeta, validateObjectMetaUpdate } from './objectmeta.ts';
import {
  quantityAt,
  validatePositiveQuantity,
  validateResourceQuantityValue,
} from './resources.ts';
import { validateLabelSelector } from './selector.ts';
import { compareQuantities, tryParseQuantity } from '../quantity.ts';

const ACCESS_MODES = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
const VOLUME_MODES = ['Block', 'Filesystem'];

function validateAccessModes(modes: unknown, path: string, requiredDetail: string): FieldError[] {
  const list = arr(modes).map(str);
  const errs: FieldError[] = list.length === 0 ? [required(path, requiredDetail)] : [];
  let rwop = false;
  let other = false;
  for (const m of list) {
    if (!ACCESS_MODES.includes(m)) errs.push(notSupported(path, m, ACCESS_MODES));
    if (m === 'ReadWriteOncePod') rwop = true;
    else if (ACCESS_MODES.includes(m)) other = true;
  }
  if (rwop && other)
    errs.push(forbidden(path, 'may not use ReadWriteOncePod with other access modes'));
  return errs;
}

function validateClassName(v: unknown, path: string): FieldError[] {
  return typeof v === 'string' && v !== ''
    ? nameIsDNSSubdomain(v, false).map((m) => invalid(path, v, m))
    : [];
}

function validateVolumeMode(v: unknown, path: string): FieldError[] {
  return v !== undefined && v !== null && !VOLUME_MODES.includes(str(v))
    ? [notSupported(path, str(v), VOLUME_MODES)]
    : [];
}

export function validatePVCSpec(spec: Obj, path: string): FieldError[] {
  const errs = validateAccessModes(
    spec.accessModes,
    `${path}.accessModes`,
    'at least 1 access mode is required',
  );
  if (obj(spec.selector)) errs.push(...validateLabelSelector(spec.selector, `${path}.selector`));
  const requests = obj(obj(spec.resources)?.requests) ?? {};
  const sp = `${path}.resources[storage]`;
  if (!('storage' in requests)) {
    errs.push(required(sp));
  } else {
    const q = quantityAt(requests.storage, sp, errs);
    if (q) {
      const pos = validatePositiveQuantity(q, sp);
      errs.push(...(pos.length > 0 ? pos : validateResourceQuantityValue('storage', q, sp)));
    }
  }
  errs.push(...validateClassName(spec.storageClassName, `${path}.storageClassName`));
  errs.push(...validateVolumeMode(spec.volumeMode, `${path}.volumeMode`));
  return errs;
}

export function validatePVCCreate(pvc: Obj): FieldError[] {
  const errs = validateObjectMeta(pvc.metadata, true, nameIsDNSSubdomain);
  return errs.concat(validatePVCSpec(obj(pvc.spec) ?? {}, 'spec'));
}

export function validatePVCUpdate(pvc: Obj, old: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(pvc.metadata, old.metadata);
  errs.push(...validatePVCCreate(pvc));
  const spec: Obj = structuredClone(obj(pvc.spec) ?? {});
  const oldSpec: Obj = structuredClone(obj(old.spec) ?? {});
  if (str(oldSpec.volumeName) === '') oldSpec.volumeName = spec.volumeName;
  const bound = str(obj(pvc.status)?.phase) === 'Bound';
  const newSize = tryParseQuantity(obj(obj(spec.resources)?.requests)?.storage);
  const oldSize = tryParseQuantity(obj(obj(oldSpec.resources)?.requests)?.storage);
  if (bound) {
    const r = obj(spec.resources);
    const req = obj(r?.requests);
    if (r && req) r.requests = { ...req, storage: obj(obj(oldSpec.resources)?.requests)?.storage };
    spec.volumeAttributesClassName = oldSpec.volumeAttributesClassName;
  }
  if (!deepEqual(spec, oldSpec)) {
    errs.push(
      forbidden(
        'spec',
        'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n',
      ),
    );
  }
  if (newSize && oldSize && compareQuantities(newSize, oldSize) < 0) {
    const statusSize = tryParseQuantity(obj(obj(old.status)?.capacity)?.storage);
    if (!statusSize || compareQuantities(newSize, statusSize) <= 0) {
      errs.push(
        forbidden('spec.resources.requests.storage', 'field can not be less than status.capacity'),
      );
    }
  }
  errs.push(
    ...validateImmutable(
      obj(pvc.spec)?.volumeMode ?? null,
      obj(old.spec)?.volumeMode ?? null,
      'volumeMode',
    ),
  );
  return errs;
}

const PV_SOURCES = [
  'hostPath',
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'glusterfs',
  'flocker',
  'nfs',
  'rbd',
  'quobyte',
  'cephfs',
  'iscsi',
  'cinder',
  'fc',
  'flexVolume',
  'azureFile',
  'vsphereVolume',
  'azureDisk',
  'photonPersistentDisk',
  'portworxVolume',
  'scaleIO',
  'local',
  'storageos',
  'csi',
];
const RECLAIM_POLICIES = ['Delete', 'Recycle', 'Retain'];

export function validatePVCreate(pv: Obj): FieldError[] {
  const errs = validateObjectMeta(pv.metadata, false, nameIsDNSSubdomain);
  const spec = obj(pv.spec) ?? {};
  errs.push(...validateAccessModes(spec.accessModes, 'spec.accessModes', ''));
  const capacity = obj(spec.capacity) ?? {};
  const keys = sortedKeys(capacity);
  if (keys.length === 0) errs.push(required('spec.capacity'));
  if (!keys.includes('storage') || keys.length > 1) {
    errs.push(notSupported('spec.capacity', goStringMap(capacity), ['storage']));
  }
  for (const k of keys) {
    const q = quantityAt(capacity[k], `spec.capacity[${k}]`, errs);
    if (q) errs.push(...validatePositiveQuantity(q, `spec.capacity[${k}]`));
  }
  const policy = str(spec.persistentVolumeReclaimPolicy);
  if (policy !== '' && !RECLAIM_POLICIES.includes(policy)) {
    errs.push(notSupported('spec.persistentVolumeReclaimPolicy', policy, RECLAIM_POLICIES));
  }
  const affinity = obj(spec.nodeAffinity);
  if (affinity) {
    const req = obj(affinity.required);
    if (req) errs.push(...validateNodeSelector(req, 'spec.nodeAffinity.required'));
    else
      errs.push(required('spec.nodeAffinity.required', 'must specify required node constraints'));
  }
  let n = 0;
  for (const s of PV_SOURCES) {
    if (spec[s] === undefined || spec[s] === null) continue;
    if (n > 0) errs.push(forbidden(`spec.${s}`, 'may not specify more than 1 volume type'));
    n++;
  }
  if (n === 0) errs.push(required('spec', 'must specify a volume type'));
  errs.push(...validateClassName(spec.storageClassName, 'spec.storageClassName'));
  errs.push(...validateVolumeMode(spec.volumeMode, 'spec.volumeMode'));
  return errs;
}

export function validatePVUpdate(pv: Obj, old: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(pv.metadata, old.metadata).concat(validatePVCreate(pv));
  const spec = obj(pv.spec) ?? {};
  const oldSpec = obj(old.spec) ?? {};
  const source = (s: Obj) =>
    Object.fromEntries(PV_SOURCES.filter((k) => s[k] !== undefined).map((k) => [k, s[k]]));
  if (!deepEqual(source(spec), source(oldSpec))) {
    errs.push(
      forbidden(
        'spec.persistentvolumesource',
        'spec.persistentvolumesource is immutable after creation\n',
      ),
    );
  }
  errs.push(
    ...validateImmutable(spec.volumeMode ?? null, oldSpec.volumeMode ?? null, 'volumeMode'),
  );
  if (oldSpec.nodeAffinity !== undefined && oldSpec.nodeAffinity !== null) {
    errs.push(
      ...validateImmutable(
        spec.nodeAffinity ?? null,
        oldSpec.nodeAffinity,
        'nodeAffinity',
        goRaw('&core.VolumeNodeAffinity{...}'),
      ),
    );
  }
  return errs;
}

export function validateStorageClassCreate(sc: Obj): FieldError[] {
  const errs = validateObjectMeta(sc.metadata, false, nameIsDNSSubdomain);
  const provisioner = str(sc.provisioner);
  if (provisioner === '') errs.push(required('provisioner'));
  else
    for (const m of isQualifiedName(provisioner.toLowerCase()))
      errs.push(invalid('provisioner', provisioner.toLowerCase(), m));
  const params = obj(sc.parameters) ?? {};
  const keys = Object.keys(params);
  if (keys.length > 512) {
    errs.push(tooLong('parameters', 512));
  } else {
    let total = 0;
    for (const k of keys) {
      if (k === '') errs.push(invalid('parameters', k, 'field can not be empty.'));
      total += Buffer.byteLength(k) + Buffer.byteLength(str(params[k]));
    }
    if (total > 256 * 1024) errs.push(tooLong('parameters', 256 * 1024));
  }
  if (
    sc.reclaimPolicy !== undefined &&
    sc.reclaimPolicy !== null &&
    !['Delete', 'Retain'].includes(str(sc.reclaimPolicy))
  ) {
    errs.push(notSupported('reclaimPolicy', str(sc.reclaimPolicy), ['Delete', 'Retain']));
  }
  const mode = sc.volumeBindingMode;
  if (mode === undefined || mode === null) errs.push(required('volumeBindingMode'));
  else if (mode !== 'Immediate' && mode !== 'WaitForFirstConsumer') {
    errs.push(notSupported('volumeBindingMode', str(mode), ['Immediate', 'WaitForFirstConsumer']));
  }
  objs(sc.allowedTopologies).forEach((t, i) => {
    if (arr(t.matchLabelExpressions).length === 0) return;
    objs(t.matchLabelExpressions).forEach((e, j) => {
      if (arr(e.values).length === 0)
        errs.push(required(`allowedTopologies[${i}].matchLabelExpressions[${j}].values`));
    });
  });
  return errs;
}

export function validateStorageClassUpdate(sc: Obj, old: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(sc.metadata, old.metadata).concat(
    validateStorageClassCreate(sc),
  );
  if (!deepEqual(sc.parameters ?? null, old.parameters ?? null)) {
    errs.push(forbidden('parameters', 'updates to parameters are forbidden.'));
  }
  if (str(sc.provisioner) !== str(old.provisioner))
    errs.push(forbidden('provisioner', 'updates to provisioner are forbidden.'));
  if (str(sc.reclaimPolicy) !== str(old.reclaimPolicy)) {
    errs.push(forbidden('reclaimPolicy', 'updates to reclaimPolicy are forbidden.'));
  }
  errs.push(
    ...validateImmutable(
      sc.volumeBindingMode ?? null,
      old.volumeBindingMode ?? null,
      'volumeBindingMode',
    ),
  );
  return errs;
}
