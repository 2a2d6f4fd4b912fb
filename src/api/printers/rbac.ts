// rbac.authorization.k8s.io/v1: rolebindings and clusterrolebindings. Roles and
// clusterroles have no printer in kube-apiserver and use the default table.

import type { Printer } from '../types.ts';
import { age, ageCol, col, nameCol, wide } from './columns.ts';
import { nameOf, rec, recs, str } from './fields.ts';

/** Users, groups and service accounts (`namespace/name`) among a binding's subjects. */
export function subjectStrings(subjects: unknown): [string[], string[], string[]] {
  const users: string[] = [];
  const groups: string[] = [];
  const serviceAccounts: string[] = [];
  for (const s of recs(subjects)) {
    if (s.kind === 'ServiceAccount') serviceAccounts.push(`${str(s.namespace)}/${str(s.name)}`);
    else if (s.kind === 'User') users.push(str(s.name));
    else if (s.kind === 'Group') groups.push(str(s.name));
  }
  return [users, groups, serviceAccounts];
}

function bindingPrinter(kind: 'roleBinding' | 'clusterRoleBinding'): Printer {
  return {
    columns: [
      nameCol(),
      col('Role', 'string', 'RoleRef can only reference a ClusterRole in the global namespace.'),
      ageCol(),
      wide('Users', 'string', `Users in the ${kind}`),
      wide('Groups', 'string', `Groups in the ${kind}`),
      wide('ServiceAccounts', 'string', `ServiceAccounts in the ${kind}`),
    ],
    cells(obj, now) {
      const ref = rec(obj.roleRef);
      const [users, groups, sas] = subjectStrings(obj.subjects);
      return [
        nameOf(obj),
        `${str(ref.kind)}/${str(ref.name)}`,
        age(obj, now),
        users.join(', '),
        groups.join(', '),
        sas.join(', '),
      ];
    },
  };
}

export const roleBindingPrinter = bindingPrinter('roleBinding');
export const clusterRoleBindingPrinter = bindingPrinter('clusterRoleBinding');
