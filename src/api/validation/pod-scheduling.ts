// Scheduling-related parts of a PodSpec: affinity, tolerations, topology spread,
// DNS configuration, host aliases, readiness and scheduling gates.

import type { FieldError } from '../types.ts';
import {
  arr,
  child,
  duplicate,
  index,
  invalid,
  notSupported,
  num,
  obj,
  objs,
  required,
  str,
} from './field.ts';
import { goSlice } from './go-format.ts';
import {
  isDNS1123Subdomain,
  isQualifiedName,
  isValidIPMessage,
  isValidLabelValue,
} from './names.ts';
import { validateLabelName } from './objectmeta.ts';
import { validateLabelSelector } from './selector.ts';

const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

export function validateTaintEffect(
  effect: string,
  allowEmpty: boolean,
  path: string,
): FieldError[] {
  if (!allowEmpty && effect === '') return [required(path)];
  return TAINT_EFFECTS.includes(effect) ? [] : [notSupported(path, effect, TAINT_EFFECTS)];
}

export function validateTolerations(tolerations: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  objs(tolerations).forEach((t, i) => {
    const ip = index(path, i);
    const k = str(t.key);
    const op = str(t.operator);
    const effect = str(t.effect);
    if (k !== '') errs.push(...validateLabelName(k, child(ip, 'key')));
    if (k === '' && op !== 'Exists') {
      errs.push(
        invalid(
          child(ip, 'operator'),
          op,
          'operator must be Exists when `key` is empty, which means "match all values and all keys"',
        ),
      );
    }
    if (
      t.tolerationSeconds !== undefined &&
      t.tolerationSeconds !== null &&
      effect !== 'NoExecute'
    ) {
      errs.push(
        invalid(
          child(ip, 'effect'),
          effect,
          "effect must be 'NoExecute' when `tolerationSeconds` is set",
        ),
      );
    }
    const value = str(t.value);
    if (op === 'Equal' || op === '') {
      const msgs = isValidLabelValue(value);
      if (msgs.length > 0) errs.push(invalid(child(ip, 'operator'), value, msgs.join(';')));
    } else if (op === 'Exists') {
      if (value !== '')
        errs.push(
          invalid(child(ip, 'operator'), value, "value must be empty when `operator` is 'Exists'"),
        );
    } else {
      errs.push(notSupported(child(ip, 'operator'), op, ['Equal', 'Exists']));
    }
    if (effect !== '') errs.push(...validateTaintEffect(effect, true, child(ip, 'effect')));
  });
  return errs;
}

export function validateTopologySpreadConstraints(
  constraints: unknown,
  path: string,
): FieldError[] {
  const errs: FieldError[] = [];
  const list = objs(constraints);
  list.forEach((c, i) => {
    const ip = index(path, i);
    const maxSkew = num(c.maxSkew) ?? 0;
    if (maxSkew <= 0)
      errs.push(invalid(child(ip, 'maxSkew'), maxSkew, 'must be greater than zero'));
    const key = str(c.topologyKey);
    if (key === '') errs.push(required(child(ip, 'topologyKey'), 'can not be empty'));
    const action = str(c.whenUnsatisfiable);
    if (action !== 'DoNotSchedule' && action !== 'ScheduleAnyway') {
      errs.push(
        notSupported(child(ip, 'whenUnsatisfiable'), action, ['DoNotSchedule', 'ScheduleAnyway']),
      );
    }
    if (
      list
        .slice(i + 1)
        .some((o) => str(o.topologyKey) === key && str(o.whenUnsatisfiable) === action)
    ) {
      errs.push(duplicate(child(ip, '{topologyKey, whenUnsatisfiable}'), `{${key}, ${action}}`));
    }
    const minDomains = num(c.minDomains);
    if (minDomains !== undefined) {
      if (minDomains <= 0)
        errs.push(invalid(child(ip, 'minDomains'), minDomains, 'must be greater than zero'));
      if (action !== 'DoNotSchedule') {
        errs.push(
          invalid(
            child(ip, 'minDomains'),
            minDomains,
            `can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ${action}`,
          ),
        );
      }
    }
    for (const f of ['nodeAffinityPolicy', 'nodeTaintsPolicy']) {
      if (c[f] !== undefined && c[f] !== null && c[f] !== 'Honor' && c[f] !== 'Ignore') {
        errs.push(notSupported(child(ip, f), str(c[f]), ['Honor', 'Ignore']));
      }
    }
    arr(c.matchLabelKeys).forEach((k, j) =>
      errs.push(...validateLabelName(str(k), index(child(ip, 'matchLabelKeys'), j))),
    );
    errs.push(...validateLabelSelector(c.labelSelector, child(ip, 'labelSelector')));
  });
  return errs;
}

