// networking.k8s.io/v1 Ingress and IngressClass.

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
  tooLong,
  type Obj,
} from './field.ts';
import { goRaw } from './go-format.ts';
import {
  isDNS1123Subdomain,
  isValidPortName,
  isValidPortNum,
  isWildcardDNS1123Subdomain,
  nameIsDNS1035Label,
  nameIsDNSSubdomain,
  parseIPSloppy,
  pathSegmentName,
} from './names.ts';
import { validateImmutable, validateObjectMeta, validateObjectMetaUpdate } from './objectmeta.ts';

function validateTypedRef(ref: Obj, path: string, what = ''): FieldError[] {
  const errs: FieldError[] = [];
  if (typeof ref.apiGroup === 'string') {
    for (const m of isDNS1123Subdomain(ref.apiGroup))
      errs.push(invalid(child(path, 'apiGroup'), ref.apiGroup, m));
  }
  for (const f of ['kind', 'name']) {
    const v = str(ref[f]);
    if (v === '') errs.push(required(child(path, f), `${f} is required${what}`));
    else for (const m of pathSegmentName(v, false)) errs.push(invalid(child(path, f), v, m));
  }
  return errs;
}

function validateBackend(b: Obj, path: string): FieldError[] {
  const resource = obj(b.resource);
  const service = obj(b.service);
  if (resource && service)
    return [invalid(path, '', 'cannot set both resource and service backends')];
  if (resource) return validateTypedRef(resource, child(path, 'resource'));
  if (!service) return [invalid(path, '', 'resource or service backend is required')];
  const errs: FieldError[] = [];
  const name = str(service.name);
  if (name === '') errs.push(required(child(path, 'service', 'name')));
  else
    for (const m of nameIsDNS1035Label(name, false))
      errs.push(invalid(child(path, 'service', 'name'), name, m));
  const port = obj(service.port) ?? {};
  const portName = str(port.name);
  const portNumber = num(port.number) ?? 0;
  if (portName !== '' && portNumber !== 0)
    errs.push(invalid(path, '', 'cannot set both port name & port number'));
  else if (portName !== '') {
    for (const m of isValidPortName(portName))
      errs.push(invalid(child(path, 'service', 'port', 'name'), portName, m));
  } else if (portNumber !== 0) {
    for (const m of isValidPortNum(portNumber))
      errs.push(invalid(child(path, 'service', 'port', 'number'), portNumber, m));
  } else {
    errs.push(required(path, 'port name or number is required'));
  }
  return errs;
}

const PATH_TYPES = ['Exact', 'ImplementationSpecific', 'Prefix'];

function validateIngressPath(p: Obj, path: string): FieldError[] {
  if (p.pathType === undefined || p.pathType === null)
    return [required(child(path, 'pathType'), 'pathType must be specified')];
  const errs: FieldError[] = [];
  const type = str(p.pathType);
  const value = str(p.path);
  const pp = child(path, 'path');
  if (type === 'Exact' || type === 'Prefix') {
    if (!value.startsWith('/')) errs.push(invalid(pp, value, 'must be an absolute path'));
    if (value.length > 0) {
      for (const seq of ['//', '/./', '/../', '%2f', '%2F']) {
        if (value.includes(seq)) errs.push(invalid(pp, value, `must not contain '${seq}'`));
      }
      for (const suffix of ['/..', '/.'])
        if (value.endsWith(suffix)) errs.push(invalid(pp, value, `cannot end with '${suffix}'`));
    }
  } else if (type === 'ImplementationSpecific') {
    if (value.length > 0 && !value.startsWith('/'))
      errs.push(invalid(pp, value, 'must be an absolute path'));
  } else {
    errs.push(notSupported(child(path, 'pathType'), type, PATH_TYPES));
  }
  return errs.concat(validateBackend(obj(p.backend) ?? {}, child(path, 'backend')));
}

function validateHost(host: string, path: string): FieldError[] {
  return host.includes('*')
    ? isWildcardDNS1123Subdomain(host).map((m) => invalid(path, host, m))
    : isDNS1123Subdomain(host).map((m) => invalid(path, host, m));
}

