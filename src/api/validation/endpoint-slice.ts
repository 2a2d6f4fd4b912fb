// discovery.k8s.io/v1 EndpointSlice.

import type { FieldError } from '../types.ts';
import {
  arr,
  child,
  duplicate,
  index,
  invalid,
  notSupported,
  objs,
  required,
  str,
  tooMany,
  type Obj,
} from './field.ts';
import {
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  nameIsDNSSubdomain,
  parseIPSloppy,
} from './names.ts';
import {
  validateImmutable,
  validateLabels,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from './objectmeta.ts';
import { validateNonSpecialIP } from './endpoints.ts';

function isFQDN(v: string, path: string): FieldError[] {
  if (v === '') return [required(path)];
  const name = v.endsWith('.') ? v.slice(0, -1) : v;
  const sub = isDNS1123Subdomain(name);
  if (sub.length > 0) return [invalid(path, name, sub.join(','))];
  const labels = name.split('.');
  if (labels.length < 2)
    return [invalid(path, name, 'should be a domain with at least two segments separated by dots')];
  for (const l of labels) {
    const e = isDNS1123Label(l);
    if (e.length > 0) return [invalid(path, l, e.join(','))];
  }
  return [];
}

export function validateEndpointSliceCreate(es: Obj): FieldError[] {
  const errs = validateObjectMeta(es.metadata, true, nameIsDNSSubdomain);
  const type = str(es.addressType);
  if (type === '') errs.push(required('addressType'));
  else if (!['FQDN', 'IPv4', 'IPv6'].includes(type))
    errs.push(notSupported('addressType', type, ['FQDN', 'IPv4', 'IPv6']));
  const endpoints = objs(es.endpoints);
  if (endpoints.length > 1000) errs.push(tooMany('endpoints', endpoints.length, 1000));
  endpoints.forEach((ep, i) => {
    const ip = index('endpoints', i);
    const ap = child(ip, 'addresses');
    const addrs = arr(ep.addresses).map(str);
    if (addrs.length === 0) errs.push(required(ap, 'must contain at least 1 address'));
    else if (addrs.length > 100) errs.push(tooMany(ap, addrs.length, 100));
    addrs.forEach((a, j) => {
      const p = index(ap, j);
      if (type === 'IPv4' || type === 'IPv6') {
        const want = type === 'IPv4' ? 4 : 6;
        if (parseIPSloppy(a) !== want) errs.push(invalid(p, a, `must be a valid ${type} address`));
        else errs.push(...validateNonSpecialIP(a, p));
      } else if (type === 'FQDN') {
        errs.push(...isFQDN(a, p));
      }
    });
    if (typeof ep.nodeName === 'string') {
      for (const m of nameIsDNSSubdomain(ep.nodeName, false))
        errs.push(invalid(child(ip, 'nodeName'), ep.nodeName, m));
    }
    errs.push(...validateLabels(ep.deprecatedTopology, child(ip, 'deprecatedTopology')));
    if (typeof ep.hostname === 'string') {
      for (const m of isDNS1123Label(ep.hostname))
        errs.push(invalid(child(ip, 'hostname'), ep.hostname, m));
    }
  });
  const ports = objs(es.ports);
  if (ports.length > 20000) errs.push(tooMany('ports', ports.length, 20000));
  const names = new Set<string>();
  ports.forEach((p, i) => {
    const pp = index('ports', i);
    const name = str(p.name);
    if (name !== '')
      for (const m of isDNS1123Label(name)) errs.push(invalid(child(pp, 'name'), name, m));
    if (names.has(name)) errs.push(duplicate(child(pp, 'name'), name));
    names.add(name);
    if (p.protocol === undefined || p.protocol === null) errs.push(required(child(pp, 'protocol')));
    else if (!['SCTP', 'TCP', 'UDP'].includes(str(p.protocol))) {
      errs.push(notSupported(child(pp, 'protocol'), str(p.protocol), ['SCTP', 'TCP', 'UDP']));
    }
    if (typeof p.appProtocol === 'string') {
      for (const m of isQualifiedName(p.appProtocol))
        errs.push(invalid(child(pp, 'appProtocol'), p.appProtocol, m));
    }
  });
  return errs;
}

export function validateEndpointSliceUpdate(es: Obj, old: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(es.metadata, old.metadata).concat(
    validateEndpointSliceCreate(es),
  );
  return errs.concat(validateImmutable(str(es.addressType), str(old.addressType), 'addressType'));
}
