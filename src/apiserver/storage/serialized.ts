import type { KubeObject } from '../../api/index.ts';

// Objects held by the watch cache never change (writers make new ones), so each one's JSON
// is computed once and reused by every list and watch that sends it. Keyed by identity:
// a converted view is a new object and is serialized afresh.

const memo = new WeakMap<object, string>();

/** Records `json` as the JSON of `obj`, which the caller knows it to be. */
export function rememberJson(obj: KubeObject, json: string): void {
  memo.set(obj, json);
}

/** The JSON recorded for `obj`, or a fresh serialization (not recorded). */
export function knownJsonOf(obj: object): string {
  return memo.get(obj) ?? JSON.stringify(obj);
}

export function jsonOf(obj: KubeObject): string {
  let json = memo.get(obj);
  if (json === undefined) {
    json = JSON.stringify(obj);
    memo.set(obj, json);
  }
  return json;
}

/** A list body, built from the items' memoized JSON. */
export function listBody(
  kind: string,
  apiVersion: string,
  metadata: object,
  items: KubeObject[],
): string {
  const parts = new Array<string>(items.length);
  for (let i = 0; i < items.length; i++) parts[i] = jsonOf(items[i]!);
  return `{"kind":${JSON.stringify(kind)},"apiVersion":${JSON.stringify(apiVersion)},"metadata":${JSON.stringify(metadata)},"items":[${parts.join(',')}]}`;
}
