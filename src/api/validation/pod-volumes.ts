// Pod volumes, and the volume mounts and devices that refer to them.

import type { FieldError } from '../types.ts';
import { validateLocalNonReservedPath, validatePathNoBacksteps } from './volume-mounts.ts';
import {
  child,
  duplicate,
  forbidden,
  index,
  invalid,
  notSupported,
  num,
  obj,
  objs,
  required,
  str,
  type Obj,
} from './field.ts';
import { isDNS1123Label, nameIsDNSSubdomain } from './names.ts';
import { validateTemplateObjectMeta } from './objectmeta.ts';
import { quantityAt } from './resources.ts';
import { validatePVCSpec } from './storage.ts';
import {
  validateObjectFieldSelector,
  validateResourceFieldSelector,
  VOLUME_FIELD_PATHS,
} from './pod-env.ts';

const FILE_MODE_ERROR = 'must be a number between 0 and 0777 (octal), both inclusive';

/**
 * Every volume source in validateVolumeSource's order, with the path segment Kubernetes
 * uses in its "more than 1 volume type" error (note `downwarAPI` and `cephFS`, sic).
 */
const SOURCES: [string, string][] = [
  ['emptyDir', 'emptyDir'],
  ['hostPath', 'hostPath'],
  ['gitRepo', 'gitRepo'],
  ['gcePersistentDisk', 'gcePersistentDisk'],
  ['awsElasticBlockStore', 'awsElasticBlockStore'],
  ['secret', 'secret'],
  ['nfs', 'nfs'],
  ['iscsi', 'iscsi'],
  ['glusterfs', 'glusterfs'],
  ['flocker', 'flocker'],
  ['persistentVolumeClaim', 'persistentVolumeClaim'],
  ['rbd', 'rbd'],
  ['cinder', 'cinder'],
  ['cephfs', 'cephFS'],
  ['quobyte', 'quobyte'],
  ['downwardAPI', 'downwarAPI'],
  ['fc', 'fc'],
  ['flexVolume', 'flexVolume'],
  ['configMap', 'configMap'],
  ['azureFile', 'azureFile'],
  ['vsphereVolume', 'vsphereVolume'],
  ['photonPersistentDisk', 'photonPersistentDisk'],
  ['portworxVolume', 'portworxVolume'],
  ['azureDisk', 'azureDisk'],
  ['storageos', 'storageos'],
  ['projected', 'projected'],
  ['scaleIO', 'scaleIO'],
  ['csi', 'csi'],
  ['ephemeral', 'ephemeral'],
  ['image', 'image'],
];

/** Fields that must be non-empty, for the sources not checked in detail. */
const REQUIRED_FIELDS: Record<string, string[]> = {
  gitRepo: ['repository'],
  gcePersistentDisk: ['pdName'],
  awsElasticBlockStore: ['volumeID'],
  iscsi: ['targetPortal', 'iqn'],
  glusterfs: ['endpoints', 'path'],
  rbd: ['monitors', 'image'],
  cinder: ['volumeID'],
  cephfs: ['monitors'],
  flexVolume: ['driver'],
  azureFile: ['secretName', 'shareName'],
  vsphereVolume: ['volumePath'],
  photonPersistentDisk: ['pdID'],
  portworxVolume: ['volumeID'],
  azureDisk: ['diskName', 'diskURI'],
  scaleIO: ['gateway', 'system', 'volumeName'],
};

function isEmpty(v: unknown): boolean {
  return v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);
}

function validateMode(v: unknown, path: string): FieldError[] {
  const mode = num(v);
  return mode !== undefined && (mode > 0o777 || mode < 0)
    ? [invalid(path, mode, FILE_MODE_ERROR)]
    : [];
}

function validateKeyToPath(kp: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (str(kp.key) === '') errs.push(required(child(path, 'key')));
  if (str(kp.path) === '') errs.push(required(child(path, 'path')));
  errs.push(...validateLocalNonReservedPath(str(kp.path), child(path, 'path')));
  errs.push(...validateMode(kp.mode, child(path, 'mode')));
  return errs;
}

function validateItems(src: Obj, path: string): FieldError[] {
  return objs(src.items).flatMap((kp, i) => validateKeyToPath(kp, index(child(path, 'items'), i)));
}

