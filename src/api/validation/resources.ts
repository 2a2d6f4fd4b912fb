// Resource names and quantities: the helpers of pkg/apis/core/helper and the
// ResourceRequirements checks of core validation.

import type { FieldError } from '../types.ts';
import {
  arr,
  child,
  duplicate,
  forbidden,
  index,
  invalid,
  key,
  notFound,
  obj,
  required,
  sortedKeys,
  str,
} from './field.ts';
import { goRaw } from './go-format.ts';
import { IS_NEGATIVE_ERROR } from './objectmeta.ts';
import { isQualifiedName } from './names.ts';
import {
  compareQuantities,
  formatQuantity,
  milliValue,
  parseQuantity,
  type Quantity,
} from '../quantity.ts';

const STANDARD_RESOURCES = new Set([
  'cpu',
  'memory',
  'ephemeral-storage',
  'requests.cpu',
  'requests.memory',
  'requests.ephemeral-storage',
  'limits.cpu',
  'limits.memory',
  'limits.ephemeral-storage',
  'pods',
  'resourcequotas',
  'services',
  'replicationcontrollers',
  'secrets',
  'configmaps',
  'persistentvolumeclaims',
  'storage',
  'requests.storage',
  'services.nodeports',
  'services.loadbalancers',
]);
const INTEGER_RESOURCES = new Set([
  'pods',
  'resourcequotas',
  'services',
  'replicationcontrollers',
  'secrets',
  'configmaps',
  'persistentvolumeclaims',
  'services.nodeports',
  'services.loadbalancers',
]);

export const isHugePageResourceName = (n: string) => n.startsWith('hugepages-');

export function isNativeResource(n: string): boolean {
  return !n.includes('/') || n.includes('kubernetes.io/');
}

export function isExtendedResourceName(n: string): boolean {
  if (isNativeResource(n) || n.startsWith('requests.')) return false;
  return isQualifiedName('requests.' + n).length === 0;
}

export function isStandardResourceName(n: string): boolean {
  return (
    STANDARD_RESOURCES.has(n) || n.startsWith('hugepages-') || n.startsWith('requests.hugepages-')
  );
}

export function isStandardContainerResourceName(n: string): boolean {
  return n === 'cpu' || n === 'memory' || n === 'ephemeral-storage' || isHugePageResourceName(n);
}

export function isOvercommitAllowed(n: string): boolean {
  return isNativeResource(n) && !isHugePageResourceName(n);
}

export function isIntegerResourceName(n: string): boolean {
  return INTEGER_RESOURCES.has(n) || isExtendedResourceName(n);
}

/** A Quantity as field.Error prints a resource.Quantity struct (%#v). */
export function goQuantity(q: Quantity): unknown {
  let value = q.nanos;
  let scale = -9;
  while (value !== 0n && value % 10n === 0n) {
    value /= 10n;
    scale++;
  }
  return goRaw(
    `resource.Quantity{i:resource.int64Amount{value:${value}, scale:${scale}}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:"", Format:"${q.format}"}`,
  );
}

/**
 * Parses a quantity in a JSON object; an unparseable one is reported at `path` with
 * apimachinery's parse message (Kubernetes refuses it while decoding, with a 400).
 */
export function quantityAt(v: unknown, path: string, errs: FieldError[]): Quantity | undefined {
  try {
    if (typeof v === 'string' || typeof v === 'number') return parseQuantity(String(v));
    errs.push(invalid(path, v ?? null, 'must be a quantity'));
  } catch (e) {
    errs.push(invalid(path, v ?? null, (e as Error).message));
  }
  return undefined;
}

export function validateNonnegativeQuantity(q: Quantity, path: string): FieldError[] {
  return q.nanos < 0n ? [invalid(path, formatQuantity(q), IS_NEGATIVE_ERROR)] : [];
}

export function validatePositiveQuantity(q: Quantity, path: string): FieldError[] {
  return q.nanos <= 0n ? [invalid(path, formatQuantity(q), 'must be greater than zero')] : [];
}

export function validateResourceQuantityValue(
  name: string,
  q: Quantity,
  path: string,
): FieldError[] {
  const errs = validateNonnegativeQuantity(q, path);
  if (isIntegerResourceName(name) && milliValue(q) % 1000n !== 0n) {
    errs.push(invalid(path, goQuantity(q), 'must be an integer'));
  }
  return errs;
}

/** validateResourceName: qualified, and standard unless it has a domain. */
export function validateResourceName(name: string, path: string): FieldError[] {
  const errs = isQualifiedName(name).map((m) => invalid(path, goRaw(name), m));
  if (errs.length > 0) return errs;
  if (!name.includes('/') && !isStandardResourceName(name)) {
    errs.push(invalid(path, goRaw(name), 'must be a standard resource type or fully qualified'));
  }
  return errs;
}

