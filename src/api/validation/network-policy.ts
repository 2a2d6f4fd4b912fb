// networking.k8s.io/v1 NetworkPolicy.

import type { FieldError } from '../types.ts';
import {
  arr,
  child,
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
import { goRaw, goQuote } from './go-format.ts';
import {
  isValidCIDRMessage,
  isValidPortName,
  isValidPortNum,
  nameIsDNSSubdomain,
  parseCIDRSloppy,
} from './names.ts';
import { validateObjectMeta, validateObjectMetaUpdate } from './objectmeta.ts';
import { validateLabelSelector } from './selector.ts';

function cidrRange(cidr: string): { family: number; start: bigint; bits: number } | undefined {
  const family = parseCIDRSloppy(cidr);
  if (!family) return undefined;
  const [ip, bitsText] = cidr.split('/');
  const total = family === 4 ? 32 : 128;
  let value = 0n;
  if (family === 4) for (const o of ip.split('.')) value = (value << 8n) | BigInt(Number(o));
  else {
    const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, ''];
    const h = head ? head.split(':') : [];
    const t = tail ? tail.split(':') : [];
    const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
    for (const g of groups) value = (value << 16n) | BigInt(parseInt(g || '0', 16));
  }
  const bits = Number(bitsText);
  const mask = ((1n << BigInt(total)) - 1n) ^ ((1n << BigInt(total - bits)) - 1n);
  return { family, start: value & mask, bits };
}

function validatePeer(peer: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  let n = 0;
  for (const f of ['podSelector', 'namespaceSelector']) {
    if (!obj(peer[f])) continue;
    n++;
    errs.push(...validateLabelSelector(peer[f], child(path, f)));
  }
  const ipb = obj(peer.ipBlock);
  if (ipb) {
    n++;
    const bp = child(path, 'ipBlock');
    const cidr = str(ipb.cidr);
    if (cidr === '') errs.push(required(child(bp, 'cidr')));
    else {
      errs.push(...isValidCIDRMessage(cidr).map((m) => invalid(child(bp, 'cidr'), cidr, m)));
      const outer = cidrRange(cidr);
      if (outer) {
        arr(ipb.except)
          .map(str)
          .forEach((e, i) => {
            const ep = index(child(bp, 'except'), i);
            errs.push(...isValidCIDRMessage(e).map((m) => invalid(ep, e, m)));
            const inner = cidrRange(e);
            if (!inner) return;
            const total = outer.family === 4 ? 32 : 128;
            const within =
              inner.family === outer.family &&
              inner.start >> BigInt(total - outer.bits) ===
                outer.start >> BigInt(total - outer.bits);
            if (!within || outer.bits >= inner.bits)
              errs.push(invalid(ep, e, 'must be a strict subset of `cidr`'));
          });
      }
    }
  }
  if (n === 0) errs.push(required(path, 'must specify a peer'));
  else if (n > 1 && ipb)
    errs.push(forbidden(path, 'may not specify both ipBlock and another peer'));
  return errs;
}

function validatePolicyPort(p: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const proto = p.protocol;
  if (proto !== undefined && proto !== null && !['TCP', 'UDP', 'SCTP'].includes(str(proto))) {
    errs.push(notSupported(child(path, 'protocol'), str(proto), ['TCP', 'UDP', 'SCTP']));
  }
  const end = num(p.endPort);
  if (typeof p.port === 'number') {
    for (const m of isValidPortNum(p.port)) errs.push(invalid(child(path, 'port'), p.port, m));
    if (end !== undefined) {
      if (end < p.port)
        errs.push(
          invalid(child(path, 'endPort'), p.port, 'must be greater than or equal to `port`'),
        );
      for (const m of isValidPortNum(end)) errs.push(invalid(child(path, 'endPort'), end, m));
    }
  } else if (typeof p.port === 'string') {
    if (end !== undefined)
      errs.push(
        invalid(child(path, 'endPort'), end, 'may not be specified when `port` is non-numeric'),
      );
    for (const m of isValidPortName(p.port)) errs.push(invalid(child(path, 'port'), p.port, m));
  } else if (end !== undefined) {
    errs.push(
      invalid(child(path, 'endPort'), end, 'may not be specified when `port` is not specified'),
    );
  }
  return errs;
}

function validateNetworkPolicySpec(spec: Obj): FieldError[] {
  const errs = validateLabelSelector(spec.podSelector ?? {}, 'spec.podSelector');
  objs(spec.ingress).forEach((rule, i) => {
    const rp = index('spec.ingress', i);
    objs(rule.ports).forEach((p, j) =>
      errs.push(...validatePolicyPort(p, index(child(rp, 'ports'), j))),
    );
    objs(rule.from).forEach((p, j) => errs.push(...validatePeer(p, index(child(rp, 'from'), j))));
  });
  objs(spec.egress).forEach((rule, i) => {
    const rp = index('spec.egress', i);
    objs(rule.to).forEach((p, j) => errs.push(...validatePeer(p, index(child(rp, 'to'), j))));
    objs(rule.ports).forEach((p, j) =>
      errs.push(...validatePolicyPort(p, index(child(rp, 'ports'), j))),
    );
  });
  const types = arr(spec.policyTypes).map(str);
  if (types.length > 2) {
    errs.push(
      invalid(
        'spec.policyTypes',
        goRaw(`[]networking.PolicyType{${types.map(goQuote).join(', ')}}`),
        'may not specify more than two policyTypes',
      ),
    );
    return errs;
  }
  types.forEach((t, i) => {
    if (t !== 'Ingress' && t !== 'Egress')
      errs.push(notSupported(index('spec.policyTypes', i), t, ['Ingress', 'Egress']));
  });
  return errs;
}

export function validateNetworkPolicyCreate(np: Obj): FieldError[] {
  return validateObjectMeta(np.metadata, true, nameIsDNSSubdomain).concat(
    validateNetworkPolicySpec(obj(np.spec) ?? {}),
  );
}

export function validateNetworkPolicyUpdate(np: Obj, old: Obj): FieldError[] {
  return validateObjectMetaUpdate(np.metadata, old.metadata).concat(
    validateNetworkPolicySpec(obj(np.spec) ?? {}),
  );
}
