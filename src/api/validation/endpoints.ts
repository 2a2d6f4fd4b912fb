// Endpoints, and the address checks shared with Services and EndpointSlices.

import type { FieldError } from '../types.ts';
import {
  arr,
  child,
  index,
  invalid,
  notSupported,
  num,
  objs,
  required,
  str,
  type Obj,
} from './field.ts';
import {
  isDNS1123Label,
  isQualifiedName,
  isValidIPMessage,
  isValidPortNum,
  nameIsDNSSubdomain,
  parseIPSloppy,
} from './names.ts';
import { validateObjectMeta, validateObjectMetaUpdate } from './objectmeta.ts';

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

export function validateNonSpecialIP(ip: string, path: string): FieldError[] {
  const family = parseIPSloppy(ip);
  if (!family) return [invalid(path, ip, 'must be a valid IP address')];
  const errs: FieldError[] = [];
  const v4 = family === 4 ? ip.split('.').map(Number) : [];
  const lower = ip.toLowerCase();
  if (family === 4 ? v4.every((o) => o === 0) : /^[0:]+$/.test(lower)) {
    errs.push(invalid(path, ip, `may not be unspecified (${ip})`));
  }
  if (family === 4 ? v4[0] === 127 : lower === '::1') {
    errs.push(invalid(path, ip, 'may not be in the loopback range (127.0.0.0/8, ::1/128)'));
  }
  if (family === 4 ? v4[0] === 169 && v4[1] === 254 : /^fe[89ab]/.test(lower)) {
    errs.push(invalid(path, ip, 'may not be in the link-local range (169.254.0.0/16, fe80::/10)'));
  }
  if (family === 4 ? v4[0] === 224 && v4[1] === 0 && v4[2] === 0 : lower.startsWith('ff02:')) {
    errs.push(
      invalid(path, ip, 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)'),
    );
  }
  return errs;
}

function validateEndpointAddress(a: Obj, path: string): FieldError[] {
  const ip = str(a.ip);
  const errs = isValidIPMessage(ip).map((m) => invalid(child(path, 'ip'), ip, m));
  const host = str(a.hostname);
  if (host !== '')
    for (const m of isDNS1123Label(host)) errs.push(invalid(child(path, 'hostname'), host, m));
  if (typeof a.nodeName === 'string') {
    for (const m of nameIsDNSSubdomain(a.nodeName, false))
      errs.push(invalid(child(path, 'nodeName'), a.nodeName, m));
  }
  return errs.concat(validateNonSpecialIP(ip, child(path, 'ip')));
}

export function validateEndpointPort(p: Obj, requireName: boolean, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(p.name);
  if (requireName && name === '') errs.push(required(child(path, 'name')));
  else if (name !== '')
    for (const m of isDNS1123Label(name)) errs.push(invalid(child(path, 'name'), name, m));
  const port = num(p.port) ?? 0;
  for (const m of isValidPortNum(port)) errs.push(invalid(child(path, 'port'), port, m));
  const proto = str(p.protocol);
  if (proto === '') errs.push(required(child(path, 'protocol')));
  else if (!PROTOCOLS.includes(proto))
    errs.push(notSupported(child(path, 'protocol'), proto, PROTOCOLS));
  if (typeof p.appProtocol === 'string') {
    for (const m of isQualifiedName(p.appProtocol))
      errs.push(invalid(child(path, 'appProtocol'), p.appProtocol, m));
  }
  return errs;
}

function validateEndpointsBody(ep: Obj): FieldError[] {
  const errs = validateObjectMeta(ep.metadata, true, nameIsDNSSubdomain);
  objs(ep.subsets).forEach((ss, i) => {
    const sp = index('subsets', i);
    if (arr(ss.addresses).length === 0 && arr(ss.notReadyAddresses).length === 0) {
      errs.push(required(sp, 'must specify `addresses` or `notReadyAddresses`'));
    }
    objs(ss.addresses).forEach((a, j) =>
      errs.push(...validateEndpointAddress(a, index(child(sp, 'addresses'), j))),
    );
    objs(ss.notReadyAddresses).forEach((a, j) =>
      errs.push(...validateEndpointAddress(a, index(child(sp, 'notReadyAddresses'), j))),
    );
    const ports = objs(ss.ports);
    ports.forEach((p, j) =>
      errs.push(...validateEndpointPort(p, ports.length > 1, index(child(sp, 'ports'), j))),
    );
  });
  return errs;
}

export function validateEndpointsCreate(ep: Obj): FieldError[] {
  return validateEndpointsBody(ep);
}

export function validateEndpointsUpdate(ep: Obj, old: Obj): FieldError[] {
  return validateObjectMetaUpdate(ep.metadata, old.metadata).concat(validateEndpointsBody(ep));
}
