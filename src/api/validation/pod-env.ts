// Container environment: env, envFrom, and the downward-API selectors they share with
// downwardAPI volumes.

import type { FieldError } from '../types.ts';
import { child, index, invalid, notSupported, obj, objs, required, str } from './field.ts';
import {
  isConfigMapKey,
  isQualifiedName,
  isRelaxedEnvVarName,
  nameIsDNSSubdomain,
} from './names.ts';
import { formatQuantity, tryParseQuantity } from '../quantity.ts';

export const ENV_FIELD_PATHS = [
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.serviceAccountName',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
];

export const VOLUME_FIELD_PATHS = [
  'metadata.annotations',
  'metadata.labels',
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
];

const CONVERTIBLE_FIELD_LABELS = new Set([
  'metadata.annotations',
  'metadata.labels',
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.restartPolicy',
  'spec.serviceAccountName',
  'spec.schedulerName',
  'status.phase',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
]);

/** fieldpath.SplitMaybeSubscriptedPath: `metadata.labels['k']` → [`metadata.labels`, `k`]. */
function splitSubscript(p: string): [string, string] | undefined {
  if (!p.endsWith("']")) return undefined;
  const s = p.slice(0, -2);
  const at = s.indexOf("['");
  if (at <= 0) return undefined;
  return [s.slice(0, at), s.slice(at + 2)];
}

/** podshelper.ConvertDownwardAPIFieldLabel, returning the internal path or an error. */
function convertFieldLabel(version: string, label: string): { path?: string; error?: string } {
  if (version !== 'v1') return { error: `unsupported pod version: ${version}` };
  const sub = splitSubscript(label);
  if (sub) {
    if (sub[0] === 'metadata.annotations' || sub[0] === 'metadata.labels') return { path: label };
    return { error: `field label does not support subscript: ${label}` };
  }
  if (CONVERTIBLE_FIELD_LABELS.has(label)) return { path: label };
  if (label === 'spec.host') return { path: 'spec.nodeName' };
  return { error: `field label not supported: ${label}` };
}

export function validateObjectFieldSelector(
  fsValue: unknown,
  expressions: string[],
  path: string,
): FieldError[] {
  const fs = obj(fsValue) ?? {};
  if (str(fs.apiVersion) === '') return [required(child(path, 'apiVersion'))];
  if (str(fs.fieldPath) === '') return [required(child(path, 'fieldPath'))];
  const { path: internal, error } = convertFieldLabel(str(fs.apiVersion), str(fs.fieldPath));
  if (error !== undefined || internal === undefined) {
    return [
      invalid(child(path, 'fieldPath'), str(fs.fieldPath), `error converting fieldPath: ${error}`),
    ];
  }
  const sub = splitSubscript(internal);
  if (sub) {
    const subject = sub[0] === 'metadata.annotations' ? sub[1].toLowerCase() : sub[1];
    if (sub[0] === 'metadata.annotations' || sub[0] === 'metadata.labels') {
      return isQualifiedName(subject).map((m) => invalid(path, subject, m));
    }
    return [invalid(path, sub[0], 'does not support subscript')];
  }
  if (!expressions.includes(internal)) {
    return [notSupported(child(path, 'fieldPath'), internal, [...expressions].sort())];
  }
  return [];
}

const RESOURCE_FIELD_PATHS = [
  'limits.cpu',
  'limits.ephemeral-storage',
  'limits.memory',
  'requests.cpu',
  'requests.ephemeral-storage',
  'requests.memory',
];
const BYTE_DIVISORS = [
  '1',
  '1k',
  '1M',
  '1G',
  '1T',
  '1P',
  '1E',
  '1Ki',
  '1Mi',
  '1Gi',
  '1Ti',
  '1Pi',
  '1Ei',
];
const BYTE_DIVISOR_TEXT = BYTE_DIVISORS.join(', ');

function validateDivisor(resource: string, divisor: unknown, path: string): FieldError[] {
  const q = tryParseQuantity(divisor);
  if (!q || q.nanos === 0n) return [];
  const d = formatQuantity(q);
  const dp = child(path, 'divisor');
  if ((resource === 'limits.cpu' || resource === 'requests.cpu') && d !== '1m' && d !== '1') {
    return [
      invalid(dp, resource, "only divisor's values 1m and 1 are supported with the cpu resource"),
    ];
  }
  const kind =
    resource === 'limits.memory' || resource === 'requests.memory'
      ? 'memory'
      : resource === 'limits.ephemeral-storage' || resource === 'requests.ephemeral-storage'
        ? 'local ephemeral storage'
        : resource.startsWith('requests.hugepages-') || resource.startsWith('limits.hugepages-')
          ? 'hugepages'
          : '';
  if (kind !== '' && !BYTE_DIVISORS.includes(d)) {
    return [
      invalid(
        dp,
        resource,
        `only divisor's values ${BYTE_DIVISOR_TEXT} are supported with the ${kind} resource`,
      ),
    ];
  }
  return [];
}

