// Nodes, ResourceQuotas and LimitRanges.

import type { FieldError } from '../types.ts';
import {
  arr,
  child,
  duplicate,
  forbidden,
  index,
  invalid,
  key,
  obj,
  objs,
  required,
  sortedKeys,
  str,
  type Obj,
} from './field.ts';
import { goQuote, goRaw, goSlice } from './go-format.ts';
import { nameIsDNSSubdomain, isQualifiedName } from './names.ts';
import { validateImmutable, validateObjectMeta, validateObjectMetaUpdate } from './objectmeta.ts';
import {
  goQuantity,
  isOvercommitAllowed,
  quantityAt,
  validateContainerResourceName,
  validateResourceName,
  validateResourceQuantityValue,
} from './resources.ts';
import { compareQuantities, formatQuantity, type Quantity } from '../quantity.ts';

const QUOTA_RESOURCES = new Set([
  'cpu',
  'memory',
  'ephemeral-storage',
  'requests.cpu',
  'requests.memory',
  'requests.storage',
  'requests.ephemeral-storage',
  'limits.cpu',
  'limits.memory',
  'limits.ephemeral-storage',
  'pods',
  'resourcequotas',
  'services',
  'replicationcontrollers',
  'secrets',
  'persistentvolumeclaims',
  'configmaps',
  'services.nodeports',
  'services.loadbalancers',
]);
const QUOTA_SCOPES = [
  'Terminating',
  'NotTerminating',
  'BestEffort',
  'NotBestEffort',
  'PriorityClass',
  'CrossNamespacePodAffinity',
  'VolumeAttributesClass',
];

function validateQuotaResourceName(name: string, path: string): FieldError[] {
  const errs = validateResourceName(name, path);
  const quotaName =
    QUOTA_RESOURCES.has(name) ||
    name.startsWith('hugepages-') ||
    name.startsWith('requests.hugepages-');
  if (!name.includes('/') && !quotaName)
    errs.push(invalid(path, goRaw(name), 'must be a standard resource for quota'));
  return errs;
}

function validateQuotaList(list: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const l = obj(list) ?? {};
  for (const k of sortedKeys(l)) {
    const p = key(path, k);
    errs.push(...validateQuotaResourceName(k, p));
    const q = quantityAt(l[k], p, errs);
    if (q) errs.push(...validateResourceQuantityValue(k, q, p));
  }
  return errs;
}

function validateQuotaSpec(spec: Obj): FieldError[] {
  const errs = validateQuotaList(spec.hard, 'spec.hard');
  const scopes = arr(spec.scopes).map(str);
  const shown = goRaw(`[]core.ResourceQuotaScope{${scopes.map(goQuote).join(', ')}}`);
  for (const s of scopes)
    if (!QUOTA_SCOPES.includes(s)) errs.push(invalid('spec.scopes', shown, 'unsupported scope'));
  const conflicting = (a: string, b: string, set: string[]) => set.includes(a) && set.includes(b);
  if (
    conflicting('BestEffort', 'NotBestEffort', scopes) ||
    conflicting('Terminating', 'NotTerminating', scopes)
  ) {
    errs.push(invalid('spec.scopes', shown, 'conflicting scopes'));
  }
  const sel = obj(spec.scopeSelector);
  if (sel) {
    const mp = 'spec.scopeSelector.matchExpressions';
    for (const r of objs(sel.matchExpressions)) {
      const scope = str(r.scopeName);
      const op = str(r.operator);
      const values = arr(r.values);
      if (!QUOTA_SCOPES.includes(scope))
        errs.push(invalid(`${mp}.scopeName`, scope, 'unsupported scope'));
      if (
        [
          'BestEffort',
          'NotBestEffort',
          'Terminating',
          'NotTerminating',
          'CrossNamespacePodAffinity',
        ].includes(scope) &&
        op !== 'Exists'
      ) {
        errs.push(
          invalid(
            `${mp}.operator`,
            op,
            "must be 'Exists' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity",
          ),
        );
      }
      if (op === 'In' || op === 'NotIn') {
        if (values.length === 0) {
          errs.push(
            required(
              `${mp}.values`,
              "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector",
            ),
          );
        }
      } else if (op === 'Exists' || op === 'DoesNotExist') {
        if (values.length !== 0) {
          errs.push(
            invalid(
              `${mp}.values`,
              goSlice(values.map(str)),
              "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector",
            ),
          );
        }
      } else {
        errs.push(invalid(`${mp}.operator`, op, 'not a valid selector operator'));
      }
    }
  }
  return errs;
}

export function validateResourceQuotaCreate(rq: Obj): FieldError[] {
  const errs = validateObjectMeta(rq.metadata, true, nameIsDNSSubdomain);
  errs.push(...validateQuotaSpec(obj(rq.spec) ?? {}));
  const status = obj(rq.status) ?? {};
  errs.push(
    ...validateQuotaList(status.hard, 'status.hard'),
    ...validateQuotaList(status.used, 'status.used'),
  );
  return errs;
}

export function validateResourceQuotaUpdate(rq: Obj, old: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(rq.metadata, old.metadata);
  errs.push(...validateQuotaSpec(obj(rq.spec) ?? {}));
  const scopes = [...new Set(arr(obj(rq.spec)?.scopes).map(str))].sort();
  const oldScopes = [...new Set(arr(obj(old.spec)?.scopes).map(str))].sort();
  const shown = goRaw(
    `[]core.ResourceQuotaScope{${arr(obj(rq.spec)?.scopes)
      .map((s) => goQuote(str(s)))
      .join(', ')}}`,
  );
  errs.push(...validateImmutable(scopes, oldScopes, 'spec.scopes', shown));
  return errs;
}

