// Services and Endpoints.

import type { FieldError } from '../types.ts';
import { validatePortNumOrName } from './pod-probes.ts';
import {
  arr,
  child,
  duplicate,
  forbidden,
  index,
  invalid,
  key,
  notSupported,
  num,
  obj,
  objs,
  required,
  str,
  type Obj,
} from './field.ts';
import { goRaw, goSlice } from './go-format.ts';
import {
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidCIDRMessage,
  isValidIPMessage,
  isValidPortNum,
  nameIsDNS1035Label,
} from './names.ts';
import { validateLabels, validateObjectMeta, validateObjectMetaUpdate } from './objectmeta.ts';
import { validateNonSpecialIP } from './endpoints.ts';
import {
  isHeadless,
  nodePortRangeErrors,
  validateClusterIPs,
  validateLoadBalancerClass,
  validateTrafficPolicies,
} from './service-ips.ts';

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
function validateServicePort(
  sp: Obj,
  requireName: boolean,
  names: Set<string>,
  path: string,
): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(sp.name);
  if (requireName && name === '') errs.push(required(child(path, 'name')));
  else if (name !== '') {
    for (const m of isDNS1123Label(name)) errs.push(invalid(child(path, 'name'), name, m));
    if (names.has(name)) errs.push(duplicate(child(path, 'name'), name));
    else names.add(name);
  }
  const port = num(sp.port) ?? 0;
  for (const m of isValidPortNum(port)) errs.push(invalid(child(path, 'port'), port, m));
  const proto = str(sp.protocol);
  if (proto === '') errs.push(required(child(path, 'protocol')));
  else if (!PROTOCOLS.includes(proto))
    errs.push(notSupported(child(path, 'protocol'), proto, PROTOCOLS));
  errs.push(...validatePortNumOrName(sp.targetPort ?? 0, child(path, 'targetPort')));
  if (typeof sp.appProtocol === 'string') {
    for (const m of isQualifiedName(sp.appProtocol))
      errs.push(invalid(child(path, 'appProtocol'), sp.appProtocol, m));
  }
  return errs;
}

