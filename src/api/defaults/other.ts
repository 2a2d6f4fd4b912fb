// Defaults of the remaining groups: networking, discovery, rbac, storage, scheduling and
// autoscaling.

import {
  child,
  each,
  isAbsent,
  isObj,
  maybe,
  setDefault,
  setDefaultIfEmpty,
  type Obj,
} from './util.ts';

export function defaultNetworkPolicy(np: Obj): void {
  const spec = child(np, 'spec');
  for (const k of ['ingress', 'egress'])
    each(spec[k], (rule) => each(rule.ports, (p) => setDefault(p, 'protocol', 'TCP')));
  if (!Array.isArray(spec.policyTypes) || spec.policyTypes.length === 0) {
    spec.policyTypes =
      Array.isArray(spec.egress) && spec.egress.length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
  }
}

export function defaultIngressClass(ic: Obj): void {
  const params = maybe(maybe(ic, 'spec'), 'parameters');
  if (params) setDefault(params, 'scope', 'Cluster');
}

export function defaultEndpointSlice(es: Obj): void {
  each(es.ports, (p) => {
    setDefault(p, 'name', '');
    setDefault(p, 'protocol', 'TCP');
  });
}

const RBAC = 'rbac.authorization.k8s.io';

export function defaultRoleBinding(rb: Obj): void {
  setDefaultIfEmpty(child(rb, 'roleRef'), 'apiGroup', RBAC);
  each(rb.subjects, (s) => {
    if (!isAbsent(s.apiGroup) && s.apiGroup !== '') return;
    if (s.kind === 'ServiceAccount') s.apiGroup = '';
    else if (s.kind === 'User' || s.kind === 'Group') s.apiGroup = RBAC;
  });
}

export function defaultStorageClass(sc: Obj): void {
  setDefault(sc, 'reclaimPolicy', 'Delete');
  setDefault(sc, 'volumeBindingMode', 'Immediate');
}

export function defaultPriorityClass(pc: Obj): void {
  setDefault(pc, 'preemptionPolicy', 'PreemptLowerPriority');
}

const SCALE_UP = {
  stabilizationWindowSeconds: 0,
  selectPolicy: 'Max',
  policies: [
    { type: 'Pods', value: 4, periodSeconds: 15 },
    { type: 'Percent', value: 100, periodSeconds: 15 },
  ],
};
const SCALE_DOWN = {
  selectPolicy: 'Max',
  policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
};

function scalingRules(rules: unknown, defaults: Obj): Obj {
  const out: Obj = structuredClone(defaults);
  if (!isObj(rules)) return out;
  for (const k of ['selectPolicy', 'stabilizationWindowSeconds', 'policies'])
    if (!isAbsent(rules[k])) out[k] = rules[k];
  return out;
}

export function defaultHorizontalPodAutoscaler(hpa: Obj, version: string): void {
  const spec = child(hpa, 'spec');
  setDefault(spec, 'minReplicas', 1);
  if (version === 'v1') return;
  if (!Array.isArray(spec.metrics) || spec.metrics.length === 0) {
    spec.metrics = [
      {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } },
      },
    ];
  }
  const behavior = maybe(spec, 'behavior');
  if (behavior) {
    behavior.scaleUp = scalingRules(behavior.scaleUp, SCALE_UP);
    behavior.scaleDown = scalingRules(behavior.scaleDown, SCALE_DOWN);
  }
}
