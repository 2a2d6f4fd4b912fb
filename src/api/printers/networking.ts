// networking.k8s.io/v1: ingresses, ingressclasses and networkpolicies.

import type { Printer } from '../types.ts';
import { age, ageCol, col, nameCol } from './columns.ts';
import { isSet, list, nameOf, rec, recs, str } from './fields.ts';
import { formatLabelSelector, loadBalancerString } from './format.ts';

/** HOSTS: up to three rule hosts, `*` when none is named. */
function formatHosts(rules: unknown): string {
  const all = recs(rules);
  const max = 3;
  const hosts: string[] = [];
  let more = false;
  for (const rule of all) {
    if (hosts.length === max) more = true;
    const host = str(rule.host);
    if (!more && host !== '') hosts.push(host);
  }
  if (hosts.length === 0) return '*';
  const text = hosts.join(',');
  return more ? `${text} + ${all.length - max} more...` : text;
}

export const ingressPrinter: Printer = {
  columns: [
    nameCol(),
    col(
      'Class',
      'string',
      'The name of the IngressClass resource that should be used for additional configuration',
    ),
    col(
      'Hosts',
      'string',
      'Hosts that incoming requests are matched against before the ingress rule',
    ),
    col('Address', 'string', 'Address is a list containing ingress points for the load-balancer'),
    col('Ports', 'string', 'Ports of TLS configurations that open'),
    ageCol(),
  ],
  cells(obj, now) {
    const spec = rec(obj.spec);
    return [
      nameOf(obj),
      isSet(spec.ingressClassName) ? str(spec.ingressClassName) : '<none>',
      formatHosts(spec.rules),
      loadBalancerString(rec(rec(obj.status).loadBalancer)),
      list(spec.tls).length > 0 ? '80, 443' : '80',
      age(obj, now),
    ];
  },
};

export const ingressClassPrinter: Printer = {
  columns: [
    nameCol(),
    col('Controller', 'string', 'Controller that is responsible for handling this class'),
    col('Parameters', 'string', 'A reference to a resource with additional parameters'),
    ageCol(),
  ],
  cells(obj, now) {
    const spec = rec(obj.spec);
    let parameters = '<none>';
    if (isSet(spec.parameters)) {
      const p = rec(spec.parameters);
      const group = isSet(p.apiGroup) ? `.${str(p.apiGroup)}` : '';
      parameters = `${str(p.kind)}${group}/${str(p.name)}`;
    }
    return [nameOf(obj), str(spec.controller), parameters, age(obj, now)];
  },
};

export const networkPolicyPrinter: Printer = {
  columns: [
    nameCol(),
    col('Pod-Selector', 'string', 'Selects the pods to which this policy applies.'),
    ageCol(),
  ],
  // podSelector is a struct, never nil: a missing one selects every pod (`<none>`).
  cells: (obj, now) => [
    nameOf(obj),
    formatLabelSelector(rec(rec(obj.spec).podSelector)),
    age(obj, now),
  ],
};
