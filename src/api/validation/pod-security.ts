// Security contexts of pods and containers. In the v1 API hostNetwork, hostPID, hostIPC,
// hostUsers and shareProcessNamespace sit on the PodSpec; Kubernetes validates them as
// part of the internal PodSecurityContext, so some paths below name
// `spec.securityContext.<field>` although the field lives elsewhere in JSON.

import type { FieldError } from '../types.ts';
import { validateLocalDescendingPath } from './volume-mounts.ts';
import {
  arr,
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
  tooLong,
  type Obj,
} from './field.ts';
import { goRaw } from './go-format.ts';
import { inclusiveRangeError, isDNS1123Subdomain } from './names.ts';

const MAX_ID = 2147483647;

function validateId(v: unknown, path: string): FieldError[] {
  const n = num(v);
  return n !== undefined && (n < 0 || n > MAX_ID)
    ? [invalid(path, n, inclusiveRangeError(0, MAX_ID))]
    : [];
}

const SECCOMP_TYPES = ['Localhost', 'RuntimeDefault', 'Unconfined'];

function validateSeccomp(value: unknown, path: string): FieldError[] {
  const sp = obj(value);
  if (!sp) return [];
  const errs: FieldError[] = [];
  const type = str(sp.type);
  if (type === '')
    errs.push(required(child(path, 'type'), 'type is required when seccompProfile is set'));
  else if (!SECCOMP_TYPES.includes(type))
    errs.push(notSupported(child(path, 'type'), type, SECCOMP_TYPES));
  if (type === 'Localhost') {
    if (typeof sp.localhostProfile !== 'string') {
      errs.push(
        required(child(path, 'localhostProfile'), 'must be set when seccomp type is Localhost'),
      );
    } else {
      errs.push(
        ...validateLocalDescendingPath(sp.localhostProfile, child(path, 'localhostProfile')),
      );
    }
  } else if (sp.localhostProfile !== undefined && sp.localhostProfile !== null) {
    const shown = goRaw(
      `core.SeccompProfile{Type:"${type}", LocalhostProfile:(*string)(0xc000000000)}`,
    );
    errs.push(
      invalid(
        child(path, 'localhostProfile'),
        shown,
        'can only be set when seccomp type is Localhost',
      ),
    );
  }
  return errs;
}

function validateAppArmor(value: unknown, path: string): FieldError[] {
  const p = obj(value);
  if (!p) return [];
  const type = str(p.type);
  const lp = p.localhostProfile;
  if (type === 'Localhost') {
    if (typeof lp !== 'string') {
      return [
        required(child(path, 'localhostProfile'), 'must be set when AppArmor type is Localhost'),
      ];
    }
    const errs: FieldError[] = [];
    if (lp.trim() !== lp) {
      errs.push(invalid(child(path, 'localhostProfile'), lp, 'must not be padded with whitespace'));
    } else if (lp === '') {
      errs.push(
        required(child(path, 'localhostProfile'), 'must be set when AppArmor type is Localhost'),
      );
    }
    if (lp.length > 4095) errs.push(tooLong(child(path, 'localhostProfile'), 4095));
    return errs;
  }
  if (type === 'RuntimeDefault' || type === 'Unconfined') {
    return lp !== undefined && lp !== null
      ? [
          invalid(
            child(path, 'localhostProfile'),
            lp,
            'can only be set when AppArmor type is Localhost',
          ),
        ]
      : [];
  }
  if (type === '')
    return [required(child(path, 'type'), 'type is required when appArmorProfile is set')];
  return [notSupported(child(path, 'type'), type, SECCOMP_TYPES)];
}

function validateWindowsOptions(value: unknown, path: string): FieldError[] {
  const w = obj(value);
  if (!w) return [];
  const errs: FieldError[] = [];
  if (typeof w.gmsaCredentialSpecName === 'string') {
    for (const m of isDNS1123Subdomain(w.gmsaCredentialSpecName)) {
      errs.push(invalid(child(path, 'gmsaCredentialSpecName'), w.gmsaCredentialSpecName, m));
    }
  }
  if (w.gmsaCredentialSpec === '') {
    errs.push(
      invalid(
        child(path, 'gmsaCredentialSpec'),
        '',
        'gmsaCredentialSpec cannot be an empty string',
      ),
    );
  }
  if (w.runAsUserName === '') {
    errs.push(invalid(child(path, 'runAsUserName'), '', 'runAsUserName cannot be an empty string'));
  }
  return errs;
}

