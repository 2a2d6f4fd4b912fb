// The `paths` of a group/version's OpenAPI v3 document, shaped like kube-apiserver's.
// kubectl relies on two things here: every PATCH operation on an item path carries
// `x-kubernetes-group-version-kind` and a `fieldValidation` query parameter (that is how
// `--validate=strict` learns the server checks fields; without them kubectl falls back to
// OpenAPI v2 and fails), and the responses name the kind's schema.
import type { GroupVersionKind, ResourceInfo } from './types.ts';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface OperationContext {
  group: string;
  version: string;
  /** A `$ref` to the definition's component schema (collecting it), or `{}` if undefined. */
  schemaOf: (definition: string | undefined) => Json;
  definitionForKind: (group: string, version: string, kind: string) => string | undefined;
}

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const PATCH_TYPES = [
  'application/apply-patch+yaml',
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
];

function query(name: string, type: string, description: string): Json {
  return { name, in: 'query', description, schema: { type, uniqueItems: true } };
}

function pathParam(name: string, description: string): Json {
  const schema = { type: 'string', uniqueItems: true };
  return { name, in: 'path', description, required: true, schema };
}

const PRETTY = query('pretty', 'string', "If 'true', then the output is pretty printed.");
const DRY_RUN = query('dryRun', 'string', 'When present, modifications are not persisted.');
const WRITE_PARAMS = [
  DRY_RUN,
  query('fieldManager', 'string', 'A name associated with the actor making these changes.'),
  query(
    'fieldValidation',
    'string',
    'How the server handles unknown or duplicate fields in the request: Ignore, Warn or Strict.',
  ),
];
const FORCE = query('force', 'boolean', 'Force an apply patch to take over conflicting fields.');
const DELETE_PARAMS = [
  DRY_RUN,
  query('gracePeriodSeconds', 'integer', 'Seconds before the object should be deleted.'),
  query('orphanDependents', 'boolean', 'Deprecated: use propagationPolicy.'),
  query('propagationPolicy', 'string', 'Orphan, Background or Foreground.'),
];
const LIST_PARAMS = [
  query('allowWatchBookmarks', 'boolean', 'Request watch events of type BOOKMARK.'),
  query('continue', 'string', 'Continue a paginated list from where the last one ended.'),
  query('fieldSelector', 'string', 'Restrict the returned objects by their fields.'),
  query('labelSelector', 'string', 'Restrict the returned objects by their labels.'),
  query('limit', 'integer', 'Maximum number of objects to return.'),
  query('resourceVersion', 'string', 'Which resource versions the request may be served from.'),
  query('resourceVersionMatch', 'string', 'How resourceVersion applies to list calls.'),
  query('sendInitialEvents', 'boolean', 'With watch=true, start with synthetic ADDED events.'),
  query('timeoutSeconds', 'integer', 'Timeout for the list/watch call.'),
  query('watch', 'boolean', 'Watch for changes and return them as a stream of events.'),
];

/** `rbac.authorization.k8s.io` → `RbacAuthorization`, '' → `Core`, as upstream ids read. */
function groupWord(group: string): string {
  if (group === '') return 'Core';
  const words = group.replace(/\.k8s\.io$/, '').split(/[.-]/);
  return words.map((word) => word[0].toUpperCase() + word.slice(1)).join('');
}

interface OperationSpec {
  action: string;
  /** Operation id with `$` standing for e.g. `AppsV1`: `read$NamespacedDeployment`. */
  id: string;
  description: string;
  responses: JsonObject;
  parameters?: Json[];
  requestBody?: Json;
  gvk?: GroupVersionKind;
}

