// A Job's podFailurePolicy: at most 20 rules, each with one kind of requirement.

import type { FieldError } from '../types.ts';
import {
  arr,
  child,
  index,
  invalid,
  notSupported,
  num,
  obj,
  objs,
  required,
  str,
  tooMany,
  type Obj,
} from './field.ts';
import { goRaw } from './go-format.ts';
import { isQualifiedName } from './names.ts';

const ACTIONS = ['Count', 'FailIndex', 'FailJob', 'Ignore'];

const STATUSES = ['False', 'True', 'Unknown'];

export function validatePodFailurePolicy(spec: Obj, policy: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const rulesPath = child(path, 'rules');
  const rules = objs(policy.rules);
  if (rules.length > 20) errs.push(tooMany(rulesPath, rules.length, 20));
  const podSpec = obj(obj(spec.template)?.spec) ?? {};
  const names = new Set(
    [...objs(podSpec.containers), ...objs(podSpec.initContainers)].map((c) => str(c.name)),
  );
  rules.forEach((rule, i) => {
    const rp = index(rulesPath, i);
    const action = str(rule.action);
    if (action === '')
      errs.push(required(child(rp, 'action'), `valid values: ["${ACTIONS.join('" "')}"]`));
    else if (!ACTIONS.includes(action))
      errs.push(notSupported(child(rp, 'action'), action, ACTIONS));
    const onExit = obj(rule.onExitCodes);
    if (onExit) {
      const ep = child(rp, 'onExitCodes');
      const op = str(onExit.operator);
      if (op === '') errs.push(required(child(ep, 'operator'), 'valid values: ["In" "NotIn"]'));
      else if (op !== 'In' && op !== 'NotIn')
        errs.push(notSupported(child(ep, 'operator'), op, ['In', 'NotIn']));
      if (typeof onExit.containerName === 'string' && !names.has(onExit.containerName)) {
        errs.push(
          invalid(
            child(ep, 'containerName'),
            onExit.containerName,
            'must be one of the container or initContainer names in the pod template',
          ),
        );
      }
      const values = arr(onExit.values).map((v) => num(v) ?? 0);
      if (values.length === 0)
        errs.push(
          invalid(child(ep, 'values'), goRaw('[]int32(nil)'), 'at least one value is required'),
        );
      else if (values.length > 255) errs.push(tooMany(child(ep, 'values'), values.length, 255));
      const seen = new Set<number>();
      values.forEach((v, j) => {
        if (op === 'In' && v === 0)
          errs.push(invalid(index(child(ep, 'values'), j), v, 'must not be 0 for the In operator'));
        if (seen.has(v))
          errs.push({
            type: 'FieldValueDuplicate',
            field: index(child(ep, 'values'), j),
            value: v,
          });
        seen.add(v);
      });
      if (values.some((v, j) => j > 0 && values[j - 1] > v)) {
        errs.push(
          invalid(child(ep, 'values'), goRaw(`[]int32{${values.join(', ')}}`), 'must be ordered'),
        );
      }
    }
    const conds = objs(rule.onPodConditions);
    conds.forEach((c, j) => {
      const cp = index(child(rp, 'onPodConditions'), j);
      for (const m of isQualifiedName(str(c.type)))
        errs.push(invalid(child(cp, 'type'), str(c.type), m));
      const status = str(c.status);
      if (status === '')
        errs.push(required(child(cp, 'status'), `valid values: ["${STATUSES.join('" "')}"]`));
      else if (!STATUSES.includes(status))
        errs.push(notSupported(child(cp, 'status'), status, STATUSES));
    });
    if (onExit && conds.length > 0) {
      errs.push(
        invalid(
          rp,
          goRaw('batch.PodFailurePolicyRule{...}'),
          'specifying both OnExitCodes and OnPodConditions is not supported',
        ),
      );
    }
    if (!onExit && conds.length === 0) {
      errs.push(
        invalid(
          rp,
          goRaw('batch.PodFailurePolicyRule{...}'),
          'specifying one of OnExitCodes and OnPodConditions is required',
        ),
      );
    }
  });
  return errs;
}