export function validateDNSConfig(value: unknown, dnsPolicy: string, path: string): FieldError[] {
  const cfg = obj(value);
  if (dnsPolicy === 'None') {
    if (!cfg) return [required(path, 'must provide `dnsConfig` when `dnsPolicy` is None')];
    if (arr(cfg.nameservers).length === 0) {
      return [
        required(
          child(path, 'nameservers'),
          'must provide at least one DNS nameserver when `dnsPolicy` is None',
        ),
      ];
    }
  }
  if (!cfg) return [];
  const errs: FieldError[] = [];
  const nameservers = arr(cfg.nameservers).map(str);
  if (nameservers.length > 3) {
    errs.push(
      invalid(
        child(path, 'nameservers'),
        goSlice(nameservers),
        'must not have more than 3 nameservers',
      ),
    );
  }
  nameservers.forEach((ns, i) => {
    for (const m of isValidIPMessage(ns))
      errs.push(invalid(index(child(path, 'nameservers'), i), ns, m));
  });
  const searches = arr(cfg.searches).map(str);
  if (searches.length > 32) {
    errs.push(
      invalid(
        child(path, 'searches'),
        goSlice(searches),
        'must not have more than 32 search paths',
      ),
    );
  }
  if (searches.join(' ').length > 2048) {
    errs.push(
      invalid(
        child(path, 'searches'),
        goSlice(searches),
        'must not have more than 2048 characters (including spaces) in the search list',
      ),
    );
  }
  searches.forEach((s, i) => {
    const trimmed = s.endsWith('.') ? s.slice(0, -1) : s;
    for (const m of isDNS1123Subdomain(trimmed))
      errs.push(invalid(index(child(path, 'searches'), i), trimmed, m));
  });
  objs(cfg.options).forEach((o, i) => {
    if (str(o.name) === '')
      errs.push(required(index(child(path, 'options'), i), 'must not be empty'));
  });
  return errs;
}

export function validateHostAliases(aliases: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  objs(aliases).forEach((a, i) => {
    const ip = str(a.ip);
    for (const m of isValidIPMessage(ip)) errs.push(invalid(child(index(path, i), 'ip'), ip, m));
    arr(a.hostnames).forEach((h, j) => {
      for (const m of isDNS1123Subdomain(str(h))) {
        errs.push(invalid(index(child(index(path, i), 'hostnames'), j), str(h), m));
      }
    });
  });
  return errs;
}

export function validateReadinessGates(gates: unknown, path: string): FieldError[] {
  return objs(gates).flatMap((g, i) =>
    isQualifiedName(str(g.conditionType)).map((m) =>
      invalid(child(index(path, i), 'conditionType'), str(g.conditionType), m),
    ),
  );
}

export function validateSchedulingGates(gates: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  objs(gates).forEach((g, i) => {
    const name = str(g.name);
    for (const m of isQualifiedName(name)) errs.push(invalid(index(path, i), name, m));
    if (seen.has(name)) errs.push(duplicate(index(path, i), name));
    seen.add(name);
  });
  return errs;
}
