// Volume mounts and devices, and the local-path rules they share with volume sources.

import type { FieldError } from '../types.ts';
import {
  arr,
  child,
  forbidden,
  index,
  invalid,
  notFound,
  notSupported,
  obj,
  objs,
  required,
  str,
  type Obj,
} from './field.ts';

export function validatePathNoBacksteps(p: string, path: string): FieldError[] {
  return p.split('/').includes('..') ? [invalid(path, p, "must not contain '..'")] : [];
}

export function validateLocalDescendingPath(p: string, path: string): FieldError[] {
  const errs: FieldError[] = p.startsWith('/') ? [invalid(path, p, 'must be a relative path')] : [];
  return errs.concat(validatePathNoBacksteps(p, path));
}

export function validateLocalNonReservedPath(p: string, path: string): FieldError[] {
  const errs = validateLocalDescendingPath(p, path);
  if (p.startsWith('..') && !p.startsWith('../'))
    errs.push(invalid(path, p, "must not start with '..'"));
  return errs;
}

const PROPAGATIONS = ['Bidirectional', 'HostToContainer', 'None'];

const RRO_MODES = ['Disabled', 'Enabled', 'IfPossible'];

/** ValidateVolumeMounts. Several paths are deliberately unindexed, as in Kubernetes. */
export function validateVolumeMounts(
  mounts: unknown,
  devices: Map<string, string>,
  volumes: Map<string, Obj>,
  container: Obj | null,
  path: string,
): FieldError[] {
  const errs: FieldError[] = [];
  const mountPoints = new Set<string>();
  const devicePaths = new Set(devices.values());
  objs(mounts).forEach((m, i) => {
    const ip = index(path, i);
    const name = str(m.name);
    const mountPath = str(m.mountPath);
    if (name === '') errs.push(required(child(ip, 'name')));
    if (!volumes.has(name)) errs.push(notFound(child(ip, 'name'), name));
    if (mountPath === '') errs.push(required(child(ip, 'mountPath')));
    if (mountPoints.has(mountPath))
      errs.push(invalid(child(ip, 'mountPath'), mountPath, 'must be unique'));
    mountPoints.add(mountPath);
    if (devices.has(name))
      errs.push(invalid(child(ip, 'name'), name, 'must not already exist in volumeDevices'));
    if (devicePaths.has(mountPath)) {
      errs.push(
        invalid(
          child(ip, 'mountPath'),
          mountPath,
          'must not already exist as a path in volumeDevices',
        ),
      );
    }
    const subPath = str(m.subPath);
    const subPathExpr = str(m.subPathExpr);
    if (volumes.get(name)?.image) {
      if (subPath)
        errs.push(invalid(child(ip, 'subPath'), subPath, 'not allowed in image volume sources'));
      if (subPathExpr)
        errs.push(
          invalid(child(ip, 'subPathExpr'), subPathExpr, 'not allowed in image volume sources'),
        );
    }
    if (subPath) errs.push(...validateLocalDescendingPath(subPath, child(path, 'subPath')));
    if (subPathExpr) {
      if (subPath)
        errs.push(
          invalid(
            child(ip, 'subPathExpr'),
            subPathExpr,
            'subPathExpr and subPath are mutually exclusive',
          ),
        );
      errs.push(...validateLocalDescendingPath(subPathExpr, child(path, 'subPathExpr')));
    }
    const prop = m.mountPropagation;
    if (prop !== undefined && prop !== null) {
      const pp = child(path, 'mountPropagation');
      if (!PROPAGATIONS.includes(str(prop))) errs.push(notSupported(pp, prop, PROPAGATIONS));
      const privileged = obj(container?.securityContext)?.privileged === true;
      if (container && prop === 'Bidirectional' && !privileged) {
        errs.push(
          forbidden(
            pp,
            'Bidirectional mount propagation is available only to privileged containers',
          ),
        );
      }
    }
    const rro = m.recursiveReadOnly;
    if (rro !== undefined && rro !== null && rro !== 'Disabled') {
      const rp = child(path, 'recursiveReadOnly');
      if (rro === 'Enabled' || rro === 'IfPossible') {
        if (m.readOnly !== true)
          errs.push(forbidden(rp, 'may only be specified when readOnly is true'));
        if (prop !== undefined && prop !== null && prop !== 'None') {
          errs.push(
            forbidden(rp, 'may only be specified when mountPropagation is None or not specified'),
          );
        }
      } else {
        errs.push(notSupported(rp, rro, RRO_MODES));
      }
    }
  });
  return errs;
}

export function validateVolumeDevices(
  devices: unknown,
  mounts: Map<string, string>,
  volumes: Map<string, Obj>,
  path: string,
): FieldError[] {
  const errs: FieldError[] = [];
  const paths = new Set<string>();
  const names = new Set<string>();
  const mountPaths = new Set(mounts.values());
  objs(devices).forEach((d, i) => {
    const ip = index(path, i);
    const name = str(d.name);
    const devPath = str(d.devicePath);
    const vol = volumes.get(name);
    if (name === '') errs.push(required(child(ip, 'name')));
    if (names.has(name)) errs.push(invalid(child(ip, 'name'), name, 'must be unique'));
    if (vol && !vol.persistentVolumeClaim && !vol.ephemeral) {
      errs.push(
        invalid(
          child(ip, 'name'),
          name,
          'can only use volume source type of PersistentVolumeClaim or Ephemeral for block mode',
        ),
      );
    }
    if (!vol) errs.push(notFound(child(ip, 'name'), name));
    if (devPath === '') errs.push(required(child(ip, 'devicePath')));
    if (paths.has(devPath)) errs.push(invalid(child(ip, 'devicePath'), devPath, 'must be unique'));
    if (devPath !== '' && devPath.split('/').includes('..')) {
      errs.push(invalid(child(ip, 'devicePath'), devPath, "can not contain backsteps ('..')"));
    } else {
      paths.add(devPath);
    }
    if (mounts.has(name))
      errs.push(invalid(child(ip, 'name'), name, 'must not already exist in volumeMounts'));
    if (mountPaths.has(devPath)) {
      errs.push(
        invalid(
          child(ip, 'devicePath'),
          devPath,
          'must not already exist as a path in volumeMounts',
        ),
      );
    }
    if (name !== '') names.add(name);
  });
  return errs;
}

export function mountMap(list: unknown, pathField: string): Map<string, string> {
  return new Map(arr(list).map((m) => [str(obj(m)?.name), str(obj(m)?.[pathField])]));
}