function validateServiceSpec(svc: Obj, old: Obj | null): FieldError[] {
  const meta = obj(svc.metadata) ?? {};
  const spec = obj(svc.spec) ?? {};
  const errs: FieldError[] = [];
  const ann = obj(meta.annotations) ?? {};
  const hints = ann['service.kubernetes.io/topology-aware-hints'];
  const mode = ann['service.kubernetes.io/topology-mode'];
  if (typeof hints === 'string' && typeof mode === 'string' && hints !== mode) {
    errs.push(
      invalid(
        'metadata.annotations[service.kubernetes.io/topology-mode]',
        mode,
        'must match annotations[service.kubernetes.io/topology-aware-hints] when both are specified',
      ),
    );
  }
  const type = str(spec.type);
  const ports = objs(spec.ports);
  if (ports.length === 0 && !isHeadless(spec) && type !== 'ExternalName')
    errs.push(required('spec.ports'));
  if ((type === 'LoadBalancer' || type === 'NodePort') && isHeadless(spec)) {
    errs.push(
      invalid('spec.clusterIPs[0]', 'None', `may not be set to 'None' for ${type} services`),
    );
  } else if (type === 'ExternalName') {
    if (arr(spec.clusterIPs).length > 0)
      errs.push(forbidden('spec.clusterIPs', 'may not be set for ExternalName services'));
    if (arr(spec.ipFamilies).length > 0)
      errs.push(forbidden('spec.ipFamilies', 'may not be set for ExternalName services'));
    if (spec.ipFamilyPolicy !== undefined && spec.ipFamilyPolicy !== null) {
      errs.push(forbidden('spec.ipFamilyPolicy', 'may not be set for ExternalName services'));
    }
    const cname = str(spec.externalName).replace(/\.$/, '');
    if (cname === '') errs.push(required('spec.externalName'));
    else
      for (const m of isDNS1123Subdomain(cname)) errs.push(invalid('spec.externalName', cname, m));
  }
  const names = new Set<string>();
  ports.forEach((p, i) =>
    errs.push(...validateServicePort(p, ports.length > 1, names, index('spec.ports', i))),
  );
  if (obj(spec.selector)) errs.push(...validateLabels(spec.selector, 'spec.selector'));
  const affinity = str(spec.sessionAffinity);
  if (affinity === '') errs.push(required('spec.sessionAffinity'));
  else if (affinity !== 'ClientIP' && affinity !== 'None') {
    errs.push(notSupported('spec.sessionAffinity', affinity, ['ClientIP', 'None']));
  }
  const sac = obj(spec.sessionAffinityConfig);
  if (affinity === 'ClientIP') {
    const cp = 'spec.sessionAffinityConfig';
    const why = 'when session affinity type is ClientIP';
    const clientIP = obj(sac?.clientIP);
    if (!sac) errs.push(required(cp, why));
    else if (!clientIP) errs.push(required(`${cp}.clientIP`, why));
    else if (num(clientIP.timeoutSeconds) === undefined)
      errs.push(required(`${cp}.clientIP.timeoutSeconds`, why));
    else {
      const t = num(clientIP.timeoutSeconds) ?? 0;
      if (t <= 0 || t > 86400)
        errs.push(
          invalid(`${cp}.clientIP.timeoutSeconds`, t, 'must be greater than 0 and less than 86400'),
        );
    }
  } else if (affinity === 'None' && sac) {
    errs.push(
      forbidden('spec.sessionAffinityConfig', 'must not be set when session affinity is None'),
    );
  }
  errs.push(...validateClusterIPs(spec));
  arr(spec.externalIPs)
    .map(str)
    .forEach((ip, i) => {
      const m = isValidIPMessage(ip);
      if (m.length > 0)
        for (const msg of m) errs.push(invalid(index('spec.externalIPs', i), ip, msg));
      else errs.push(...validateNonSpecialIP(ip, index('spec.externalIPs', i)));
    });
  if (type === '') errs.push(required('spec.type'));
  else if (!TYPES.includes(type)) errs.push(notSupported('spec.type', type, TYPES));
  if (type === 'ClusterIP') {
    ports.forEach((p, i) => {
      if ((num(p.nodePort) ?? 0) !== 0)
        errs.push(
          forbidden(`spec.ports[${i}].nodePort`, "may not be used when `type` is 'ClusterIP'"),
        );
    });
  }
  const nodePorts = new Set<string>();
  const portKeys = new Set<string>();
  ports.forEach((p, i) => {
    const np = num(p.nodePort) ?? 0;
    if (np !== 0) {
      const k = `${str(p.protocol)}/${np}`;
      if (nodePorts.has(k)) errs.push(duplicate(`spec.ports[${i}].nodePort`, np));
      nodePorts.add(k);
    }
  });
  ports.forEach((p, i) => {
    const k = `${str(p.protocol)}/${num(p.port) ?? 0}`;
    if (portKeys.has(k)) {
      errs.push(
        duplicate(
          `spec.ports[${i}]`,
          goRaw(
            `core.ServicePort{Name:"", Protocol:"${str(p.protocol)}", AppProtocol:(*string)(nil), Port:${num(p.port) ?? 0}, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}`,
          ),
        ),
      );
    }
    portKeys.add(k);
  });
  const ranges = arr(spec.loadBalancerSourceRanges).map(str);
  if (ranges.length > 0) {
    if (type !== 'LoadBalancer')
      errs.push(
        forbidden(
          'spec.LoadBalancerSourceRanges',
          "may only be used when `type` is 'LoadBalancer'",
        ),
      );
    ranges.forEach((r, i) => {
      for (const m of isValidCIDRMessage(r.trim()))
        errs.push(invalid(index('spec.LoadBalancerSourceRanges', i), r.trim(), m));
    });
  } else if (typeof ann['service.beta.kubernetes.io/load-balancer-source-ranges'] === 'string') {
    const p = key('metadata.annotations', 'service.beta.kubernetes.io/load-balancer-source-ranges');
    if (type !== 'LoadBalancer')
      errs.push(forbidden(p, "may only be used when `type` is 'LoadBalancer'"));
    const v = str(ann['service.beta.kubernetes.io/load-balancer-source-ranges']).trim();
    if (v !== '')
      for (const c of v.split(','))
        for (const m of isValidCIDRMessage(c.trim())) errs.push(invalid(p, c.trim(), m));
  }
  if (
    spec.allocateLoadBalancerNodePorts !== undefined &&
    spec.allocateLoadBalancerNodePorts !== null &&
    type !== 'LoadBalancer'
  ) {
    errs.push(
      forbidden(
        'spec.allocateLoadBalancerNodePorts',
        "may only be used when `type` is 'LoadBalancer'",
      ),
    );
  }
  if (
    type === 'LoadBalancer' &&
    (spec.allocateLoadBalancerNodePorts === undefined ||
      spec.allocateLoadBalancerNodePorts === null)
  ) {
    errs.push(required('allocateLoadBalancerNodePorts'));
  }
  errs.push(...validateLoadBalancerClass(spec, old ? (obj(old.spec) ?? {}) : null));
  errs.push(...validateTrafficPolicies(spec));
  return errs;
}