export function validateResourceFieldSelector(
  fsValue: unknown,
  path: string,
  volume: boolean,
): FieldError[] {
  const fs = obj(fsValue) ?? {};
  const errs: FieldError[] = [];
  const resource = str(fs.resource);
  if (volume && str(fs.containerName) === '') {
    errs.push(required(child(path, 'containerName')));
  } else if (resource === '') {
    errs.push(required(child(path, 'resource')));
  } else if (
    !RESOURCE_FIELD_PATHS.includes(resource) &&
    !resource.startsWith('limits.hugepages-') &&
    !resource.startsWith('requests.hugepages-')
  ) {
    errs.push(notSupported(child(path, 'resource'), resource, RESOURCE_FIELD_PATHS));
  }
  return errs.concat(validateDivisor(resource, fs.divisor, path));
}

function validateKeySelector(selValue: unknown, path: string): FieldError[] {
  const sel = obj(selValue) ?? {};
  const errs = nameIsDNSSubdomain(str(sel.name), false).map((m) =>
    invalid(child(path, 'name'), str(sel.name), m),
  );
  const k = str(sel.key);
  if (k === '') errs.push(required(child(path, 'key')));
  else for (const m of isConfigMapKey(k)) errs.push(invalid(child(path, 'key'), k, m));
  return errs;
}

function validateValueFrom(ev: Record<string, unknown>, path: string): FieldError[] {
  const from = obj(ev.valueFrom);
  if (!from) return [];
  const errs: FieldError[] = [];
  let n = 0;
  if (from.fieldRef !== undefined && from.fieldRef !== null) {
    n++;
    errs.push(
      ...validateObjectFieldSelector(from.fieldRef, ENV_FIELD_PATHS, child(path, 'fieldRef')),
    );
  }
  if (from.resourceFieldRef !== undefined && from.resourceFieldRef !== null) {
    n++;
    errs.push(
      ...validateResourceFieldSelector(
        from.resourceFieldRef,
        child(path, 'resourceFieldRef'),
        false,
      ),
    );
  }
  if (from.configMapKeyRef !== undefined && from.configMapKeyRef !== null) {
    n++;
    errs.push(...validateKeySelector(from.configMapKeyRef, child(path, 'configMapKeyRef')));
  }
  if (from.secretKeyRef !== undefined && from.secretKeyRef !== null) {
    n++;
    errs.push(...validateKeySelector(from.secretKeyRef, child(path, 'secretKeyRef')));
  }
  if (n === 0) {
    errs.push(
      invalid(
        path,
        '',
        'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`',
      ),
    );
  } else if (str(ev.value) !== '') {
    errs.push(invalid(path, '', 'may not be specified when `value` is not empty'));
  } else if (n > 1) {
    errs.push(invalid(path, '', 'may not have more than one field specified at a time'));
  }
  return errs;
}

export function validateEnv(env: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  objs(env).forEach((ev, i) => {
    const ip = index(path, i);
    const name = str(ev.name);
    if (name === '') errs.push(required(child(ip, 'name')));
    else for (const m of isRelaxedEnvVarName(name)) errs.push(invalid(child(ip, 'name'), name, m));
    errs.push(...validateValueFrom(ev, child(ip, 'valueFrom')));
  });
  return errs;
}

export function validateEnvFrom(envFrom: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  objs(envFrom).forEach((ev, i) => {
    const ip = index(path, i);
    const prefix = str(ev.prefix);
    if (prefix !== '')
      for (const m of isRelaxedEnvVarName(prefix))
        errs.push(invalid(child(ip, 'prefix'), prefix, m));
    let n = 0;
    for (const kind of ['configMapRef', 'secretRef'] as const) {
      const ref = obj(ev[kind]);
      if (!ref) continue;
      n++;
      const name = str(ref.name);
      if (name === '') errs.push(required(child(ip, kind, 'name')));
      else
        for (const m of nameIsDNSSubdomain(name, true))
          errs.push(invalid(child(ip, kind, 'name'), name, m));
    }
    if (n === 0) errs.push(invalid(path, '', 'must specify one of: `configMapRef` or `secretRef`'));
    else if (n > 1)
      errs.push(invalid(path, '', 'may not have more than one field specified at a time'));
  });
  return errs;
}
