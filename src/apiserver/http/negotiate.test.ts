import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { negotiateOutput, parseAccept, wantsTable } from './negotiate.ts';

// The media type a resource response is written in, as the apiserver negotiates it.

const pick = (accept: string | undefined, watch = false) =>
  negotiateOutput(parseAccept(accept), { watch });

describe('output negotiation of resource responses', () => {
  const cases: Array<[string | undefined, string | undefined]> = [
    [undefined, 'json'],
    ['application/json', 'json'],
    ['*/*', 'json'],
    ['*', 'json'],
    ['application/*', 'json'],
    ['application/yaml', 'yaml'],
    ['APPLICATION/YAML', 'yaml'],
    ['application/vnd.kubernetes.protobuf, */*', 'protobuf'],
    ['text/html, application/xhtml+xml, application/xml;q=0.9, */*;q=0.8', 'json'],
    ['application/json;q=0.5, application/yaml', 'yaml'],
    ['*/*, application/yaml', 'yaml'], // the more specific first at equal q
    ['application/json;q=0, text/html', 'json'], // q=0 sorts last but is kept
    ['text/html', undefined],
    ['text/plain', undefined],
    ['image/png, text/*', undefined],
    // kubectl get: a Table first, plain JSON as the fallback.
    ['application/json;as=Table;v=v1;g=meta.k8s.io,application/json', 'json'],
    ['application/json;as=Table;v=v2;g=meta.k8s.io', undefined],
    ['application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io', undefined],
    ['application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/yaml', 'yaml'],
    ['application/json;stream=watch', 'json'],
    ['application/yaml;stream=watch', undefined],
  ];
  for (const [accept, want] of cases) {
    it(`${accept ?? '(no Accept)'} → ${want ?? '406'}`, () => {
      assert.equal(pick(accept), want);
    });
  }

  it('a watch takes only what streams: YAML first is refused, not passed over', () => {
    assert.equal(pick('application/json', true), 'json');
    assert.equal(pick('application/json;stream=watch', true), 'json');
    assert.equal(pick('*/*', true), 'json');
    assert.equal(pick('application/yaml', true), undefined);
    assert.equal(pick('application/yaml, application/json', true), undefined);
    assert.equal(pick('application/json, application/yaml', true), 'json');
  });

  it('agrees with the Table check on what kubectl sends', () => {
    const accept = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';
    assert.equal(wantsTable(parseAccept(accept)), true);
    assert.equal(pick(accept), 'json');
  });
});
