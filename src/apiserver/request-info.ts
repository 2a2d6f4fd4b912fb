// Turns a URL into what the request is about, as apiserver's RequestInfoFactory does:
// `/apis/apps/v1/namespaces/web/deployments/front/scale` → resource request, group apps,
// version v1, namespace web, resource deployments, name front, subresource scale.

export interface ResourceRequest {
  kind: 'resource';
  /** get, list, watch, create, update, patch, delete, deletecollection */
  verb: string;
  group: string;
  version: string;
  /** '' for cluster-wide requests. */
  namespace: string;
  resource: string;
  name: string;
  subresource: string;
}

export type ApiRequest =
  | ResourceRequest
  | { kind: 'discovery'; path: 'api' | 'apis' }
  | { kind: 'groupDiscovery'; group: string }
  | { kind: 'resourceList'; group: string; version: string }
  | { kind: 'other' };

const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

export function parseRequestPath(
  method: string,
  pathname: string,
  query: URLSearchParams,
): ApiRequest {
  const parts = pathname.split('/').filter((p) => p !== '');
  let rest: string[];
  let group = '';
  let version: string;
  if (parts[0] === 'api') {
    if (parts.length === 1) return { kind: 'discovery', path: 'api' };
    version = parts[1]!;
    rest = parts.slice(2);
  } else if (parts[0] === 'apis') {
    if (parts.length === 1) return { kind: 'discovery', path: 'apis' };
    group = parts[1]!;
    if (parts.length === 2) return { kind: 'groupDiscovery', group };
    version = parts[2]!;
    rest = parts.slice(3);
  } else {
    return { kind: 'other' };
  }
  if (rest.length === 0) return { kind: 'resourceList', group, version };

  let watchPrefix = false;
  if (rest[0] === 'watch') {
    watchPrefix = true;
    rest = rest.slice(1);
  }
  let namespace = '';
  if (rest[0] === 'namespaces' && rest.length > 1) {
    namespace = rest[1]!;
    if (rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2]!)) rest = rest.slice(2);
  }
  const [resource = '', name = '', subresource = '', ...extra] = rest;
  // A namespace addressed as an object is cluster-scoped.
  if (resource === 'namespaces') namespace = '';
  let verb: string;
  switch (method) {
    case 'POST':
      verb = 'create';
      break;
    case 'PUT':
      verb = 'update';
      break;
    case 'PATCH':
      verb = 'patch';
      break;
    case 'DELETE':
      verb = name ? 'delete' : 'deletecollection';
      break;
    case 'GET':
    case 'HEAD': {
      const watchParam = query.get('watch');
      const watch = watchPrefix || watchParam === 'true' || watchParam === '1';
      verb = watch ? 'watch' : name ? 'get' : 'list';
      break;
    }
    default:
      verb = method.toLowerCase();
  }
  return {
    kind: 'resource',
    verb,
    group,
    version,
    namespace,
    resource,
    name,
    // Deeper paths (pods/x/proxy/some/path) keep their tail in the subresource.
    subresource: extra.length > 0 ? [subresource, ...extra].join('/') : subresource,
  };
}