function validateDownwardAPIFile(file: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (str(file.path) === '') errs.push(required(child(path, 'path')));
  errs.push(...validateLocalNonReservedPath(str(file.path), child(path, 'path')));
  if (file.fieldRef !== undefined) {
    errs.push(
      ...validateObjectFieldSelector(file.fieldRef, VOLUME_FIELD_PATHS, child(path, 'fieldRef')),
    );
    if (file.resourceFieldRef !== undefined) {
      errs.push(
        invalid(
          path,
          'resource',
          'fieldRef and resourceFieldRef can not be specified simultaneously',
        ),
      );
    }
  } else if (file.resourceFieldRef !== undefined) {
    errs.push(
      ...validateResourceFieldSelector(
        file.resourceFieldRef,
        child(path, 'resourceFieldRef'),
        true,
      ),
    );
  } else {
    errs.push(required(path, 'one of fieldRef and resourceFieldRef is required'));
  }
  errs.push(...validateMode(file.mode, child(path, 'mode')));
  return errs;
}

const HOST_PATH_TYPES = [
  '',
  'BlockDevice',
  'CharDevice',
  'Directory',
  'DirectoryOrCreate',
  'File',
  'FileOrCreate',
  'Socket',
];

function validateProjected(src: Obj, path: string): FieldError[] {
  const errs = validateMode(src.defaultMode, child(path, 'defaultMode'));
  const seen = new Set<string>();
  const addPath = (p: string, shown: string) => {
    if (p === '') return;
    if (seen.has(p)) errs.push(invalid(path, shown, 'conflicting duplicate paths'));
    seen.add(p);
  };
  objs(src.sources).forEach((s, i) => {
    const sp = index(child(path, 'sources'), i);
    let n = 0;
    for (const kind of ['secret', 'configMap'] as const) {
      const ref = obj(s[kind]);
      if (!ref) continue;
      n++;
      if (str(ref.name) === '') errs.push(required(child(sp, kind, 'name')));
      objs(ref.items).forEach((kp, j) => {
        errs.push(...validateKeyToPath(kp, index(child(sp, kind, 'items'), j)));
        addPath(str(kp.path), str(ref.name));
      });
    }
    const dapi = obj(s.downwardAPI);
    if (dapi) {
      n++;
      for (const f of objs(dapi.items)) {
        errs.push(...validateDownwardAPIFile(f, child(sp, 'downwardAPI')));
        addPath(str(f.path), str(f.path));
      }
    }
    const sat = obj(s.serviceAccountToken);
    if (sat) {
      n++;
      const exp = num(sat.expirationSeconds) ?? 0;
      const ep = child(sp, 'serviceAccountToken', 'expirationSeconds');
      if (exp < 600) errs.push(invalid(ep, exp, 'may not specify a duration less than 10 minutes'));
      if (exp > 2 ** 32)
        errs.push(invalid(ep, exp, 'may not specify a duration larger than 2^32 seconds'));
      if (str(sat.path) === '') errs.push(required(child(path, 'path')));
      else errs.push(...validateLocalNonReservedPath(str(sat.path), child(path, 'path')));
    }
    if (s.clusterTrustBundle !== undefined) n++;
    if (n > 1) errs.push(forbidden(sp, 'may not specify more than 1 volume type per source'));
  });
  return errs;
}