/** ValidateSecurityContext for one container. */
export function validateSecurityContext(
  value: unknown,
  path: string,
  hostUsers: boolean,
): FieldError[] {
  const sc = obj(value);
  if (!sc) return [];
  const errs: FieldError[] = [];
  errs.push(...validateId(sc.runAsUser, child(path, 'runAsUser')));
  errs.push(...validateId(sc.runAsGroup, child(path, 'runAsGroup')));
  if (sc.procMount !== undefined && sc.procMount !== null) {
    const pm = str(sc.procMount);
    if (pm !== 'Default' && pm !== 'Unmasked') {
      errs.push(notSupported(child(path, 'procMount'), pm, ['Default', 'Unmasked']));
    }
    if (hostUsers && pm === 'Unmasked') {
      errs.push(
        invalid(child(path, 'procMount'), pm, '`hostUsers` must be false to use `Unmasked`'),
      );
    }
  }
  errs.push(...validateSeccomp(sc.seccompProfile, child(path, 'seccompProfile')));
  if (sc.allowPrivilegeEscalation === false) {
    const shown = goRaw('core.SecurityContext{...}');
    if (sc.privileged === true) {
      errs.push(
        invalid(
          path,
          shown,
          'cannot set `allowPrivilegeEscalation` to false and `privileged` to true',
        ),
      );
    }
    for (const cap of arr(obj(sc.capabilities)?.add)) {
      if (cap === 'CAP_SYS_ADMIN') {
        errs.push(
          invalid(
            path,
            shown,
            'cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN',
          ),
        );
      }
    }
  }
  errs.push(...validateWindowsOptions(sc.windowsOptions, child(path, 'windowsOptions')));
  errs.push(...validateAppArmor(sc.appArmorProfile, child(path, 'appArmorProfile')));
  return errs;
}

const SYSCTL_FMT = '([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\\./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?';
const SYSCTL_RE = new RegExp(`^${SYSCTL_FMT}$`);

/** utilsysctl.GetNamespace: which kernel namespace a sysctl belongs to. */
function sysctlNamespace(name: string): 'net' | 'ipc' | '' {
  const n = name.replace(/\//g, '.');
  if (n.startsWith('net.')) return 'net';
  if (
    n === 'kernel.sem' ||
    n.startsWith('kernel.shm') ||
    n.startsWith('kernel.msg') ||
    n.startsWith('fs.mqueue.')
  ) {
    return 'ipc';
  }
  return '';
}

function validateSysctls(spec: Obj, sysctls: Obj[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  sysctls.forEach((s, i) => {
    const np = child(index(path, i), 'name');
    const name = str(s.name);
    if (name === '') errs.push(required(np));
    else if (name.length > 253 || !SYSCTL_RE.test(name)) {
      errs.push(
        invalid(np, name, `must have at most 253 characters and match regex ^${SYSCTL_FMT}$`),
      );
    } else if (names.has(name)) errs.push(duplicate(np, name));
    const ns = sysctlNamespace(name);
    if (spec.hostNetwork === true && ns === 'net') {
      errs.push(invalid(np, name, "may not be specified when 'hostNetwork' is true"));
    } else if (spec.hostIPC === true && ns === 'ipc') {
      errs.push(invalid(np, name, "may not be specified when 'hostIPC' is true"));
    }
    names.add(name);
  });
  return errs;
}

/** validatePodSpecSecurityContext. */
export function validatePodSecurityContext(spec: Obj, path: string): FieldError[] {
  const sc = obj(spec.securityContext);
  if (!sc) return [];
  const errs: FieldError[] = [];
  errs.push(...validateId(sc.fsGroup, child(path, 'fsGroup')));
  errs.push(...validateId(sc.runAsUser, child(path, 'runAsUser')));
  errs.push(...validateId(sc.runAsGroup, child(path, 'runAsGroup')));
  arr(sc.supplementalGroups).forEach((g, i) =>
    errs.push(...validateId(g, index(child(path, 'supplementalGroups'), i))),
  );
  if (spec.shareProcessNamespace === true && spec.hostPID === true) {
    errs.push(
      invalid(
        child(path, 'shareProcessNamespace'),
        true,
        'ShareProcessNamespace and HostPID cannot both be enabled',
      ),
    );
  }
  const sysctls = objs(sc.sysctls);
  if (sysctls.length > 0) errs.push(...validateSysctls(spec, sysctls, child(path, 'sysctls')));
  if (sc.fsGroupChangePolicy !== undefined && sc.fsGroupChangePolicy !== null) {
    const p = str(sc.fsGroupChangePolicy);
    if (p !== 'OnRootMismatch' && p !== 'Always') {
      errs.push(notSupported(child(path, 'fsGroupChangePolicy'), p, ['Always', 'OnRootMismatch']));
    }
  }
  errs.push(...validateSeccomp(sc.seccompProfile, child(path, 'seccompProfile')));
  errs.push(...validateWindowsOptions(sc.windowsOptions, child(path, 'windowsOptions')));
  errs.push(...validateAppArmor(sc.appArmorProfile, child(path, 'appArmorProfile')));
  if (sc.supplementalGroupsPolicy !== undefined && sc.supplementalGroupsPolicy !== null) {
    const p = str(sc.supplementalGroupsPolicy);
    if (p !== 'Merge' && p !== 'Strict') {
      errs.push(notSupported(child(path, 'supplementalGroupsPolicy'), p, ['Merge', 'Strict']));
    }
  }
  return errs;
}

/** validateHostUsers: a user namespace cannot be combined with the host's other namespaces. */
export function validateHostUsers(spec: Obj, path: string): FieldError[] {
  if (spec.hostUsers !== false) return [];
  const errs: FieldError[] = [];
  if (spec.hostNetwork === true)
    errs.push(forbidden(child(path, 'hostNetwork'), 'when `pod.Spec.HostUsers` is false'));
  if (spec.hostPID === true)
    errs.push(forbidden(child(path, 'HostPID'), 'when `pod.Spec.HostUsers` is false'));
  if (spec.hostIPC === true)
    errs.push(forbidden(child(path, 'HostIPC'), 'when `pod.Spec.HostUsers` is false'));
  return errs;
}