export function validateServiceCreate(svc: Obj): FieldError[] {
  const range = nodePortRangeErrors(svc);
  if (range.length > 0) return range;
  return validateObjectMeta(svc.metadata, true, nameIsDNS1035Label).concat(
    validateServiceSpec(svc, null),
  );
}

export function validateServiceUpdate(svc: Obj, old: Obj): FieldError[] {
  const range = nodePortRangeErrors(svc);
  if (range.length > 0) return range;
  const errs = validateObjectMetaUpdate(svc.metadata, old.metadata);
  const spec = obj(svc.spec) ?? {};
  const oldSpec = obj(old.spec) ?? {};
  if (
    spec.type !== 'ExternalName' &&
    oldSpec.type !== 'ExternalName' &&
    !(isHeadless(spec) && isHeadless(oldSpec))
  ) {
    const ips = arr(spec.clusterIPs).map(str);
    const oldIps = arr(oldSpec.clusterIPs).map(str);
    const shown = goSlice(ips);
    if (ips.length === oldIps.length) {
      oldIps.forEach((ip, i) => {
        if (ip !== ips[i])
          errs.push(invalid(`spec.clusterIPs[${i}]`, shown, 'may not change once set'));
      });
    } else if (oldIps.length > ips.length) {
      if (ips.length === 0)
        errs.push(invalid('spec.clusterIPs[0]', shown, 'primary clusterIP can not be unset'));
      if (ips.length > 0 && ips[0] !== oldIps[0])
        errs.push(invalid('spec.clusterIPs[0]', shown, 'may not change once set'));
      if (ips.length === 1 && spec.ipFamilyPolicy !== 'SingleStack') {
        errs.push(
          invalid(
            'spec.clusterIPs[0]',
            shown,
            "`ipFamilyPolicy` must be set to 'SingleStack' when releasing the secondary clusterIP",
          ),
        );
      }
    } else if (oldIps.length > 0 && ips[0] !== oldIps[0]) {
      errs.push(invalid('spec.clusterIPs[0]', shown, 'may not change once set'));
    }
  }
  if (
    oldSpec.type === 'LoadBalancer' &&
    oldSpec.externalTrafficPolicy === 'Local' &&
    spec.type === 'LoadBalancer' &&
    spec.externalTrafficPolicy === 'Local' &&
    spec.healthCheckNodePort !== oldSpec.healthCheckNodePort
  ) {
    errs.push(forbidden('spec.healthCheckNodePort', 'field is immutable'));
  }
  return errs.concat(validateServiceSpec(svc, old));
}