/** Adds the paths of one resource and its subresources to `paths`. */
export function addResourcePaths(
  paths: Record<string, JsonObject>,
  resource: ResourceInfo,
  ctx: OperationContext,
): void {
  const { group, version } = ctx;
  const { kind, namespaced, plural } = resource;
  const prefix = group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
  const collection = `${prefix}${namespaced ? '/namespaces/{namespace}' : ''}/${plural}`;
  const item = `${collection}/{name}`;
  const gvk = { group, version, kind };
  const words = groupWord(group) + version[0].toUpperCase() + version.slice(1);
  const tag = `${groupWord(group)[0].toLowerCase()}${groupWord(group).slice(1)}_${version}`;
  const ns = namespaced ? 'Namespaced' : '';
  const verbs = new Set(resource.verbs);
  const schemaOfKind = (g: string, v: string, k: string) =>
    ctx.schemaOf(ctx.definitionForKind(g, v, k));
  const object = schemaOfKind(group, version, kind);
  const list = schemaOfKind(group, version, `${kind}List`);
  const status = ctx.schemaOf(`${META}.Status`);
  const deleteBody = body(ctx.schemaOf(`${META}.DeleteOptions`));
  const patchBody = {
    content: Object.fromEntries(
      PATCH_TYPES.map((t) => [t, { schema: ctx.schemaOf(`${META}.Patch`) }]),
    ),
    required: true,
  };
  if (verbs.has('watch')) ctx.schemaOf(`${META}.WatchEvent`);

  const op = (spec: OperationSpec): JsonObject => {
    const operation: JsonObject = { description: spec.description };
    operation.operationId = spec.id.replace('$', words);
    if (spec.parameters) operation.parameters = spec.parameters;
    if (spec.requestBody) operation.requestBody = spec.requestBody;
    operation.responses = { ...spec.responses, '401': { description: 'Unauthorized' } };
    operation.tags = [tag];
    operation['x-kubernetes-action'] = spec.action;
    operation['x-kubernetes-group-version-kind'] = { ...(spec.gvk ?? gvk) };
    return operation;
  };
  const readWriteOps = (what: string, suffix: string, schema: Json, opGvk: GroupVersionKind) => {
    const ops: JsonObject = {};
    const id = `$${ns}${suffix}`;
    if (verbs.has('get')) {
      const description = `read ${what}the specified ${kind}`;
      ops.get = op({
        action: 'get',
        id: `read${id}`,
        description,
        responses: answers(schema, '200'),
        gvk: opGvk,
      });
    }
    if (verbs.has('update')) {
      ops.put = op({
        action: 'put',
        id: `replace${id}`,
        description: `replace ${what}the specified ${kind}`,
        responses: answers(schema, '200', '201'),
        parameters: WRITE_PARAMS,
        requestBody: body(schema),
        gvk: opGvk,
      });
    }
    if (verbs.has('patch')) {
      ops.patch = op({
        action: 'patch',
        id: `patch${id}`,
        description: `partially update ${what}the specified ${kind}`,
        responses: answers(schema, '200', '201'),
        parameters: [...WRITE_PARAMS, FORCE],
        requestBody: patchBody,
        gvk: opGvk,
      });
    }
    return ops;
  };

  const collectionOps: JsonObject = {};
  if (verbs.has('list')) {
    const description = `list or watch objects of kind ${kind}`;
    collectionOps.get = op({
      action: 'list',
      id: `list$${ns}${kind}`,
      description,
      responses: answers(list, '200'),
      parameters: LIST_PARAMS,
    });
  }
  if (verbs.has('create')) {
    collectionOps.post = op({
      action: 'post',
      id: `create$${ns}${kind}`,
      description: `create a ${kind}`,
      responses: answers(object, '200', '201', '202'),
      parameters: WRITE_PARAMS,
      requestBody: body(object),
    });
  }
  if (verbs.has('deletecollection')) {
    collectionOps.delete = op({
      action: 'deletecollection',
      id: `deleteCollection$${ns}${kind}`,
      description: `delete collection of ${kind}`,
      responses: answers(status, '200'),
      parameters: [...LIST_PARAMS.slice(0, -1), ...DELETE_PARAMS.slice(1)],
      requestBody: deleteBody,
    });
  }
  const nsParams = namespaced
    ? [pathParam('namespace', 'object name and auth scope, such as for teams and projects')]
    : [];
  addPath(paths, collection, collectionOps, [...nsParams, PRETTY]);

  const itemOps = readWriteOps('', kind, object, gvk);
  if (verbs.has('delete')) {
    itemOps.delete = op({
      action: 'delete',
      id: `delete$${ns}${kind}`,
      description: `delete a ${kind}`,
      responses: answers(status, '200', '202'),
      parameters: DELETE_PARAMS,
      requestBody: deleteBody,
    });
  }
  const itemParams = [pathParam('name', `name of the ${kind}`), ...nsParams, PRETTY];
  addPath(paths, item, itemOps, itemParams);

  if (namespaced && verbs.has('list')) {
    const allNamespaces = op({
      action: 'list',
      id: `list$${kind}ForAllNamespaces`,
      description: `list or watch objects of kind ${kind}`,
      responses: answers(list, '200'),
      parameters: LIST_PARAMS,
    });
    addPath(paths, `${prefix}/${plural}`, { get: allNamespaces }, [PRETTY]);
  }

  for (const sub of resource.subresources) {
    const suffix = `${kind}${sub[0].toUpperCase()}${sub.slice(1)}`;
    const create = (g: string, v: string, k: string): JsonObject => {
      const schema = schemaOfKind(g, v, k);
      const description = `create ${sub} of a ${kind}`;
      const spec = {
        action: 'post',
        id: `create$${ns}${suffix}`,
        description,
        parameters: WRITE_PARAMS,
      };
      return {
        post: op({
          ...spec,
          responses: answers(schema, '200', '201'),
          requestBody: body(schema),
          gvk: { group: g, version: v, kind: k },
        }),
      };
    };
    const stream = (method: string): JsonObject =>
      op({
        action: 'connect',
        id: `connect${method}$${ns}${suffix}`,
        description: `connect ${method.toUpperCase()} requests to ${sub} of ${kind}`,
        responses: {
          '200': { description: 'OK', content: { '*/*': { schema: { type: 'string' } } } },
        },
      });
    let ops: JsonObject;
    if (sub === 'scale') {
      const scaleGvk = { group: 'autoscaling', version: 'v1', kind: 'Scale' };
      ops = readWriteOps('scale of ', suffix, schemaOfKind('autoscaling', 'v1', 'Scale'), scaleGvk);
    } else if (sub === 'eviction') ops = create('policy', 'v1', 'Eviction');
    else if (sub === 'binding') ops = create('', 'v1', 'Binding');
    else if (sub === 'token') ops = create('authentication.k8s.io', 'v1', 'TokenRequest');
    else if (sub === 'log') {
      const description = `read log of the specified ${kind}`;
      const text = {
        '200': { description: 'OK', content: { 'text/plain': { schema: { type: 'string' } } } },
      };
      ops = { get: op({ action: 'get', id: `read$${ns}${suffix}`, description, responses: text }) };
    } else if (['exec', 'attach', 'portforward', 'proxy'].includes(sub)) {
      ops = { get: stream('Get'), post: stream('Post') };
    } else ops = readWriteOps(`${sub} of `, suffix, object, gvk); // status, ephemeralcontainers, resize
    addPath(paths, `${item}/${sub}`, ops, itemParams);
  }
}

function addPath(
  paths: Record<string, JsonObject>,
  path: string,
  ops: JsonObject,
  parameters: Json[],
) {
  if (Object.keys(ops).length > 0) paths[path] = { ...ops, parameters };
}

function answers(schema: Json, ...codes: string[]): JsonObject {
  const text: Record<string, string> = { '200': 'OK', '201': 'Created', '202': 'Accepted' };
  return Object.fromEntries(
    codes.map((code) => [
      code,
      { description: text[code], content: { 'application/json': { schema } } },
    ]),
  );
}

function body(schema: Json): Json {
  return { content: { '*/*': { schema } }, required: true };
}
