import type { ServerResponse } from 'node:http';
import YAML from 'yaml';
import type { Status } from '../errors.ts';
import { knownJsonOf } from '../storage/serialized.ts';

/** Responses whose client negotiated YAML (negotiate.ts): their JSON goes out as YAML. */
const inYaml = new WeakSet<ServerResponse>();

export function answerInYaml(res: ServerResponse): void {
  inYaml.add(res);
}

/**
 * JSON as the API server's YAML serializer writes it (sigs.k8s.io/yaml over the JSON):
 * keys sorted, sequences not indented under their key.
 */
function yamlOf(json: string): string {
  return YAML.stringify(JSON.parse(json), { sortMapEntries: true, indentSeq: false });
}

export function sendJson(
  res: ServerResponse,
  code: number,
  body: unknown,
  contentType = 'application/json',
): void {
  let text = typeof body === 'string' ? body : knownJsonOf(body as object);
  if (contentType === 'application/json' && inYaml.has(res)) {
    text = yamlOf(text);
    contentType = 'application/yaml';
  }
  res.writeHead(code, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-cache, private',
  });
  res.end(text);
}

export function sendStatus(res: ServerResponse, status: Status): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, status.code, status);
}

export function sendText(res: ServerResponse, code: number, text: string): void {
  res.writeHead(code, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-cache, private',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(text);
}
