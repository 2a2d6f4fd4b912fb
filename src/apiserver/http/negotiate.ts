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
