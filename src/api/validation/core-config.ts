// Namespaces, ConfigMaps, Secrets, ServiceAccounts and Events (core/v1 and events.k8s.io/v1).

import type { FieldError } from '../types.ts';
import {
  deepEqual,
  forbidden,
  invalid,
  isObj,
  key,
  num,
  obj,
  required,
  ROOT,
  sortedKeys,
  str,
  tooLong,
  type Obj,
} from './field.ts';
import {
  isConfigMapKey,
  isDNS1123Subdomain,
  isQualifiedName,
  nameIsDNSLabel,
  nameIsDNSSubdomain,
} from './names.ts';
import {
  validateImmutable,
  validateKubeFinalizerName,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from './objectmeta.ts';

export const MAX_SECRET_SIZE = 1024 * 1024;

export function validateNamespaceCreate(ns: Obj): FieldError[] {
  const errs = validateObjectMeta(ns.metadata, false, nameIsDNSLabel);
  for (const f of (obj(ns.spec)?.finalizers as unknown[] | undefined) ?? []) {
    const name = str(f);
    for (const m of isQualifiedName(name)) errs.push(invalid('spec.finalizers', name, m));
    errs.push(...validateKubeFinalizerName(name, 'spec.finalizers'));
  }
  return errs;
}

export function validateNamespaceUpdate(ns: Obj, old: Obj): FieldError[] {
  return validateObjectMetaUpdate(ns.metadata, old.metadata);
}

/** Bytes of a base64 value as Go's []byte holds it after decoding. */
function decodedLength(v: unknown): number {
  return typeof v === 'string' ? Buffer.from(v, 'base64').length : 0;
}

function decoded(v: unknown): string {
  return typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : '';
}

export function validateConfigMapCreate(cm: Obj): FieldError[] {
  const errs = validateObjectMeta(cm.metadata, true, nameIsDNSSubdomain);
  const data = obj(cm.data) ?? {};
  const binary = obj(cm.binaryData) ?? {};
  let total = 0;
  for (const k of sortedKeys(data)) {
    for (const m of isConfigMapKey(k)) errs.push(invalid(key('data', k), k, m));
    if (k in binary)
      errs.push(invalid(key('data', k), k, 'duplicate of key present in binaryData'));
    total += Buffer.byteLength(str(data[k]));
  }
  for (const k of sortedKeys(binary)) {
    for (const m of isConfigMapKey(k)) errs.push(invalid(key('binaryData', k), k, m));
    total += decodedLength(binary[k]);
  }
  if (total > MAX_SECRET_SIZE) errs.push(tooLong(ROOT, MAX_SECRET_SIZE));
  return errs;
}

const IMMUTABLE = 'field is immutable when `immutable` is set';

export function validateConfigMapUpdate(cm: Obj, old: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(cm.metadata, old.metadata);
  if (old.immutable === true) {
    if (cm.immutable !== true) errs.push(forbidden('immutable', IMMUTABLE));
    if (!deepEqual(cm.data ?? null, old.data ?? null)) errs.push(forbidden('data', IMMUTABLE));
    if (!deepEqual(cm.binaryData ?? null, old.binaryData ?? null))
      errs.push(forbidden('binaryData', IMMUTABLE));
  }
  return errs.concat(validateConfigMapCreate(cm));
}

function jsonError(text: string): string {
  try {
    JSON.parse(text);
    return '';
  } catch (e) {
    return (e as Error).message;
  }
}

export function validateSecretCreate(secret: Obj): FieldError[] {
  const meta = obj(secret.metadata) ?? {};
  const errs = validateObjectMeta(meta, true, nameIsDNSSubdomain);
  const data = obj(secret.data) ?? {};
  let total = 0;
  for (const k of sortedKeys(data)) {
    for (const m of isConfigMapKey(k)) errs.push(invalid(key('data', k), k, m));
    total += decodedLength(data[k]);
  }
  if (total > MAX_SECRET_SIZE) errs.push(tooLong('data', MAX_SECRET_SIZE));
  const has = (k: string) => k in data;
  switch (str(secret.type)) {
    case 'kubernetes.io/service-account-token':
      if (str(obj(meta.annotations)?.['kubernetes.io/service-account.name']) === '') {
        errs.push(required('metadata.annotations[kubernetes.io/service-account.name]'));
      }
      break;
    case 'kubernetes.io/dockercfg':
    case 'kubernetes.io/dockerconfigjson': {
      const k = secret.type === 'kubernetes.io/dockercfg' ? '.dockercfg' : '.dockerconfigjson';
      if (!has(k)) {
        errs.push(required(key('data', k)));
        break;
      }
      const err = jsonError(decoded(data[k]));
      if (err) errs.push(invalid(key('data', k), '<secret contents redacted>', err));
      break;
    }
    case 'kubernetes.io/basic-auth':
      if (!has('username') && !has('password')) {
        errs.push(required('data[username]'), required('data[password]'));
      }
      break;
    case 'kubernetes.io/ssh-auth':
      if (decodedLength(data['ssh-privatekey']) === 0) errs.push(required('data[ssh-privatekey]'));
      break;
    case 'kubernetes.io/tls':
      if (!has('tls.crt')) errs.push(required('data[tls.crt]'));
      if (!has('tls.key')) errs.push(required('data[tls.key]'));
      break;
  }
  return errs;
}

export function validateSecretUpdate(secret: Obj, old: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(secret.metadata, old.metadata);
  errs.push(...validateImmutable(str(secret.type), str(old.type), 'type'));
  if (old.immutable === true) {
    if (secret.immutable !== true) errs.push(forbidden('immutable', IMMUTABLE));
    if (!deepEqual(secret.data ?? null, old.data ?? null)) errs.push(forbidden('data', IMMUTABLE));
  }
  return errs.concat(validateSecretCreate(secret));
}

export function validateServiceAccountCreate(sa: Obj): FieldError[] {
  return validateObjectMeta(sa.metadata, true, nameIsDNSSubdomain);
}

export function validateServiceAccountUpdate(sa: Obj, old: Obj): FieldError[] {
  return validateObjectMetaUpdate(sa.metadata, old.metadata).concat(
    validateServiceAccountCreate(sa),
  );
}

/** The core/v1 Event view of an events.k8s.io/v1 Event (what the conversion produces). */
function coreEvent(ev: Obj, group: string): Obj {
  if (group !== 'events.k8s.io') return ev;
  return {
    ...ev,
    involvedObject: ev.regarding,
    message: ev.note,
    source: ev.deprecatedSource,
    firstTimestamp: ev.deprecatedFirstTimestamp,
    lastTimestamp: ev.deprecatedLastTimestamp,
    count: ev.deprecatedCount,
  };
}

const isSet = (v: unknown) => v !== undefined && v !== null && v !== '';

/** legacyValidateEvent: what every Event must satisfy, whichever API wrote it. */
function legacyValidateEvent(ev: Obj, group: string): FieldError[] {
  const errs: FieldError[] = [];
  const ns = str(obj(ev.metadata)?.namespace);
  const involvedNs = str(obj(ev.involvedObject)?.namespace);
  const controllerField = group === '' ? 'reportingComponent' : 'reportingController';
  const nsMismatch = () =>
    invalid('involvedObject.namespace', involvedNs, 'does not match event.namespace');
  if (!isSet(ev.eventTime)) {
    if (involvedNs === '') {
      if (ns !== '' && ns !== 'default') errs.push(nsMismatch());
    } else if (ns !== involvedNs) errs.push(nsMismatch());
  } else {
    if (involvedNs === '' && ns !== 'default' && ns !== 'kube-system') errs.push(nsMismatch());
    const controller = str(group === '' ? ev.reportingComponent : ev.reportingController);
    if (controller === '') errs.push(required(controllerField));
    for (const m of isQualifiedName(controller)) errs.push(invalid(controllerField, controller, m));
    const limits: [string, unknown, number][] = [
      ['reportingInstance', ev.reportingInstance, 128],
      ['action', ev.action, 128],
      ['reason', ev.reason, 128],
    ];
    for (const [f, v, max] of limits) {
      if (str(v) === '') errs.push(required(f));
      if (str(v).length > max) errs.push(invalid(f, '', `can have at most ${max} characters`));
    }
    if (str(ev.message).length > 1024)
      errs.push(invalid('message', '', 'can have at most 1024 characters'));
  }
  for (const m of isDNS1123Subdomain(ns)) errs.push(invalid('namespace', ns, m));
  return errs;
}

export function validateEventCreate(evValue: Obj, group: string): FieldError[] {
  const ev = coreEvent(evValue, group);
  const errs = legacyValidateEvent(ev, group);
  if (group === '') return errs;
  errs.push(...validateObjectMeta(ev.metadata, true, nameIsDNSSubdomain));
  if (!isSet(ev.eventTime)) errs.push(required('eventTime'));
  const type = str(ev.type);
  if (type !== 'Normal' && type !== 'Warning')
    errs.push(invalid('type', '', `has invalid value: ${type}`));
  if (isSet(ev.firstTimestamp)) errs.push(invalid('firstTimestamp', '', 'needs to be unset'));
  if (isSet(ev.lastTimestamp)) errs.push(invalid('lastTimestamp', '', 'needs to be unset'));
  if ((num(ev.count) ?? 0) !== 0) errs.push(invalid('count', '', 'needs to be unset'));
  const src = obj(ev.source);
  if (src && (str(src.component) !== '' || str(src.host) !== ''))
    errs.push(invalid('source', '', 'needs to be unset'));
  return errs;
}

export function validateEventUpdate(evValue: Obj, oldValue: Obj, group: string): FieldError[] {
  const ev = coreEvent(evValue, group);
  const old = coreEvent(oldValue, group);
  const errs = legacyValidateEvent(ev, group);
  if (group === '') return errs;
  errs.push(...validateObjectMetaUpdate(ev.metadata, old.metadata));
  for (const f of [
    'involvedObject',
    'reason',
    'message',
    'source',
    'firstTimestamp',
    'lastTimestamp',
    'count',
    'type',
    'eventTime',
    'action',
    'related',
    'reportingController',
    'reportingInstance',
  ]) {
    const v = ev[f] ?? null;
    errs.push(...validateImmutable(v, old[f] ?? null, f, isObj(v) ? null : v));
  }
  return errs;
}
