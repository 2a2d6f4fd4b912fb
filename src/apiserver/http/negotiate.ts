// Reading the Accept header the way kubectl uses it: a list of media types with
// parameters, e.g. `application/json;as=Table;v=v1;g=meta.k8s.io,application/json`.

export interface MediaRange {
  type: string;
  params: Record<string, string>;
}

export function parseAccept(header: string | undefined): MediaRange[] {
  if (!header) return [];
  return header.split(',').map((part) => {
    const [type = '', ...rest] = part.split(';').map((s) => s.trim());
    const params: Record<string, string> = {};
    for (const p of rest) {
      const eq = p.indexOf('=');
      if (eq > 0) params[p.slice(0, eq).trim()] = p.slice(eq + 1).trim();
    }
    return { type: type.toLowerCase(), params };
  });
}

const isJson = (t: string) => t === 'application/json' || t === '*/*' || t === 'application/*';

/** True when the client asks for a meta.k8s.io Table before anything else usable. */
export function wantsTable(accept: MediaRange[]): boolean {
  for (const r of accept) {
    if (r.params.as === 'Table' && (r.params.g ?? 'meta.k8s.io') === 'meta.k8s.io') {
      if (
        isJson(r.type) &&
        (r.params.v === undefined || r.params.v === 'v1' || r.params.v === 'v1beta1')
      ) {
        return true;
      }
      continue;
    }
    if (r.params.as === undefined && (isJson(r.type) || r.type === 'application/yaml'))
      return false;
  }
  return false;
}

/** Which aggregated discovery version the client takes, if any (in its order of preference). */
export function wantedDiscovery(accept: MediaRange[]): 'v2' | 'v2beta1' | undefined {
  for (const r of accept) {
    if (r.params.as === 'APIGroupDiscoveryList' && r.params.g === 'apidiscovery.k8s.io') {
      if (r.params.v === 'v2' || r.params.v === 'v2beta1') return r.params.v;
      continue;
    }
    if (isJson(r.type) && r.params.as === undefined) return undefined;
  }
  return undefined;
}

/** What a resource response is written in. Protobuf is accepted, and answered in JSON. */
export type OutputFormat = 'json' | 'yaml' | 'protobuf';

/** The server's media types, in its order: what `*` and `application/*` pick first. */
const SERVED: Array<[string, OutputFormat]> = [
  ['application/json', 'json'],
  ['application/yaml', 'yaml'],
  ['application/vnd.kubernetes.protobuf', 'protobuf'],
];
/** Those with a watch (stream) encoding: YAML has none. */
const STREAMED = new Set<OutputFormat>(['json', 'protobuf']);

export const NOT_ACCEPTABLE =
  'only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf';
export const NOT_ACCEPTABLE_STREAM =
  'only the following media types are accepted: application/json;stream=watch, application/vnd.kubernetes.protobuf;stream=watch';

const TRANSFORMS = new Set(['Table']);

/**
 * The apiserver's NegotiateMediaTypeOptions for a resource endpoint: the client's media
 * ranges by quality and then specificity, the first that names a type the
 * server writes, with parameters it honours (`as=Table` of meta.k8s.io; `stream=watch` on
 * a type with a stream encoding). Undefined when none does: 406. For a watch the format
 * found must stream, or it is 406 too (`application/yaml` first in a watch's Accept).
 */
export function negotiateOutput(
  accept: MediaRange[],
  options: { watch: boolean },
): OutputFormat | undefined {
  if (accept.length === 0) return 'json';
  // goautoneg's order: by q, then the more specific first; q=0 is kept but sorts last.
  const specificity = (r: MediaRange) =>
    r.type === '*/*' || r.type === '*' ? 0 : r.type.endsWith('/*') ? 1 : 2;
  const ranked = accept
    .map((r, i) => ({ r, i, q: Number.parseFloat(r.params.q ?? '1') || 0, s: specificity(r) }))
    .sort((a, b) => b.q - a.q || b.s - a.s || a.i - b.i);
  for (const { r } of ranked) {
    const [type = '', subtype = type === '*' ? '*' : ''] = r.type.split('/');
    const served = SERVED.find(([name]) => {
      const [t, s] = name.split('/');
      return (
        (type === t && (subtype === s || subtype === '*')) || (type === '*' && subtype === '*')
      );
    });
    if (!served) continue;
    const format = served[1];
    if (r.params.as !== undefined || r.params.g !== undefined || r.params.v !== undefined) {
      const table =
        TRANSFORMS.has(r.params.as ?? '') &&
        (r.params.g ?? 'meta.k8s.io') === 'meta.k8s.io' &&
        (r.params.v === undefined || r.params.v === 'v1' || r.params.v === 'v1beta1');
      if (!table || format !== 'json') continue;
    }
    if (r.params.stream !== undefined && (r.params.stream !== 'watch' || !STREAMED.has(format)))
      continue;
    if (options.watch && !STREAMED.has(format)) return undefined;
    return format;
  }
  return undefined;
}
