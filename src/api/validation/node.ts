// core/v1 Node.

import type { FieldError } from '../types.ts';
import {
  arr,
  child,
  duplicate,
  forbidden,
  index,
  invalid,
  obj,
  objs,
  sortedKeys,
  str,
  type Obj,
} from './field.ts';
import { goQuote, goRaw, goSlice } from './go-format.ts';
import {
  isValidCIDRMessage,
  isValidLabelValue,
  nameIsDNSSubdomain,
  parseCIDRSloppy,
} from './names.ts';
import { validateLabelName, validateObjectMeta, validateObjectMetaUpdate } from './objectmeta.ts';
import { validateTaintEffect } from './pod-scheduling.ts';
import { quantityAt, validateResourceQuantityValue } from './resources.ts';

function validateTaints(taints: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const unique = new Map<string, Set<string>>();
  objs(taints).forEach((t, i) => {
    const ip = index(path, i);
    const k = str(t.key);
    const effect = str(t.effect);
    errs.push(...validateLabelName(k, child(ip, 'key')));
    const msgs = isValidLabelValue(str(t.value));
    if (msgs.length > 0) errs.push(invalid(child(ip, 'value'), str(t.value), msgs.join(';')));
    errs.push(...validateTaintEffect(effect, false, child(ip, 'effect')));
    if (unique.get(effect)?.has(k)) {
      const shown = goRaw(
        `core.Taint{Key:${goQuote(k)}, Value:${goQuote(str(t.value))}, Effect:${goQuote(effect)}, TimeAdded:(*v1.Time)(nil)}`,
      );
      errs.push({
        ...duplicate(ip, shown),
        detail: 'taints must be unique by key and effect pair',
      });
      return;
    }
    if (!unique.has(effect)) unique.set(effect, new Set());
    unique.get(effect)!.add(k);
  });
  return errs;
}

function validateNodeResources(node: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const status = obj(node.status) ?? {};
  for (const f of ['capacity', 'allocatable']) {
    const list = obj(status[f]) ?? {};
    for (const k of sortedKeys(list)) {
      const p = `status.${f}.${k}`;
      const q = quantityAt(list[k], p, errs);
      if (q) errs.push(...validateResourceQuantityValue(k, q, p));
    }
  }
  return errs;
}

export function validateNodeCreate(node: Obj): FieldError[] {
  const errs = validateObjectMeta(node.metadata, false, nameIsDNSSubdomain);
  const spec = obj(node.spec) ?? {};
  errs.push(...validateTaints(spec.taints, 'metadata.taints'));
  errs.push(...validateNodeResources(node));
  const cidrs = arr(spec.podCIDRs).map(str);
  cidrs.forEach((c, i) => {
    for (const m of isValidCIDRMessage(c)) errs.push(invalid(index('spec.podCIDRs', i), c, m));
  });
  if (cidrs.length > 1) {
    const families = new Set(cidrs.map(parseCIDRSloppy));
    if (families.size !== cidrs.length || cidrs.length > 2) {
      errs.push(
        invalid(
          'spec.podCIDRs',
          goSlice(cidrs),
          'may specify no more than one CIDR for each IP family',
        ),
      );
    }
    const seen = new Set<string>();
    cidrs.forEach((c, i) => {
      if (seen.has(c)) errs.push(duplicate(index('spec.podCIDRs', i), c));
      seen.add(c);
    });
  }
  return errs;
}

/** ValidateNodeUpdate, which Kubernetes also uses for node status updates. */
export function validateNodeUpdate(node: Obj, old: Obj): FieldError[] {
  const spec = obj(node.spec) ?? {};
  const oldSpec = obj(old.spec) ?? {};
  const errs = validateObjectMetaUpdate(node.metadata, old.metadata);
  errs.push(...validateNodeResources(node));
  const seen = new Set<string>();
  objs(obj(node.status)?.addresses).forEach((a, i) => {
    const k = JSON.stringify([str(a.type), str(a.address)]);
    if (seen.has(k)) {
      errs.push(
        duplicate(
          index('status.addresses', i),
          goRaw(
            `core.NodeAddress{Type:${goQuote(str(a.type))}, Address:${goQuote(str(a.address))}}`,
          ),
        ),
      );
    }
    seen.add(k);
  });
  const oldCidrs = arr(oldSpec.podCIDRs).map(str);
  const cidrs = arr(spec.podCIDRs).map(str);
  const cidrMsg = 'node updates may not change podCIDR except from "" to valid';
  if (oldCidrs.length > 0) {
    if (oldCidrs.length !== cidrs.length) errs.push(forbidden('spec.podCIDRs', cidrMsg));
    else
      oldCidrs.forEach((c, i) => c !== cidrs[i] && errs.push(forbidden('spec.podCIDRs', cidrMsg)));
  }
  const oldProvider = str(oldSpec.providerID);
  if (oldProvider !== '' && oldProvider !== str(spec.providerID)) {
    errs.push(
      forbidden(
        'spec.providerID',
        'node updates may not change providerID except from "" to valid',
      ),
    );
  }
  errs.push(...validateTaints(spec.taints, 'metadata.taints'));
  if (str(spec.externalID) !== str(oldSpec.externalID))
    errs.push(forbidden('spec.externalID', 'may not be updated'));
  return errs;
}