export function validateContainerResourceName(name: string, path: string): FieldError[] {
  const errs = validateResourceName(name, path);
  if (!name.includes('/')) {
    if (!isStandardContainerResourceName(name)) {
      errs.push(invalid(path, goRaw(name), 'must be a standard resource for containers'));
    }
  } else if (!isNativeResource(name) && !isExtendedResourceName(name)) {
    errs.push(invalid(path, goRaw(name), "doesn't follow extended resource name standard"));
  }
  return errs;
}

function hugePageSize(name: string): Quantity | undefined {
  try {
    return parseQuantity(name.slice('hugepages-'.length));
  } catch {
    return undefined;
  }
}

function hugePageError(name: string, q: Quantity): string {
  const size = hugePageSize(name);
  if (!size || size.nanos <= 0n || q.nanos % size.nanos !== 0n) {
    return `${formatQuantity(q)} is not positive integer multiple of ${name}`;
  }
  return '';
}

/** validateResourceRequirements for a container (or pod overhead when `claimNames` is null). */
export function validateContainerResources(
  resources: unknown,
  claimNames: Set<string> | null,
  path: string,
): FieldError[] {
  const r = obj(resources) ?? {};
  const errs: FieldError[] = [];
  const limPath = child(path, 'limits');
  const reqPath = child(path, 'requests');
  const limits = new Map<string, Quantity>();
  let limCpuMem = false;
  let reqCpuMem = false;
  let hugePages = false;
  const lim = obj(r.limits) ?? {};
  for (const name of sortedKeys(lim)) {
    const fp = key(limPath, name);
    errs.push(...validateContainerResourceName(name, fp));
    const q = quantityAt(lim[name], fp, errs);
    if (!q) continue;
    limits.set(name, q);
    errs.push(...validateResourceQuantityValue(name, q, fp));
    if (isHugePageResourceName(name)) {
      hugePages = true;
      const m = hugePageError(name, q);
      if (m) errs.push(invalid(fp, formatQuantity(q), m));
    }
    if (name === 'cpu' || name === 'memory') limCpuMem = true;
  }
  const req = obj(r.requests) ?? {};
  for (const name of sortedKeys(req)) {
    const fp = key(reqPath, name);
    errs.push(...validateContainerResourceName(name, fp));
    const q = quantityAt(req[name], fp, errs);
    if (!q) continue;
    errs.push(...validateResourceQuantityValue(name, q, fp));
    const limit = limits.get(name);
    if (limit) {
      const cmp = compareQuantities(q, limit);
      if (cmp !== 0 && !isOvercommitAllowed(name)) {
        errs.push(
          invalid(
            reqPath,
            formatQuantity(q),
            `must be equal to ${name} limit of ${formatQuantity(limit)}`,
          ),
        );
      } else if (cmp > 0) {
        errs.push(
          invalid(
            reqPath,
            formatQuantity(q),
            `must be less than or equal to ${name} limit of ${formatQuantity(limit)}`,
          ),
        );
      }
    } else if (!isOvercommitAllowed(name) && !(name in lim)) {
      errs.push(required(limPath, 'Limit must be set for non overcommitable resources'));
    }
    if (isHugePageResourceName(name)) {
      hugePages = true;
      const m = hugePageError(name, q);
      if (m) errs.push(invalid(fp, formatQuantity(q), m));
    }
    if (name === 'cpu' || name === 'memory') reqCpuMem = true;
  }
  if (!limCpuMem && !reqCpuMem && hugePages) {
    errs.push(forbidden(path, 'HugePages require cpu or memory'));
  }
  if (claimNames)
    errs.push(...validateResourceClaimNames(r.claims, claimNames, child(path, 'claims')));
  return errs;
}

function validateResourceClaimNames(
  claims: unknown,
  podClaims: Set<string>,
  path: string,
): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  arr(claims).forEach((c, i) => {
    const name = str(obj(c)?.name);
    if (name === '') {
      errs.push(required(index(path, i)));
      return;
    }
    if (seen.has(name)) errs.push(duplicate(index(path, i), name));
    seen.add(name);
    if (!podClaims.has(name)) {
      const list = [...podClaims].sort();
      errs.push(
        notFound(
          index(path, i),
          name,
          'must be one of the names in pod.spec.resourceClaims' +
            (list.length === 0 ? ' which is empty' : ': ' + list.join(', ')),
        ),
      );
    }
  });
  return errs;
}
