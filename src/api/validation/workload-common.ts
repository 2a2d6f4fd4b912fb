// Rules shared by the workload controllers: template labels against selectors, and
// int-or-percent rollout parameters.

import type { FieldError } from '../types.ts';
import { invalid, obj, type Obj } from './field.ts';
import { goIntOrString } from './go-format.ts';
import { isValidPercent } from './names.ts';
import { validateNonnegative } from './objectmeta.ts';

export const NOT_MATCH = '`selector` does not match template `labels`';

export function templateLabels(spec: Obj): unknown {
  return obj(obj(spec.template)?.metadata)?.labels;
}

function percent(v: unknown): number | undefined {
  return typeof v === 'string' && isValidPercent(v).length === 0
    ? Number(v.slice(0, -1))
    : undefined;
}

export function intOrPercentValue(v: unknown): number {
  return percent(v) ?? (typeof v === 'number' ? v : 0);
}

export function validatePositiveIntOrPercent(v: unknown, path: string): FieldError[] {
  if (typeof v === 'string')
    return isValidPercent(v).map((m) => invalid(path, goIntOrString(v), m));
  if (typeof v === 'number') return validateNonnegative(v, path);
  return [];
}

export function notMoreThan100(v: unknown, path: string): FieldError[] {
  const p = percent(v);
  return p !== undefined && p > 100
    ? [invalid(path, goIntOrString(v), 'must not be greater than 100%')]
    : [];
}
