// Test fixture: a minimal plain-HTTP API server for real kubectl binaries, serving
// version, legacy discovery, /openapi/v2 (this folder) and /openapi/v3 for pods and
// deployments, and answering create requests as kube-apiserver's field validation would.
// Over plain HTTP kubectl sends no credentials, so nothing is checked.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  buildOpenApiV3Document,
  buildOpenApiV3Index,
  openApiV3PathOf,
  serializeDocument,
  type ResourceInfo,
} from '../openapi/index.ts';
import {
  negotiateOpenApiV2,
  openApiV2Json,
  openApiV2Protobuf,
  serializeOpenApiV2,
  type ResourcesByGroupVersion,
} from './index.ts';

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

const POD: ResourceInfo = {
  kind: 'Pod',
  plural: 'pods',
  namespaced: true,
  verbs: VERBS,
  subresources: ['status', 'log', 'exec'],
};
const DEPLOYMENT: ResourceInfo = {
  kind: 'Deployment',
  plural: 'deployments',
  namespaced: true,
  verbs: VERBS,
  subresources: ['status', 'scale'],
};
const SHORT_NAMES: Record<string, string[]> = { pods: ['po'], deployments: ['deploy'] };

export const SERVED: ResourcesByGroupVersion = { v1: [POD], 'apps/v1': [DEPLOYMENT] };

export interface Request {
  method: string;
  path: string;
  query: string;
  accept: string;
  ifNoneMatch?: string;
  /** The status answered. */
  status?: number;
}

export interface FixtureOptions {
  /** Leave PATCH out of both documents, as a server without field validation would. */
  withoutPatch?: boolean;
  /** Answer /openapi/v3 with 404, as a server before 1.24 would. */
  withoutV3?: boolean;
}

export interface Fixture {
  url: string;
  requests: Request[];
  close(): Promise<void>;
}

function withoutPatch(served: ResourcesByGroupVersion): ResourcesByGroupVersion {
  return Object.fromEntries(
    Object.entries(served).map(([gv, resources]) => [
      gv,
      resources.map((r) => ({ ...r, verbs: r.verbs.filter((v) => v !== 'patch') })),
    ]),
  );
}

export async function startFixture(options: FixtureOptions = {}): Promise<Fixture> {
  const served = options.withoutPatch ? withoutPatch(SERVED) : SERVED;
  const v2 = openApiV2Json(served);
  const v2Json = serializeOpenApiV2(v2);
  const v2Protobuf = openApiV2Protobuf(v2);
  const v3 = new Map(
    Object.entries(served).map(([gv, resources]) => {
      const [group, version] = gv.includes('/') ? gv.split('/') : ['', gv];
      return [gv, serializeDocument(buildOpenApiV3Document({ group, version }, resources))];
    }),
  );
  const requests: Request[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const accept = req.headers.accept ?? '';
    const request: Request = { method: req.method!, path: url.pathname, query: url.search, accept };
    if (req.headers['if-none-match']) request.ifNoneMatch = req.headers['if-none-match'];
    requests.push(request);
    const send = (status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}) => {
      request.status = status;
      res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
      res.end(typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body));
    };
    const status = (code: number, reason: string, message: string) =>
      send(code, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, message, code });
    const { port } = server.address() as AddressInfo;
    const path = url.pathname;
    if (path === '/openapi/v2') {
      const format = negotiateOpenApiV2(req.headers.accept);
      if (!format) return status(406, 'NotAcceptable', 'only JSON and protobuf are served');
      const headers = { 'Content-Type': format.contentType, ETag: v2Json.etag, Vary: 'Accept' };
      if (req.headers['if-none-match'] === v2Json.etag) return send(304, '', headers);
      return send(200, format.format === 'json' ? v2Json.json : v2Protobuf, headers);
    }
    if (path === '/version') {
      const gitVersion = 'v1.32.0-wharf.0';
      return send(200, { major: '1', minor: '32', gitVersion, platform: 'linux/amd64' });
    }
    if (path === '/api') {
      const serverAddressByClientCIDRs = [
        { clientCIDR: '0.0.0.0/0', serverAddress: `127.0.0.1:${port}` },
      ];
      return send(200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs });
    }
    if (path === '/apis') {
      const groupVersion = { groupVersion: 'apps/v1', version: 'v1' };
      const apps = { name: 'apps', versions: [groupVersion], preferredVersion: groupVersion };
      return send(200, { kind: 'APIGroupList', apiVersion: 'v1', groups: [apps] });
    }
    if (path === '/api/v1' || path === '/apis/apps/v1') {
      return send(200, resourceList(path === '/api/v1' ? 'v1' : 'apps/v1'));
    }
    if (path === '/openapi/v3' && !options.withoutV3) {
      return send(
        200,
        buildOpenApiV3Index([...v3.keys()], (gv) => v3.get(gv)!.hash),
      );
    }
    const gv = [...v3.keys()].find((g) => path === `/openapi/v3/${openApiV3PathOf(g)}`);
    if (gv && !options.withoutV3) return send(200, v3.get(gv)!.json);
    if (req.method === 'POST' && path === '/apis/apps/v1/namespaces/default/deployments') {
      return answerCreate(req, url, send, status);
    }
    status(404, 'NotFound', 'the server could not find the requested resource');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Reads the Deployment and rejects `spec.bogusField` as `fieldValidation=Strict` would. */
function answerCreate(
  req: http.IncomingMessage,
  url: URL,
  send: (status: number, body: unknown) => void,
  status: (code: number, reason: string, message: string) => void,
): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const object = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (url.searchParams.get('fieldValidation') === 'Strict' && 'bogusField' in object.spec) {
      const message = 'Deployment in version "v1" cannot be handled as a Deployment: ';
      return status(
        400,
        'BadRequest',
        `${message}strict decoding error: unknown field "spec.bogusField"`,
      );
    }
    object.metadata = { ...object.metadata, namespace: 'default', uid: 'u-1' };
    send(201, object);
  });
}

function resourceList(gv: string) {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: gv,
    resources: SERVED[gv]!.flatMap((resource) => [
      {
        name: resource.plural,
        singularName: resource.kind.toLowerCase(),
        namespaced: resource.namespaced,
        kind: resource.kind,
        verbs: resource.verbs,
        shortNames: SHORT_NAMES[resource.plural],
      },
      ...resource.subresources.map((sub) => ({
        name: `${resource.plural}/${sub}`,
        singularName: '',
        namespaced: resource.namespaced,
        kind: resource.kind,
        verbs: ['get'],
      })),
    ]),
  };
}
