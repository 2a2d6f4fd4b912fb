// Node selectors and pod affinity.

import type { FieldError } from '../types.ts';
import {
  arr,
  child,
  forbidden,
  index,
  invalid,
  num,
  obj,
  objs,
  required,
  str,
  type Obj,
} from './field.ts';
import { isValidLabelValue, nameIsDNSLabel, nameIsDNSSubdomain } from './names.ts';
import { validateLabelName } from './objectmeta.ts';
import { validateLabelSelector } from './selector.ts';

function validateNodeSelectorRequirement(
  rq: Obj,
  allowInvalidValue: boolean,
  path: string,
): FieldError[] {
  const errs: FieldError[] = [];
  const op = str(rq.operator);
  const values = arr(rq.values).map(str);
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
  } else if (op === 'Gt' || op === 'Lt') {
    if (values.length !== 1) {
      errs.push(
        required(
          child(path, 'values'),
          "must be specified single value when `operator` is 'Lt' or 'Gt'",
        ),
      );
    }
  } else {
    errs.push(invalid(child(path, 'operator'), op, 'not a valid selector operator'));
  }
  errs.push(...validateLabelName(str(rq.key), child(path, 'key')));
  if (!allowInvalidValue) {
    values.forEach((v, i) => {
      for (const m of isValidLabelValue(v))
        errs.push(invalid(index(child(path, 'values'), i), v, m));
    });
  }
  return errs;
}

function validateNodeFieldSelectorRequirement(rq: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const op = str(rq.operator);
  const values = arr(rq.values).map(str);
  if (op === 'In' || op === 'NotIn') {
    if (values.length !== 1) {
      errs.push(
        required(
          child(path, 'values'),
          "must be only one value when `operator` is 'In' or 'NotIn' for node field selector",
        ),
      );
    }
  } else {
    errs.push(invalid(child(path, 'operator'), op, 'not a valid selector operator'));
  }
  if (str(rq.key) !== 'metadata.name') {
    errs.push(invalid(child(path, 'key'), str(rq.key), 'not a valid field selector key'));
  } else {
    values.forEach((v, i) => {
      for (const m of nameIsDNSSubdomain(v, false))
        errs.push(invalid(index(child(path, 'values'), i), v, m));
    });
  }
  return errs;
}

export function validateNodeSelectorTerm(
  term: Obj,
  allowInvalidValue: boolean,
  path: string,
): FieldError[] {
  const errs: FieldError[] = [];
  objs(term.matchExpressions).forEach((r, j) =>
    errs.push(
      ...validateNodeSelectorRequirement(
        r,
        allowInvalidValue,
        index(child(path, 'matchExpressions'), j),
      ),
    ),
  );
  objs(term.matchFields).forEach((r, j) =>
    errs.push(...validateNodeFieldSelectorRequirement(r, index(child(path, 'matchFields'), j))),
  );
  return errs;
}

export function validateNodeSelector(sel: Obj, path: string): FieldError[] {
  const termsPath = child(path, 'nodeSelectorTerms');
  const terms = objs(sel.nodeSelectorTerms);
  if (terms.length === 0) return [required(termsPath, 'must have at least one node selector term')];
  return terms.flatMap((t, i) => validateNodeSelectorTerm(t, false, index(termsPath, i)));
}

function validatePodAffinityTerm(term: Obj, path: string): FieldError[] {
  const errs = validateLabelSelector(term.labelSelector, child(path, 'labelSelector'));
  errs.push(...validateLabelSelector(term.namespaceSelector, child(path, 'namespaceSelector')));
  for (const ns of arr(term.namespaces).map(str)) {
    for (const m of nameIsDNSLabel(ns, false)) errs.push(invalid(child(path, 'namespace'), ns, m));
  }
  for (const f of ['matchLabelKeys', 'mismatchLabelKeys']) {
    arr(term[f]).forEach((k, i) =>
      errs.push(...validateLabelName(str(k), index(child(path, f), i))),
    );
  }
  const topologyKey = str(term.topologyKey);
  if (topologyKey === '') errs.push(required(child(path, 'topologyKey'), 'can not be empty'));
  return errs.concat(validateLabelName(topologyKey, child(path, 'topologyKey')));
}

function validateWeight(w: unknown, path: string): FieldError[] {
  const n = num(w) ?? 0;
  return n <= 0 || n > 100 ? [invalid(path, n, 'must be in the range 1-100')] : [];
}

function validatePodAffinityLike(a: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const reqPath = child(path, 'requiredDuringSchedulingIgnoredDuringExecution');
  objs(a.requiredDuringSchedulingIgnoredDuringExecution).forEach((t, i) =>
    errs.push(...validatePodAffinityTerm(t, index(reqPath, i))),
  );
  const prefPath = child(path, 'preferredDuringSchedulingIgnoredDuringExecution');
  objs(a.preferredDuringSchedulingIgnoredDuringExecution).forEach((t, i) => {
    errs.push(...validateWeight(t.weight, child(index(prefPath, i), 'weight')));
    errs.push(
      ...validatePodAffinityTerm(
        obj(t.podAffinityTerm) ?? {},
        child(index(prefPath, i), 'podAffinityTerm'),
      ),
    );
  });
  return errs;
}

export function validateAffinity(value: unknown, path: string): FieldError[] {
  const a = obj(value);
  if (!a) return [];
  const errs: FieldError[] = [];
  const na = obj(a.nodeAffinity);
  if (na) {
    const np = child(path, 'nodeAffinity');
    const req = obj(na.requiredDuringSchedulingIgnoredDuringExecution);
    if (req)
      errs.push(
        ...validateNodeSelector(req, child(np, 'requiredDuringSchedulingIgnoredDuringExecution')),
      );
    const pp = child(np, 'preferredDuringSchedulingIgnoredDuringExecution');
    objs(na.preferredDuringSchedulingIgnoredDuringExecution).forEach((t, i) => {
      errs.push(...validateWeight(t.weight, child(index(pp, i), 'weight')));
      errs.push(
        ...validateNodeSelectorTerm(
          obj(t.preference) ?? {},
          true,
          child(index(pp, i), 'preference'),
        ),
      );
    });
  }
  const pa = obj(a.podAffinity);
  if (pa) errs.push(...validatePodAffinityLike(pa, child(path, 'podAffinity')));
  const paa = obj(a.podAntiAffinity);
  if (paa) errs.push(...validatePodAffinityLike(paa, child(path, 'podAntiAffinity')));
  return errs;
}
