// rbac.authorization.k8s.io/v1. Names only need to be usable path segments.

import type { FieldError } from '../types.ts';
import { arr, index, invalid, notSupported, obj, objs, required, str, type Obj } from './field.ts';
import { goQuote, goRaw, goSlice } from './go-format.ts';
import { nameIsDNSSubdomain, pathSegmentName } from './names.ts';
import { validateObjectMeta, validateObjectMetaUpdate } from './objectmeta.ts';
import { labelSelectorAsSelector, validateLabelSelector } from './selector.ts';

export const RBAC_GROUP = 'rbac.authorization.k8s.io';

function validatePolicyRule(rule: Obj, namespaced: boolean, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (arr(rule.verbs).length === 0)
    errs.push(required(`${path}.verbs`, 'verbs must contain at least one value'));
  const urls = arr(rule.nonResourceURLs).map(str);
  if (urls.length > 0) {
    if (namespaced) {
      errs.push(
        invalid(
          `${path}.nonResourceURLs`,
          goSlice(urls),
          'namespaced rules cannot apply to non-resource URLs',
        ),
      );
    }
    if (
      arr(rule.apiGroups).length > 0 ||
      arr(rule.resources).length > 0 ||
      arr(rule.resourceNames).length > 0
    ) {
      errs.push(
        invalid(
          `${path}.nonResourceURLs`,
          goSlice(urls),
          'rules cannot apply to both regular resources and non-resource URLs',
        ),
      );
    }
    return errs;
  }
  if (arr(rule.apiGroups).length === 0) {
    errs.push(required(`${path}.apiGroups`, 'resource rules must supply at least one api group'));
  }
  if (arr(rule.resources).length === 0) {
    errs.push(required(`${path}.resources`, 'resource rules must supply at least one resource'));
  }
  return errs;
}

function validateRole(role: Obj, namespaced: boolean): FieldError[] {
  const errs = validateObjectMeta(role.metadata, namespaced, pathSegmentName);
  objs(role.rules).forEach((r, i) =>
    errs.push(...validatePolicyRule(r, namespaced, index('rules', i))),
  );
  const agg = obj(role.aggregationRule);
  if (!namespaced && agg) {
    const selectors = arr(agg.clusterRoleSelectors);
    if (selectors.length === 0) {
      errs.push(
        required(
          'aggregationRule.clusterRoleSelectors',
          'at least one clusterRoleSelector required if aggregationRule is non-nil',
        ),
      );
    }
    selectors.forEach((s, i) => {
      const p = index('aggregationRule.clusterRoleSelectors', i);
      errs.push(...validateLabelSelector(s, p));
      if (!labelSelectorAsSelector(s))
        errs.push(invalid(p, goRaw('labels.internalSelector(nil)'), 'invalid label selector.'));
    });
  }
  return errs;
}

function validateSubject(s: Obj, namespaced: boolean, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(s.name);
  const apiGroup = str(s.apiGroup);
  if (name === '') errs.push(required(`${path}.name`));
  switch (str(s.kind)) {
    case 'ServiceAccount':
      if (name !== '')
        for (const m of nameIsDNSSubdomain(name, false))
          errs.push(invalid(`${path}.name`, name, m));
      if (apiGroup !== '') errs.push(notSupported(`${path}.apiGroup`, apiGroup, ['']));
      if (!namespaced && str(s.namespace) === '') errs.push(required(`${path}.namespace`));
      break;
    case 'User':
    case 'Group':
      if (apiGroup !== RBAC_GROUP)
        errs.push(notSupported(`${path}.apiGroup`, apiGroup, [RBAC_GROUP]));
      break;
    default:
      errs.push(notSupported(`${path}.kind`, str(s.kind), ['ServiceAccount', 'User', 'Group']));
  }
  return errs;
}

function validateBinding(b: Obj, namespaced: boolean): FieldError[] {
  const errs = validateObjectMeta(b.metadata, namespaced, pathSegmentName);
  const ref = obj(b.roleRef) ?? {};
  if (str(ref.apiGroup) !== RBAC_GROUP)
    errs.push(notSupported('roleRef.apiGroup', str(ref.apiGroup), [RBAC_GROUP]));
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  if (!kinds.includes(str(ref.kind))) errs.push(notSupported('roleRef.kind', str(ref.kind), kinds));
  const name = str(ref.name);
  if (name === '') errs.push(required('roleRef.name'));
  else for (const m of pathSegmentName(name, false)) errs.push(invalid('roleRef.name', name, m));
  objs(b.subjects).forEach((s, i) =>
    errs.push(...validateSubject(s, namespaced, index('subjects', i))),
  );
  return errs;
}

export function validateRbacCreate(kind: string, o: Obj): FieldError[] {
  const namespaced = !kind.startsWith('Cluster');
  return kind.endsWith('Binding') ? validateBinding(o, namespaced) : validateRole(o, namespaced);
}

export function validateRbacUpdate(kind: string, o: Obj, old: Obj): FieldError[] {
  const errs = validateRbacCreate(kind, o).concat(
    validateObjectMetaUpdate(o.metadata, old.metadata),
  );
  if (kind.endsWith('Binding')) {
    const ref = obj(o.roleRef) ?? {};
    const oldRef = obj(old.roleRef) ?? {};
    if (['apiGroup', 'kind', 'name'].some((f) => str(ref[f]) !== str(oldRef[f]))) {
      const shown = goRaw(
        `rbac.RoleRef{APIGroup:${goQuote(str(ref.apiGroup))}, Kind:${goQuote(str(ref.kind))}, Name:${goQuote(str(ref.name))}}`,
      );
      errs.push(invalid('roleRef', shown, 'cannot change roleRef'));
    }
  }
  return errs;
}
