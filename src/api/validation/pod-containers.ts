// Containers: the checks every container kind shares, plus the rules specific to
// regular, init and ephemeral containers.

import type { FieldError } from '../types.ts';
import { mountMap, validateVolumeDevices, validateVolumeMounts } from './volume-mounts.ts';
import { validateLifecycleAndProbes } from './pod-probes.ts';
import {
  child,
  duplicate,
  forbidden,
  index,
  invalid,
  notFound,
  notSupported,
  num,
  obj,
  objs,
  required,
  str,
  type Obj,
} from './field.ts';
import { goQuote, goRaw } from './go-format.ts';
import { isDNS1123Label, isValidPortName, isValidPortNum } from './names.ts';
import { validateEnv, validateEnvFrom } from './pod-env.ts';
import { validateSecurityContext } from './pod-security.ts';
import { validateContainerResources } from './resources.ts';

export interface ContainerContext {
  volumes: Map<string, Obj>;
  claimNames: Set<string>;
  gracePeriod: number | undefined;
  restartPolicy: string;
  hostUsers: boolean;
}

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

function validatePorts(ports: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  objs(ports).forEach((p, i) => {
    const ip = index(path, i);
    const name = str(p.name);
    if (name !== '') {
      const msgs = isValidPortName(name);
      if (msgs.length > 0) for (const m of msgs) errs.push(invalid(child(ip, 'name'), name, m));
      else if (names.has(name)) errs.push(duplicate(child(ip, 'name'), name));
      else names.add(name);
    }
    const cp = num(p.containerPort) ?? 0;
    if (cp === 0) errs.push(required(child(ip, 'containerPort')));
    else for (const m of isValidPortNum(cp)) errs.push(invalid(child(ip, 'containerPort'), cp, m));
    const hp = num(p.hostPort) ?? 0;
    if (hp !== 0)
      for (const m of isValidPortNum(hp)) errs.push(invalid(child(ip, 'hostPort'), hp, m));
    const proto = str(p.protocol);
    if (proto === '') errs.push(required(child(ip, 'protocol')));
    else if (!PROTOCOLS.includes(proto))
      errs.push(notSupported(child(ip, 'protocol'), proto, PROTOCOLS));
  });
  return errs;
}

const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];

function validateResizePolicy(
  policies: unknown,
  path: string,
  restartPolicy: string,
): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  objs(policies).forEach((p, i) => {
    const rn = str(p.resourceName);
    const rp = str(p.restartPolicy);
    if (seen.has(rn)) errs.push(duplicate(index(path, i), rn));
    seen.add(rn);
    if (rn === '') errs.push(required(path));
    else if (rn !== 'cpu' && rn !== 'memory') errs.push(notSupported(path, rn, ['cpu', 'memory']));
    if (rp === '') errs.push(required(path));
    else if (rp !== 'NotRequired' && rp !== 'RestartContainer') {
      errs.push(notSupported(path, rp, ['NotRequired', 'RestartContainer']));
    }
    if (restartPolicy === 'Never' && rp !== 'NotRequired') {
      errs.push(invalid(path, rp, "must be 'NotRequired' when `restartPolicy` is 'Never'"));
    }
  });
  return errs;
}

/** validateContainerCommon. */
function validateContainerCommon(ctr: Obj, ctx: ContainerContext, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(ctr.name);
  if (name === '') errs.push(required(child(path, 'name')));
  else for (const m of isDNS1123Label(name)) errs.push(invalid(child(path, 'name'), name, m));
  if (str(ctr.image) === '') errs.push(required(child(path, 'image')));
  const tmp = str(ctr.terminationMessagePolicy);
  if (tmp === '') errs.push(required(child(path, 'terminationMessagePolicy')));
  else if (tmp !== 'File' && tmp !== 'FallbackToLogsOnError') {
    errs.push(
      notSupported(child(path, 'terminationMessagePolicy'), tmp, ['File', 'FallbackToLogsOnError']),
    );
  }
  const mounts = mountMap(ctr.volumeMounts, 'mountPath');
  const devices = mountMap(ctr.volumeDevices, 'devicePath');
  errs.push(...validatePorts(ctr.ports, child(path, 'ports')));
  errs.push(...validateEnv(ctr.env, child(path, 'env')));
  errs.push(...validateEnvFrom(ctr.envFrom, child(path, 'envFrom')));
  errs.push(
    ...validateVolumeMounts(
      ctr.volumeMounts,
      devices,
      ctx.volumes,
      ctr,
      child(path, 'volumeMounts'),
    ),
  );
  errs.push(
    ...validateVolumeDevices(ctr.volumeDevices, mounts, ctx.volumes, child(path, 'volumeDevices')),
  );
  const pull = str(ctr.imagePullPolicy);
  if (pull === '') errs.push(required(child(path, 'imagePullPolicy')));
  else if (!PULL_POLICIES.includes(pull))
    errs.push(notSupported(child(path, 'imagePullPolicy'), pull, PULL_POLICIES));
  errs.push(...validateContainerResources(ctr.resources, ctx.claimNames, child(path, 'resources')));
  errs.push(
    ...validateResizePolicy(ctr.resizePolicy, child(path, 'resizePolicy'), ctx.restartPolicy),
  );
  errs.push(
    ...validateSecurityContext(ctr.securityContext, child(path, 'securityContext'), ctx.hostUsers),
  );
  return errs;
}