function validateSource(
  kind: string,
  src: Obj,
  path: string,
  volName: string,
  podName: string,
  volumePath: string,
): FieldError[] {
  const errs: FieldError[] = [];
  switch (kind) {
    case 'emptyDir': {
      if (src.sizeLimit !== undefined) {
        const q = quantityAt(src.sizeLimit, child(path, 'sizeLimit'), errs);
        if (q && q.nanos < 0n) {
          errs.push(
            forbidden(
              child(path, 'sizeLimit'),
              'SizeLimit field must be a valid resource quantity',
            ),
          );
        }
      }
      break;
    }
    case 'hostPath': {
      const p = str(src.path);
      if (p === '') return [required(child(path, 'path'))];
      errs.push(...validatePathNoBacksteps(p, child(path, 'path')));
      if (src.type !== undefined && src.type !== null && !HOST_PATH_TYPES.includes(str(src.type))) {
        errs.push(notSupported(child(path, 'type'), src.type, HOST_PATH_TYPES));
      }
      break;
    }
    case 'secret':
      if (str(src.secretName) === '') errs.push(required(child(path, 'secretName')));
      errs.push(
        ...validateMode(src.defaultMode, child(path, 'defaultMode')),
        ...validateItems(src, path),
      );
      break;
    case 'configMap':
      if (str(src.name) === '') errs.push(required(child(path, 'name')));
      errs.push(
        ...validateMode(src.defaultMode, child(path, 'defaultMode')),
        ...validateItems(src, path),
      );
      break;
    case 'persistentVolumeClaim':
      if (str(src.claimName) === '') errs.push(required(child(path, 'claimName')));
      break;
    case 'nfs':
      if (str(src.server) === '') errs.push(required(child(path, 'server')));
      if (str(src.path) === '') errs.push(required(child(path, 'path')));
      if (!str(src.path).startsWith('/'))
        errs.push(invalid(child(path, 'path'), str(src.path), 'must be an absolute path'));
      break;
    case 'downwardAPI':
      errs.push(...validateMode(src.defaultMode, child(path, 'defaultMode')));
      for (const f of objs(src.items)) errs.push(...validateDownwardAPIFile(f, path));
      break;
    case 'projected':
      errs.push(...validateProjected(src, path));
      break;
    case 'csi':
      if (str(src.driver) === '') errs.push(required(child(path, 'driver')));
      break;
    case 'ephemeral': {
      // validateEphemeralVolumeSource, then the name of the claim the pod gets.
      const template = src.volumeClaimTemplate;
      const tp = child(path, 'volumeClaimTemplate');
      if (template === undefined || template === null) {
        errs.push(required(tp));
      } else {
        // ValidatePersistentVolumeClaimTemplate: only labels and annotations are used.
        errs.push(...validateTemplateObjectMeta(obj(template)?.metadata, child(tp, 'metadata')));
        errs.push(...validatePVCSpec(obj(obj(template)?.spec) ?? {}, child(tp, 'spec')));
      }
      if (podName !== '' && volName !== '') {
        const pvcName = `${podName}-${volName}`;
        for (const m of nameIsDNSSubdomain(pvcName, false)) {
          errs.push(invalid(child(volumePath, 'name'), volName, `PVC name "${pvcName}": ${m}`));
        }
      }
      break;
    }
    default:
      for (const f of REQUIRED_FIELDS[kind] ?? [])
        if (isEmpty(src[f])) errs.push(required(child(path, f)));
  }
  return errs;
}

/** ValidateVolumes: returns the valid volumes by name, for mounts to refer to. */
export function validateVolumes(
  volumes: unknown,
  podName: string,
  path: string,
): { volumes: Map<string, Obj>; errs: FieldError[] } {
  const errs: FieldError[] = [];
  const byName = new Map<string, Obj>();
  const created = new Set<string>();
  const list = objs(volumes);
  if (podName !== '')
    for (const v of list) if (v.ephemeral) created.add(`${podName}-${str(v.name)}`);
  list.forEach((vol, i) => {
    const ip = index(path, i);
    const name = str(vol.name);
    const el: FieldError[] = [];
    let n = 0;
    for (const [kind, forbiddenName] of SOURCES) {
      const src = vol[kind];
      if (src === undefined || src === null) continue;
      if (n > 0) {
        el.push(forbidden(child(ip, forbiddenName), 'may not specify more than 1 volume type'));
        continue;
      }
      n++;
      const sp = child(ip, kind === 'gcePersistentDisk' ? 'persistentDisk' : kind);
      el.push(...validateSource(kind, obj(src) ?? {}, sp, name, podName, ip));
    }
    if (n === 0) el.push(required(ip, 'must specify a volume type'));
    if (name === '') el.push(required(child(ip, 'name')));
    else for (const m of isDNS1123Label(name)) el.push(invalid(child(ip, 'name'), name, m));
    if (byName.has(name)) el.push(duplicate(child(ip, 'name'), name));
    if (el.length === 0) byName.set(name, vol);
    else errs.push(...el);
    const claim = str(obj(vol.persistentVolumeClaim)?.claimName);
    if (claim !== '' && created.has(claim)) {
      errs.push(
        invalid(
          child(ip, 'persistentVolumeClaim', 'claimName'),
          claim,
          'must not reference a PVC that gets created for an ephemeral volume',
        ),
      );
    }
  });
  return { volumes: byName, errs };
}
