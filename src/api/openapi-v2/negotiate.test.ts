import assert from 'node:assert/strict';
import { test } from 'node:test';
import { negotiateOpenApiV2, OPENAPI_V2_PROTOBUF_TYPE } from './index.ts';

const JSON_ANSWER = { format: 'json', contentType: 'application/json' };
const PROTOBUF_ANSWER = { format: 'protobuf', contentType: OPENAPI_V2_PROTOBUF_TYPE };

const CASES: [accept: string | undefined, answer: object | undefined][] = [
  // client-go's OpenAPISchema(), as kubectl 1.27 and 1.28 send it
  ['application/com.github.proto-openapi.spec.v2@v1.0+protobuf', PROTOBUF_ANSWER],
  ['application/com.github.proto-openapi.spec.v2.v1.0+protobuf', PROTOBUF_ANSWER],
  ['application/json', JSON_ANSWER],
  [undefined, JSON_ANSWER],
  ['', JSON_ANSWER],
  ['*/*', JSON_ANSWER],
  ['application/*', JSON_ANSWER],
  ['application/json, */*', JSON_ANSWER],
  ['application/com.github.proto-openapi.spec.v2@v1.0+protobuf, application/json', PROTOBUF_ANSWER],
  // higher quality first; then the more specific range
  [
    'application/json;q=0.5, application/com.github.proto-openapi.spec.v2.v1.0+protobuf',
    PROTOBUF_ANSWER,
  ],
  ['*/*, application/com.github.proto-openapi.spec.v2@v1.0+protobuf', PROTOBUF_ANSWER],
  ['application/yaml', undefined],
  ['application/vnd.kubernetes.protobuf', undefined],
  ['text/html, application/xhtml+xml', undefined],
];

for (const [accept, answer] of CASES) {
  test(`Accept: ${accept ?? '(none)'}`, () => {
    assert.deepEqual(negotiateOpenApiV2(accept), answer);
  });
}