function validateIngressSpec(spec: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const rules = objs(spec.rules);
  const backend = obj(spec.defaultBackend);
  if (rules.length === 0 && !backend) {
    errs.push(
      invalid(
        'spec',
        goRaw('[]networking.IngressRule(nil)'),
        'either `defaultBackend` or `rules` must be specified',
      ),
    );
  }
  if (backend) errs.push(...validateBackend(backend, 'spec.defaultBackend'));
  rules.forEach((r, i) => {
    const rp = index('spec.rules', i);
    const host = str(r.host);
    if (host !== '') {
      if (parseIPSloppy(host))
        errs.push(invalid(child(rp, 'host'), host, 'must be a DNS name, not an IP address'));
      errs.push(...validateHost(host, child(rp, 'host')));
    }
    const http = obj(r.http);
    if (http) {
      const paths = objs(http.paths);
      if (paths.length === 0) errs.push(required(child(rp, 'http', 'paths')));
      paths.forEach((p, j) =>
        errs.push(...validateIngressPath(p, index(child(rp, 'http', 'paths'), j))),
      );
    }
  });
  objs(spec.tls).forEach((t, i) => {
    arr(t.hosts)
      .map(str)
      .forEach((h, j) =>
        errs.push(...validateHost(h, index(child(index('spec.tls', i), 'hosts'), j))),
      );
    const secret = str(t.secretName);
    if (secret !== '') {
      for (const m of nameIsDNSSubdomain(secret, false))
        errs.push(invalid(child(index('spec.tls', i), 'secretName'), secret, m));
    }
  });
  if (typeof spec.ingressClassName === 'string') {
    for (const m of nameIsDNSSubdomain(spec.ingressClassName, false)) {
      errs.push(invalid('spec.ingressClassName', spec.ingressClassName, m));
    }
  }
  return errs;
}

const INGRESS_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';

export function validateIngressCreate(ing: Obj): FieldError[] {
  const errs = validateObjectMeta(ing.metadata, true, nameIsDNSSubdomain);
  const spec = obj(ing.spec) ?? {};
  errs.push(...validateIngressSpec(spec));
  const annotation = obj(obj(ing.metadata)?.annotations)?.[INGRESS_CLASS_ANNOTATION];
  if (
    typeof annotation === 'string' &&
    typeof spec.ingressClassName === 'string' &&
    annotation !== spec.ingressClassName
  ) {
    errs.push(
      invalid(
        `annotations.${INGRESS_CLASS_ANNOTATION}`,
        annotation,
        'must match `ingressClassName` when both are specified',
      ),
    );
  }
  return errs;
}

export function validateIngressUpdate(ing: Obj, old: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(ing.metadata, old.metadata);
  errs.push(...validateObjectMeta(ing.metadata, true, nameIsDNSSubdomain));
  return errs.concat(validateIngressSpec(obj(ing.spec) ?? {}));
}

function validateDomainPrefixedPath(v: string, path: string): FieldError[] {
  if (v === '') return [required(path)];
  const slash = v.indexOf('/');
  if (slash <= 0 || slash === v.length - 1)
    return [invalid(path, v, 'must be a domain-prefixed path (such as "acme.io/foo")')];
  const host = v.slice(0, slash);
  const rest = v.slice(slash + 1);
  const errs = isDNS1123Subdomain(host).map((m) => invalid(path, host, m));
  if (!/^[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$/.test(rest)) {
    errs.push(
      invalid(
        path,
        rest,
        "Invalid path (regex used for validation is '[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+')",
      ),
    );
  }
  return errs;
}

export function validateIngressClassCreate(ic: Obj): FieldError[] {
  const errs = validateObjectMeta(ic.metadata, false, nameIsDNSSubdomain);
  const spec = obj(ic.spec) ?? {};
  const controller = str(spec.controller);
  if (controller.length > 250) errs.push(tooLong('spec.controller', 250));
  errs.push(...validateDomainPrefixedPath(controller, 'spec.controller'));
  const params = obj(spec.parameters);
  if (params) {
    const pp = 'spec.parameters';
    errs.push(...validateTypedRef(params, pp));
    const scope = params.scope;
    if (scope !== undefined && scope !== null && scope !== 'Cluster' && scope !== 'Namespace') {
      errs.push(notSupported(`${pp}.scope`, str(scope), ['Cluster', 'Namespace']));
    }
    if (scope === 'Namespace' && str(params.namespace) === '') {
      errs.push(required(`${pp}.namespace`, '`parameters.scope` is set to "Namespace"'));
    }
    if (scope === 'Cluster' && params.namespace !== undefined && params.namespace !== null) {
      errs.push(forbidden(`${pp}.namespace`, '`parameters.scope` is set to "Cluster"'));
    }
  }
  return errs;
}

export function validateIngressClassUpdate(ic: Obj, old: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(ic.metadata, old.metadata).concat(
    validateIngressClassCreate(ic),
  );
  return errs.concat(
    validateImmutable(
      str(obj(ic.spec)?.controller),
      str(obj(old.spec)?.controller),
      'spec.controller',
    ),
  );
}
