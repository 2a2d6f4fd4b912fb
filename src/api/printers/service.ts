// core/v1 services: CLUSTER-IP, EXTERNAL-IP and PORT(S) as printService renders them.
// kube-apiserver always builds tables in wide mode, so load-balancer lists are not clipped.

import type { Printer } from '../types.ts';
import { age, ageCol, col, nameCol, wide } from './columns.ts';
import { type Json, int, list, nameOf, rec, recs, str } from './fields.ts';
import { formatLabels, loadBalancerString } from './format.ts';

function externalIPs(spec: Json): string[] {
  return list(spec.externalIPs).map(str);
}

/** EXTERNAL-IP: external IPs, load-balancer ingress, `<pending>`, or the external name. */
export function serviceExternalIP(svc: Json): string {
  const spec = rec(svc.spec);
  const external = externalIPs(spec);
  switch (str(spec.type) || 'ClusterIP') {
    case 'ClusterIP':
    case 'NodePort':
      return external.length > 0 ? external.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerString(rec(rec(svc.status).loadBalancer));
      if (external.length > 0) return [...(lb === '' ? [] : lb.split(',')), ...external].join(',');
      return lb === '' ? '<pending>' : lb;
    }
    case 'ExternalName':
      return str(spec.externalName);
    default:
      return '<unknown>';
  }
}

/** PORT(S): `80/TCP`, or `80:30080/TCP` when a node port is allocated. */
export function servicePorts(spec: Json): string {
  return recs(spec.ports)
    .map((p) => {
      const protocol = str(p.protocol) || 'TCP';
      const nodePort = int(p.nodePort);
      return nodePort > 0 ? `${int(p.port)}:${nodePort}/${protocol}` : `${int(p.port)}/${protocol}`;
    })
    .join(',');
}

export const servicePrinter: Printer = {
  columns: [
    nameCol(),
    col(
      'Type',
      'string',
      'How the service is exposed: ClusterIP, NodePort, LoadBalancer, ExternalName.',
    ),
    col('Cluster-IP', 'string', 'The IP address of the service, usually assigned randomly.'),
    col(
      'External-IP',
      'string',
      'IP addresses for which nodes in the cluster also accept traffic.',
    ),
    col('Port(s)', 'string', 'The list of ports that are exposed by this service.'),
    ageCol(),
    wide('Selector', 'string', 'Route service traffic to pods with labels matching this selector.'),
  ],
  cells(obj, now) {
    const spec = rec(obj.spec);
    // clusterIPs mirrors clusterIP in stored objects; fall back for objects missing it.
    const clusterIP = str(list(spec.clusterIPs)[0]) || str(spec.clusterIP) || '<none>';
    return [
      nameOf(obj),
      str(spec.type) || 'ClusterIP',
      clusterIP,
      serviceExternalIP(obj),
      servicePorts(spec) || '<none>',
      age(obj, now),
      formatLabels(spec.selector),
    ];
  },
};
