// Content negotiation for /openapi/v2, as kube-openapi's handler does it: the Accept
// clauses sorted by quality (then the more specific first), and the first clause that
// matches JSON or one of the two protobuf names wins; none → 406 Not Acceptable.
// kubectl asks for the `@v1.0` name; the answer is labelled with the `.v1.0` one.

/** The media type a protobuf answer carries. */
export const OPENAPI_V2_PROTOBUF_TYPE =
  'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';
/** The older name client-go sends in Accept; still served, labelled as the one above. */
export const OPENAPI_V2_PROTOBUF_TYPE_DEPRECATED =
  'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';
export const OPENAPI_V2_JSON_TYPE = 'application/json';

export interface OpenApiV2Format {
  format: 'json' | 'protobuf';
  /** The Content-Type of the answer. */
  contentType: string;
}

/** In kube-openapi's order: with `*\/*` or `application/*`, JSON wins. */
const OFFERED: readonly [string, OpenApiV2Format][] = [
  [OPENAPI_V2_JSON_TYPE, { format: 'json', contentType: OPENAPI_V2_JSON_TYPE }],
  [
    OPENAPI_V2_PROTOBUF_TYPE_DEPRECATED,
    { format: 'protobuf', contentType: OPENAPI_V2_PROTOBUF_TYPE },
  ],
  [OPENAPI_V2_PROTOBUF_TYPE, { format: 'protobuf', contentType: OPENAPI_V2_PROTOBUF_TYPE }],
];

interface Clause {
  type: string;
  subType: string;
  q: number;
}

/**
 * The format to answer an /openapi/v2 request with `accept` (an absent or empty header
 * means `*\/*`), or undefined when nothing offered is acceptable (answer 406).
 */
export function negotiateOpenApiV2(accept: string | undefined): OpenApiV2Format | undefined {
  for (const clause of parseAccept(accept?.trim() ? accept : '*/*')) {
    for (const [mediaType, format] of OFFERED) {
      const [type, subType] = mediaType.split('/');
      if (clause.type !== type && clause.type !== '*') continue;
      if (clause.subType !== subType && clause.subType !== '*') continue;
      return format;
    }
  }
  return undefined;
}

/** goautoneg's ParseAccept: clauses with their `q`, best first; q=0 is kept but sorts last. */
function parseAccept(header: string): Clause[] {
  const clauses: Clause[] = [];
  for (const part of header.split(',')) {
    const [range = '', ...params] = part.split(';').map((s) => s.trim());
    const slash = range.indexOf('/');
    const clause: Clause =
      slash === -1
        ? { type: range, subType: range === '*' ? '*' : '', q: 1 }
        : { type: range.slice(0, slash), subType: range.slice(slash + 1), q: 1 };
    for (const param of params) {
      const [key, value] = param.split('=').map((s) => s.trim());
      if (key === 'q' && value !== undefined) clause.q = Number.parseFloat(value) || 0;
    }
    clauses.push(clause);
  }
  // Array.prototype.sort is stable: equal clauses keep the client's order.
  return clauses.sort(
    (a, b) =>
      b.q - a.q ||
      Number(a.type === '*') - Number(b.type === '*') ||
      Number(a.subType === '*') - Number(b.subType === '*'),
  );
}
