// Probes and lifecycle hooks: exactly one handler each, with valid ports and timings.

import type { FieldError } from '../types.ts';
import {
  child,
  forbidden,
  invalid,
  notSupported,
  num,
  obj,
  objs,
  required,
  str,
  type Obj,
} from './field.ts';
import { isHTTPHeaderName, isValidPortName, isValidPortNum } from './names.ts';
import { validateNonnegative } from './objectmeta.ts';

/** ValidatePortNumOrName for an intstr port. */
export function validatePortNumOrName(port: unknown, path: string): FieldError[] {
  if (typeof port === 'string') return isValidPortName(port).map((m) => invalid(path, port, m));
  const n = num(port) ?? 0;
  return isValidPortNum(n).map((m) => invalid(path, n, m));
}

function validateHandler(
  handler: Obj,
  grace: number | undefined,
  path: string,
  kinds: string[],
): FieldError[] {
  const errs: FieldError[] = [];
  let n = 0;
  for (const kind of kinds) {
    const h = obj(handler[kind]);
    if (!h) continue;
    const hp = child(path, kind);
    if (n > 0) {
      errs.push(forbidden(hp, 'may not specify more than 1 handler type'));
      continue;
    }
    n++;
    if (kind === 'exec' && (!Array.isArray(h.command) || h.command.length === 0)) {
      errs.push(required(child(hp, 'command')));
    }
    if (kind === 'httpGet') {
      if (str(h.path) === '') errs.push(required(child(hp, 'path')));
      errs.push(...validatePortNumOrName(h.port, child(hp, 'port')));
      if (h.scheme !== 'HTTP' && h.scheme !== 'HTTPS') {
        errs.push(notSupported(child(hp, 'scheme'), str(h.scheme), ['HTTP', 'HTTPS']));
      }
      for (const header of objs(h.httpHeaders)) {
        for (const m of isHTTPHeaderName(str(header.name)))
          errs.push(invalid(child(hp, 'httpHeaders'), str(header.name), m));
      }
    }
    if (kind === 'tcpSocket') errs.push(...validatePortNumOrName(h.port, child(hp, 'port')));
    if (kind === 'grpc') errs.push(...validatePortNumOrName(num(h.port) ?? 0, child(hp, 'port')));
    if (kind === 'sleep') {
      const s = num(h.seconds) ?? 0;
      if (grace !== undefined && (s <= 0 || s > grace)) {
        errs.push(
          invalid(
            hp,
            s,
            `must be greater than 0 and less than terminationGracePeriodSeconds (${grace}). Enable AllowPodLifecycleSleepActionZeroValue feature gate for zero sleep.`,
          ),
        );
      }
    }
  }
  if (n === 0) errs.push(required(path, 'must specify a handler type'));
  return errs;
}

const PROBE_HANDLERS = ['exec', 'httpGet', 'tcpSocket', 'grpc'];

const LIFECYCLE_HANDLERS = ['exec', 'httpGet', 'tcpSocket', 'sleep'];

function validateProbe(
  value: unknown,
  grace: number | undefined,
  path: string,
  kind: string,
): FieldError[] {
  const probe = obj(value);
  if (!probe) return [];
  const errs = validateHandler(probe, grace, path, PROBE_HANDLERS);
  for (const f of [
    'initialDelaySeconds',
    'timeoutSeconds',
    'periodSeconds',
    'successThreshold',
    'failureThreshold',
  ]) {
    errs.push(...validateNonnegative(probe[f], child(path, f)));
  }
  const tgps = num(probe.terminationGracePeriodSeconds);
  if (tgps !== undefined && tgps <= 0) {
    errs.push(
      invalid(child(path, 'terminationGracePeriodSeconds'), tgps, 'must be greater than 0'),
    );
  }
  if (kind !== 'readiness' && (num(probe.successThreshold) ?? 0) !== 1) {
    errs.push(
      invalid(child(path, 'successThreshold'), num(probe.successThreshold) ?? 0, 'must be 1'),
    );
  }
  if (kind === 'readiness' && tgps !== undefined) {
    errs.push(
      invalid(
        child(path, 'terminationGracePeriodSeconds'),
        tgps,
        'must not be set for readinessProbes',
      ),
    );
  }
  return errs;
}

export function validateLifecycleAndProbes(
  ctr: Obj,
  grace: number | undefined,
  path: string,
): FieldError[] {
  const errs: FieldError[] = [];
  const lc = obj(ctr.lifecycle);
  if (lc) {
    for (const hook of ['postStart', 'preStop']) {
      const h = obj(lc[hook]);
      if (h)
        errs.push(...validateHandler(h, grace, child(path, 'lifecycle', hook), LIFECYCLE_HANDLERS));
    }
  }
  errs.push(...validateProbe(ctr.livenessProbe, grace, child(path, 'livenessProbe'), 'liveness'));
  errs.push(
    ...validateProbe(ctr.readinessProbe, grace, child(path, 'readinessProbe'), 'readiness'),
  );
  errs.push(...validateProbe(ctr.startupProbe, grace, child(path, 'startupProbe'), 'startup'));
  return errs;
}