/** AccumulateUniqueHostPorts: `protocol/hostIP/port` must be unique. */
function checkHostPortConflicts(
  containers: Obj[],
  path: string,
  seen = new Set<string>(),
): FieldError[] {
  const errs: FieldError[] = [];
  containers.forEach((c, ci) => {
    objs(c.ports).forEach((p, pi) => {
      const hp = num(p.hostPort) ?? 0;
      if (hp === 0) return;
      const k = `${str(p.protocol)}/${str(p.hostIP)}/${hp}`;
      if (seen.has(k))
        errs.push(duplicate(child(index(child(index(path, ci), 'ports'), pi), 'hostPort'), k));
      else seen.add(k);
    });
  });
  return errs;
}

export function validateContainers(
  containers: unknown,
  ctx: ContainerContext,
  path: string,
): FieldError[] {
  const list = objs(containers);
  if (list.length === 0) return [required(path)];
  const errs: FieldError[] = [];
  const names = new Set<string>();
  list.forEach((ctr, i) => {
    const ip = index(path, i);
    errs.push(...validateContainerCommon(ctr, ctx, ip));
    const name = str(ctr.name);
    if (names.has(name)) errs.push(duplicate(child(ip, 'name'), name));
    else names.add(name);
    errs.push(...validateLifecycleAndProbes(ctr, ctx.gracePeriod, ip));
    if (ctr.restartPolicy !== undefined && ctr.restartPolicy !== null) {
      errs.push(forbidden(child(ip, 'restartPolicy'), 'may not be set for non-init containers'));
    }
  });
  return errs.concat(checkHostPortConflicts(list, path));
}

const NOT_FOR_INIT = 'may not be set for init containers without restartPolicy=Always';

export function validateInitContainers(
  initContainers: unknown,
  containers: unknown,
  ctx: ContainerContext,
  path: string,
): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set(objs(containers).map((c) => str(c.name)));
  objs(initContainers).forEach((ctr, i) => {
    const ip = index(path, i);
    errs.push(...validateContainerCommon(ctr, ctx, ip));
    let restartAlways = false;
    if (ctr.restartPolicy !== undefined && ctr.restartPolicy !== null) {
      if (ctr.restartPolicy !== 'Always') {
        errs.push(notSupported(child(ip, 'restartPolicy'), str(ctr.restartPolicy), ['Always']));
      }
      restartAlways = ctr.restartPolicy === 'Always';
    }
    const name = str(ctr.name);
    if (names.has(name)) errs.push(duplicate(child(ip, 'name'), name));
    else if (name !== '') names.add(name);
    errs.push(...checkHostPortConflicts([ctr], path));
    if (restartAlways) {
      errs.push(...validateLifecycleAndProbes(ctr, ctx.gracePeriod, ip));
    } else {
      for (const f of ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe']) {
        if (ctr[f] !== undefined && ctr[f] !== null)
          errs.push(forbidden(child(ip, f), NOT_FOR_INIT));
      }
    }
    if (Array.isArray(ctr.resizePolicy) && ctr.resizePolicy.length > 0) {
      const shown = objs(ctr.resizePolicy).map(
        (p) =>
          `core.ContainerResizePolicy{ResourceName:${goQuote(str(p.resourceName))}, RestartPolicy:${goQuote(str(p.restartPolicy))}}`,
      );
      errs.push(
        invalid(
          child(ip, 'resizePolicy'),
          goRaw(`[]core.ContainerResizePolicy{${shown.join(', ')}}`),
          'must not be set for init containers',
        ),
      );
    }
  });
  return errs;
}

const EPHEMERAL_FORBIDDEN = [
  'ports',
  'resources',
  'resizePolicy',
  'restartPolicy',
  'livenessProbe',
  'readinessProbe',
  'startupProbe',
  'lifecycle',
];

export function validateEphemeralContainers(
  ephemeral: unknown,
  containers: unknown,
  initContainers: unknown,
  ctx: ContainerContext,
  path: string,
): FieldError[] {
  const list = objs(ephemeral);
  if (list.length === 0) return [];
  const errs: FieldError[] = [];
  const others = new Set([...objs(containers), ...objs(initContainers)].map((c) => str(c.name)));
  const all = new Set(others);
  list.forEach((ec, i) => {
    const ip = index(path, i);
    errs.push(...validateContainerCommon(ec, ctx, ip));
    errs.push(...validateImageWhitespace(ec, ip));
    const name = str(ec.name);
    if (all.has(name)) errs.push(duplicate(child(ip, 'name'), name));
    else all.add(name);
    const target = str(ec.targetContainerName);
    if (target !== '' && !others.has(target))
      errs.push(notFound(child(ip, 'targetContainerName'), target));
    for (const f of EPHEMERAL_FORBIDDEN) {
      const v = ec[f];
      const empty =
        v === undefined ||
        v === null ||
        (Array.isArray(v) && v.length === 0) ||
        (f === 'resources' && obj(v) && Object.keys(obj(v)!).length === 0);
      if (!empty) errs.push(forbidden(child(ip, f), 'cannot be set for an Ephemeral Container'));
    }
    objs(ec.volumeMounts).forEach((vm, j) => {
      const vp = index(child(ip, 'volumeMounts'), j);
      if (str(vm.subPath) !== '')
        errs.push(forbidden(child(vp, 'subPath'), 'cannot be set for an Ephemeral Container'));
      if (str(vm.subPathExpr) !== '')
        errs.push(forbidden(child(vp, 'subPathExpr'), 'cannot be set for an Ephemeral Container'));
    });
  });
  return errs;
}

/** validateContainerOnlyForPod: pods (not templates) may not pad their image names. */
export function validateImageWhitespace(ctr: Obj, path: string): FieldError[] {
  const image = str(ctr.image);
  return image.trim() !== image
    ? [invalid(child(path, 'image'), image, 'must not have leading or trailing whitespace')]
    : [];
}
