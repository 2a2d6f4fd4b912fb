// spec.os: the fields a Linux or a Windows pod may not set.

import type { FieldError } from '../types.ts';
import {
  child,
  forbidden,
  index,
  notSupported,
  obj,
  objs,
  required,
  str,
  type Obj,
} from './field.ts';

function allContainers(spec: Obj): { c: Obj; path: string }[] {
  const out: { c: Obj; path: string }[] = [];
  for (const f of ['initContainers', 'containers', 'ephemeralContainers']) {
    objs(spec[f]).forEach((c, i) => out.push({ c, path: index(f, i) }));
  }
  return out;
}

export function validateOS(spec: Obj, path: string): FieldError[] {
  const os = obj(spec.os);
  if (!os) return [];
  const name = str(os.name);
  const osPath = child(path, 'os');
  if (name === '') return [required(child(osPath, 'name'), 'cannot be empty')];
  if (name !== 'linux' && name !== 'windows')
    return [notSupported(osPath, name, ['linux', 'windows'])];
  const errs: FieldError[] = [];
  const sc = obj(spec.securityContext);
  if (name === 'linux') {
    if (sc?.windowsOptions) {
      errs.push(
        forbidden(
          child(path, 'securityContext', 'windowsOptions'),
          'windows options cannot be set for a linux pod',
        ),
      );
    }
    for (const { c, path: cp } of allContainers(spec)) {
      if (obj(c.securityContext)?.windowsOptions) {
        errs.push(
          forbidden(
            child(path, cp, 'securityContext', 'windowsOptions'),
            'windows options cannot be set for a linux pod',
          ),
        );
      }
    }
    return errs;
  }
  const podForbidden: [string, string][] = [
    ['appArmorProfile', 'securityContext.appArmorProfile'],
    ['seLinuxOptions', 'securityContext.seLinuxOptions'],
    ['seccompProfile', 'securityContext.seccompProfile'],
    ['fsGroup', 'securityContext.fsGroup'],
    ['fsGroupChangePolicy', 'securityContext.fsGroupChangePolicy'],
    ['runAsUser', 'securityContext.runAsUser'],
    ['runAsGroup', 'securityContext.runAsGroup'],
    ['supplementalGroups', 'securityContext.supplementalGroups'],
  ];
  for (const [f, p] of podForbidden) {
    if (sc && sc[f] !== undefined && sc[f] !== null)
      errs.push(forbidden(child(path, p), 'cannot be set for a windows pod'));
  }
  if (spec.hostPID === true)
    errs.push(forbidden(child(path, 'hostPID'), 'cannot be set for a windows pod'));
  if (spec.hostIPC === true)
    errs.push(forbidden(child(path, 'hostIPC'), 'cannot be set for a windows pod'));
  for (const { c, path: cp } of allContainers(spec)) {
    const csc = obj(c.securityContext);
    if (!csc) continue;
    for (const f of [
      'appArmorProfile',
      'seLinuxOptions',
      'seccompProfile',
      'capabilities',
      'readOnlyRootFilesystem',
      'privileged',
      'allowPrivilegeEscalation',
      'procMount',
      'runAsUser',
      'runAsGroup',
    ]) {
      if (csc[f] !== undefined && csc[f] !== null) {
        errs.push(
          forbidden(child(path, cp, 'securityContext', f), 'cannot be set for a windows pod'),
        );
      }
    }
  }
  return errs;
}
