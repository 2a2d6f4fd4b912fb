// The parts of Service validation about addresses and traffic: cluster IPs and IP
// families, load-balancer class, traffic policies, and the node-port range check the
// allocator applies before validation.

import type { FieldError } from '../types.ts';
import {
  arr,
  duplicate,
  forbidden,
  index,
  invalid,
  notSupported,
  num,
  obj,
  objs,
  required,
  str,
  type Obj,
} from './field.ts';
import { goSlice } from './go-format.ts';
import { isQualifiedName, isValidIPMessage, isValidPortNum, parseIPSloppy } from './names.ts';

export const NODE_PORT_RANGE = { base: 30000, size: 2768 };

export const isHeadless = (spec: Obj) =>
  arr(spec.clusterIPs).length === 1 && arr(spec.clusterIPs)[0] === 'None';

function externallyAccessible(spec: Obj): boolean {
  return (
    spec.type === 'LoadBalancer' ||
    spec.type === 'NodePort' ||
    (spec.type === 'ClusterIP' && arr(spec.externalIPs).length > 0)
  );
}

export function validateClusterIPs(spec: Obj): FieldError[] {
  if (spec.type === 'ExternalName') return [];
  const errs: FieldError[] = [];
  const clusterIP = str(spec.clusterIP);
  const ips = arr(spec.clusterIPs).map(str);
  const shown = goSlice(ips);
  if (clusterIP !== '') {
    if (ips.length === 0) errs.push(required('spec.clusterIPs'));
    else if (ips[0] !== clusterIP)
      errs.push(invalid('spec.clusterIPs', shown, 'first value must match `clusterIP`'));
  } else if (ips.length !== 0) {
    errs.push(invalid('spec.clusterIPs', shown, 'must be empty when `clusterIP` is not specified'));
  }
  const seen = new Set<string>();
  arr(spec.ipFamilies)
    .map(str)
    .forEach((f, i) => {
      if (f !== 'IPv4' && f !== 'IPv6')
        errs.push(notSupported(index('spec.ipFamilies', i), f, ['IPv4', 'IPv6']));
      if (seen.has(f)) errs.push(duplicate(index('spec.ipFamilies', i), f));
      seen.add(f);
    });
  if (spec.ipFamilyPolicy !== undefined && spec.ipFamilyPolicy !== null) {
    const p = str(spec.ipFamilyPolicy);
    const policies = ['PreferDualStack', 'RequireDualStack', 'SingleStack'];
    if (!policies.includes(p)) errs.push(notSupported('spec.ipFamilyPolicy', p, policies));
  }
  let bad = false;
  ips.forEach((ip, i) => {
    if (i === 0 && ip === 'None') {
      if (ips.length > 1) {
        bad = true;
        errs.push(invalid('spec.clusterIPs', shown, "'None' must be the first and only value"));
      }
      return;
    }
    const m = isValidIPMessage(ip);
    if (m.length > 0) bad = true;
    for (const msg of m) errs.push(invalid(index('spec.clusterIPs', i), ip, msg));
  });
  if (ips.length > 2) errs.push(invalid('spec.clusterIPs', shown, 'may only hold up to 2 values'));
  if (bad) return errs;
  if (ips.length > 1 && parseIPSloppy(ips[0]) === parseIPSloppy(ips[1])) {
    errs.push(
      invalid('spec.clusterIPs', shown, 'may specify no more than one IP for each IP family'),
    );
  }
  const families = arr(spec.ipFamilies).map(str);
  if (!isHeadless(spec)) {
    ips.forEach((ip, i) => {
      if (i >= families.length) return;
      const v6 = parseIPSloppy(ip) === 6;
      if (families[i] === 'IPv4' && v6) {
        errs.push(
          invalid(
            index('spec.clusterIPs', i),
            ip,
            `expected an IPv4 value as indicated by \`ipFamilies[${i}]\``,
          ),
        );
      }
      if (families[i] === 'IPv6' && !v6) {
        errs.push(
          invalid(
            index('spec.clusterIPs', i),
            ip,
            `expected an IPv6 value as indicated by \`ipFamilies[${i}]\``,
          ),
        );
      }
    });
  }
  return errs;
}

export function validateLoadBalancerClass(spec: Obj, oldSpec: Obj | null): FieldError[] {
  const errs: FieldError[] = [];
  const lbc = spec.loadBalancerClass;
  if (
    oldSpec &&
    oldSpec.type === 'LoadBalancer' &&
    spec.type === 'LoadBalancer' &&
    (oldSpec.loadBalancerClass ?? null) !== (lbc ?? null)
  ) {
    errs.push(invalid('spec.loadBalancerClass', lbc ?? null, 'may not change once set'));
  }
  if (spec.type === 'LoadBalancer') {
    if (typeof lbc === 'string')
      for (const m of isQualifiedName(lbc)) errs.push(invalid('spec.loadBalancerClass', lbc, m));
  } else if (lbc !== undefined && lbc !== null) {
    errs.push(
      forbidden('spec.loadBalancerClass', "may only be used when `type` is 'LoadBalancer'"),
    );
  }
  return errs;
}

export function validateTrafficPolicies(spec: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const etp = str(spec.externalTrafficPolicy);
  if (!externallyAccessible(spec)) {
    if (etp !== '')
      errs.push(
        invalid(
          'spec.externalTrafficPolicy',
          etp,
          'may only be set for externally-accessible services',
        ),
      );
  } else if (etp === '') errs.push(required('spec.externalTrafficPolicy'));
  else if (etp !== 'Cluster' && etp !== 'Local')
    errs.push(notSupported('spec.externalTrafficPolicy', etp, ['Cluster', 'Local']));
  const hc = num(spec.healthCheckNodePort) ?? 0;
  if (!(spec.type === 'LoadBalancer' && etp === 'Local')) {
    if (hc !== 0) {
      errs.push(
        invalid(
          'spec.healthCheckNodePort',
          hc,
          "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'",
        ),
      );
    }
  } else if (hc === 0) errs.push(required('spec.healthCheckNodePort'));
  else for (const m of isValidPortNum(hc)) errs.push(invalid('spec.healthCheckNodePort', hc, m));
  const itp = spec.internalTrafficPolicy;
  if (
    (itp === undefined || itp === null) &&
    ['NodePort', 'LoadBalancer', 'ClusterIP'].includes(str(spec.type))
  ) {
    errs.push(required('spec.internalTrafficPolicy'));
  }
  if (itp !== undefined && itp !== null && itp !== 'Cluster' && itp !== 'Local') {
    errs.push(notSupported('spec.internalTrafficPolicy', str(itp), ['Cluster', 'Local']));
  }
  if (
    spec.trafficDistribution !== undefined &&
    spec.trafficDistribution !== null &&
    spec.trafficDistribution !== 'PreferClose'
  ) {
    errs.push(
      notSupported('spec.trafficDistribution', str(spec.trafficDistribution), ['PreferClose']),
    );
  }
  return errs;
}

/** The node-port allocator's range check, which kube-apiserver runs before validation. */
export function nodePortRangeErrors(svc: Obj): FieldError[] {
  const { base, size } = NODE_PORT_RANGE;
  const msg = `provided port is not in the valid range. The range of valid ports is ${base}-${base + size - 1}`;
  return objs(obj(svc.spec)?.ports).flatMap((p, i) => {
    const np = num(p.nodePort) ?? 0;
    return np !== 0 && (np < base || np >= base + size)
      ? [invalid(`spec.ports[${i}].nodePort`, np, msg)]
      : [];
  });
}
