// core/v1 nodes: STATUS from the Ready condition and cordoning, ROLES from role labels.

import type { KubeObject, Printer } from '../types.ts';
import { age, ageCol, col, nameCol, wide } from './columns.ts';
import { meta, nameOf, rec, recs, str, strMap } from './fields.ts';
import { compareStrings } from './format.ts';

const ROLE_LABEL_PREFIX = 'node-role.kubernetes.io/';
const ROLE_LABEL = 'kubernetes.io/role';

/** Roles from `node-role.kubernetes.io/<role>` keys and `kubernetes.io/role=<role>`, sorted. */
export function nodeRoles(node: KubeObject): string[] {
  const roles = new Set<string>();
  for (const [key, value] of Object.entries(strMap(meta(node).labels))) {
    if (key.startsWith(ROLE_LABEL_PREFIX)) {
      const role = key.slice(ROLE_LABEL_PREFIX.length);
      if (role !== '') roles.add(role);
    } else if (key === ROLE_LABEL && value !== '') {
      roles.add(value);
    }
  }
  return [...roles].sort(compareStrings);
}

function nodeStatus(node: KubeObject): string {
  // The last Ready condition wins, as in the Go map keyed by condition type.
  const ready = recs(rec(node.status).conditions)
    .filter((c) => c.type === 'Ready')
    .pop();
  const status =
    ready === undefined ? ['Unknown'] : [ready.status === 'True' ? 'Ready' : 'NotReady'];
  if (rec(node.spec).unschedulable === true) status.push('SchedulingDisabled');
  return status.join(',');
}

function firstAddress(node: KubeObject, type: string): string {
  const found = recs(rec(node.status).addresses).find((a) => a.type === type);
  return found === undefined ? '<none>' : str(found.address);
}

export const nodePrinter: Printer = {
  columns: [
    nameCol(),
    col('Status', 'string', 'The status of the node'),
    col('Roles', 'string', 'The roles of the node'),
    ageCol(),
    col('Version', 'string', 'Kubelet version reported by the node.'),
    wide('Internal-IP', 'string', 'List of addresses reachable to the node.'),
    wide('External-IP', 'string', 'List of addresses reachable to the node.'),
    wide('OS-Image', 'string', 'OS image reported by the node (from /etc/os-release).'),
    wide('Kernel-Version', 'string', "Kernel version reported by the node ('uname -r')."),
    wide('Container-Runtime', 'string', 'Container runtime version reported by the node.'),
  ],
  cells(obj, now) {
    const info = rec(rec(obj.status).nodeInfo);
    const roles = nodeRoles(obj).join(',');
    return [
      nameOf(obj),
      nodeStatus(obj),
      roles === '' ? '<none>' : roles,
      age(obj, now),
      str(info.kubeletVersion),
      firstAddress(obj, 'InternalIP'),
      firstAddress(obj, 'ExternalIP'),
      str(info.osImage) || '<unknown>',
      str(info.kernelVersion) || '<unknown>',
      str(info.containerRuntimeVersion) || '<unknown>',
    ];
  },
};