const LIMIT_TYPES = new Set(['Pod', 'Container', 'PersistentVolumeClaim']);

function validateLimitItem(item: Obj, path: string, seenTypes: Set<string>): FieldError[] {
  const errs: FieldError[] = [];
  const type = str(item.type);
  const tp = child(path, 'type');
  const typeErrs = isQualifiedName(type).map((m) => invalid(tp, goRaw(type), m));
  if (typeErrs.length === 0 && !type.includes('/') && !LIMIT_TYPES.has(type)) {
    typeErrs.push(invalid(tp, goRaw(type), 'must be a standard limit type or fully qualified'));
  }
  errs.push(...typeErrs);
  if (seenTypes.has(type)) errs.push(duplicate(tp, goRaw(type)));
  seenTypes.add(type);
  const nameFn =
    type === 'Pod' || type === 'Container' ? validateContainerResourceName : validateResourceName;
  const lists: Record<string, Map<string, Quantity>> = {};
  const read = (f: string) => {
    lists[f] = new Map();
    const l = obj(item[f]) ?? {};
    for (const k of sortedKeys(l)) {
      const p = key(child(path, f), k);
      errs.push(...nameFn(k, p));
      const q = quantityAt(l[k], p, errs);
      if (q) lists[f].set(k, q);
    }
  };
  read('max');
  read('min');
  if (type === 'Pod') {
    if (Object.keys(obj(item.default) ?? {}).length > 0)
      errs.push(forbidden(child(path, 'default'), "may not be specified when `type` is 'Pod'"));
    if (Object.keys(obj(item.defaultRequest) ?? {}).length > 0) {
      errs.push(
        forbidden(child(path, 'defaultRequest'), "may not be specified when `type` is 'Pod'"),
      );
    }
    lists.default = new Map();
    lists.defaultRequest = new Map();
  } else {
    read('default');
    read('defaultRequest');
  }
  if (type === 'PersistentVolumeClaim' && !lists.min.has('storage') && !lists.max.has('storage')) {
    errs.push(
      required(
        child(path, 'limits'),
        'either minimum or maximum storage value is required, but neither was provided',
      ),
    );
  }
  read('maxLimitRequestRatio');
  const keys = new Set(Object.values(lists).flatMap((m) => [...m.keys()]));
  const s = formatQuantity;
  for (const k of [...keys].sort()) {
    const min = lists.min.get(k);
    const max = lists.max.get(k);
    const def = lists.default.get(k);
    const defReq = lists.defaultRequest.get(k);
    const ratio = lists.maxLimitRequestRatio.get(k);
    const gt = (a?: Quantity, b?: Quantity) =>
      a !== undefined && b !== undefined && compareQuantities(a, b) > 0;
    if (gt(min, max))
      errs.push(
        invalid(
          key(child(path, 'min'), k),
          goQuantity(min!),
          `min value ${s(min!)} is greater than max value ${s(max!)}`,
        ),
      );
    if (gt(min, defReq))
      errs.push(
        invalid(
          key(child(path, 'defaultRequest'), k),
          goQuantity(defReq!),
          `min value ${s(min!)} is greater than default request value ${s(defReq!)}`,
        ),
      );
    if (gt(defReq, max))
      errs.push(
        invalid(
          key(child(path, 'defaultRequest'), k),
          goQuantity(defReq!),
          `default request value ${s(defReq!)} is greater than max value ${s(max!)}`,
        ),
      );
    if (gt(defReq, def))
      errs.push(
        invalid(
          key(child(path, 'defaultRequest'), k),
          goQuantity(defReq!),
          `default request value ${s(defReq!)} is greater than default limit value ${s(def!)}`,
        ),
      );
    if (gt(min, def))
      errs.push(
        invalid(
          key(child(path, 'default'), k),
          goQuantity(min!),
          `min value ${s(min!)} is greater than default value ${s(def!)}`,
        ),
      );
    if (gt(def, max))
      errs.push(
        invalid(
          key(child(path, 'default'), k),
          goQuantity(max!),
          `default value ${s(def!)} is greater than max value ${s(max!)}`,
        ),
      );
    if (ratio && ratio.nanos < 1_000_000_000n) {
      errs.push(
        invalid(
          key(child(path, 'maxLimitRequestRatio'), k),
          goQuantity(ratio),
          `ratio ${s(ratio)} is less than 1`,
        ),
      );
    }
    if (!isOvercommitAllowed(k) && def && defReq && compareQuantities(def, defReq) !== 0) {
      errs.push(
        invalid(
          key(child(path, 'defaultRequest'), k),
          goQuantity(defReq),
          `default value ${s(def)} must equal to defaultRequest value ${s(defReq)} in ${k}`,
        ),
      );
    }
  }
  return errs;
}

export function validateLimitRangeCreate(lr: Obj): FieldError[] {
  const errs = validateObjectMeta(lr.metadata, true, nameIsDNSSubdomain);
  const seen = new Set<string>();
  objs(obj(lr.spec)?.limits).forEach((item, i) =>
    errs.push(...validateLimitItem(item, index('spec.limits', i), seen)),
  );
  return errs;
}

export function validateLimitRangeUpdate(lr: Obj, old: Obj): FieldError[] {
  return validateObjectMetaUpdate(lr.metadata, old.metadata).concat(validateLimitRangeCreate(lr));
}
