// metav1.LabelSelector: validation (ValidateLabelSelector), conversion to a matcher
// (LabelSelectorAsSelector, which refuses what labels.NewRequirement refuses) and matching.

import type { FieldError } from '../types.ts';
import { arr, child, forbidden, index, invalid, isObj, obj, required, str } from './field.ts';
import { isQualifiedName, isValidLabelValue } from './names.ts';
import { validateLabelName, validateLabels } from './objectmeta.ts';

const OPERATORS = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist']);

export function validateLabelSelectorRequirement(
  expr: unknown,
  path: string,
  allowInvalidLabelValue = false,
): FieldError[] {
  const r = obj(expr) ?? {};
  const errs: FieldError[] = [];
  const op = str(r.operator);
  const values = arr(r.values).map(str);
  if (op === 'In' || op === 'NotIn') {
    if (values.length === 0) {
      errs.push(
        required(child(path, 'values'), "must be specified when `operator` is 'In' or 'NotIn'"),
      );
    }
  } else if (op === 'Exists' || op === 'DoesNotExist') {
    if (values.length > 0) {
      errs.push(
        forbidden(
          child(path, 'values'),
          "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
        ),
      );
    }
  } else {
    errs.push(invalid(child(path, 'operator'), op, 'not a valid selector operator'));
  }
  errs.push(...validateLabelName(str(r.key), child(path, 'key')));
  if (!allowInvalidLabelValue) {
    values.forEach((v, i) => {
      for (const m of isValidLabelValue(v))
        errs.push(invalid(index(child(path, 'values'), i), v, m));
    });
  }
  return errs;
}

export function validateLabelSelector(
  selector: unknown,
  path: string,
  allowInvalidLabelValue = false,
): FieldError[] {
  const sel = obj(selector);
  if (!sel) return [];
  const errs = validateLabels(sel.matchLabels, child(path, 'matchLabels'));
  arr(sel.matchExpressions).forEach((e, i) =>
    errs.push(
      ...validateLabelSelectorRequirement(
        e,
        index(child(path, 'matchExpressions'), i),
        allowInvalidLabelValue,
      ),
    ),
  );
  return errs;
}

export type LabelMatcher = (labels: Record<string, string>) => boolean;

export interface ConvertedSelector {
  matches: LabelMatcher;
  /** No requirements: labels.Everything() (callers usually skip matching then). */
  empty: boolean;
}

/**
 * LabelSelectorAsSelector: nil becomes labels.Nothing(), an empty selector
 * labels.Everything(); undefined is returned where Kubernetes reports a conversion error.
 */
export function labelSelectorAsSelector(selector: unknown): ConvertedSelector | undefined {
  if (selector === undefined || selector === null) return { matches: () => false, empty: false };
  const sel = obj(selector);
  if (!sel) return undefined;
  const checks: LabelMatcher[] = [];
  const matchLabels = obj(sel.matchLabels) ?? {};
  for (const k of Object.keys(matchLabels)) {
    const v = str(matchLabels[k]);
    if (isQualifiedName(k).length > 0 || isValidLabelValue(v).length > 0) return undefined;
    checks.push((l) => l[k] === v);
  }
  for (const e of arr(sel.matchExpressions)) {
    const r = obj(e) ?? {};
    const k = str(r.key);
    const op = str(r.operator);
    const values = arr(r.values).map(str);
    if (!OPERATORS.has(op) || isQualifiedName(k).length > 0) return undefined;
    if ((op === 'In' || op === 'NotIn') && values.length === 0) return undefined;
    if ((op === 'Exists' || op === 'DoesNotExist') && values.length > 0) return undefined;
    if (values.some((v) => isValidLabelValue(v).length > 0)) return undefined;
    if (op === 'In') checks.push((l) => k in l && values.includes(l[k]));
    if (op === 'NotIn') checks.push((l) => !(k in l) || !values.includes(l[k]));
    if (op === 'Exists') checks.push((l) => k in l);
    if (op === 'DoesNotExist') checks.push((l) => !(k in l));
  }
  return { matches: (l) => checks.every((c) => c(l)), empty: checks.length === 0 };
}

/** labels.Set(selectorMap).AsSelector().Matches(labels) for map selectors (RC, Service). */
export function mapSelectorMatches(selector: unknown, labels: unknown): boolean {
  const sel = isObj(selector) ? selector : {};
  const l = isObj(labels) ? labels : {};
  return Object.keys(sel).every((k) => k in l && str(l[k]) === str(sel[k]));
}

export function labelsOf(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isObj(v)) for (const k of Object.keys(v)) out[k] = str(v[k]);
  return out;
}
