import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeProtobufObject, encodeProtobufObject } from './index.ts';
import { SAMPLE_OBJECTS } from './testing/sample-objects.ts';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** JSON a Go zero value prints as: what decoding may add to an object it was not given. */
function isZeroJson(value: unknown): boolean {
  if (value === null || value === '' || value === 0 || value === false) return true;
  if (typeof value !== 'object' || Array.isArray(value)) return false;
  return Object.values(value).every(isZeroJson);
}

/** `actual` has every non-zero value of `expected`, and otherwise only zero values. */
function assertContains(actual: unknown, expected: unknown, path = '$'): void {
  if (actual === undefined && isZeroJson(expected)) return; // omitempty
  if (expected === null || typeof expected !== 'object') {
    assert.deepEqual(actual, expected, path);
    return;
  }
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${path} is not an array`);
    assert.equal(actual.length, expected.length, `${path}.length`);
    expected.forEach((item, i) => assertContains(actual[i], item, `${path}[${i}]`));
    return;
  }
  assert.ok(
    actual !== null && typeof actual === 'object' && !Array.isArray(actual),
    `${path} is not an object`,
  );
  const a = actual as Record<string, unknown>;
  for (const [key, value] of Object.entries(expected))
    assertContains(a[key], value, `${path}.${key}`);
  for (const key of Object.keys(a).filter((k) => !(k in expected))) {
    assert.ok(isZeroJson(a[key]), `${path}.${key} was added with ${JSON.stringify(a[key])}`);
  }
}

describe('encode → decode round trip', () => {
  for (const sample of SAMPLE_OBJECTS) {
    test(`${sample.apiVersion} ${sample.kind}`, () => {
      const body = encodeProtobufObject(sample);
      const decoded = decodeProtobufObject(body);
      assert.equal(decoded.apiVersion, sample.apiVersion);
      assert.equal(decoded.kind, sample.kind);
      assertContains(decoded.object, sample);
      // The decoded JSON is the same Go value, so it encodes to the same bytes.
      assert.deepEqual(encodeProtobufObject(decoded.object as typeof sample), body);
    });
  }
});

describe('Go JSON semantics of decoded objects', () => {
  const roundTrip = (obj: (typeof SAMPLE_OBJECTS)[number]) =>
    decodeProtobufObject(encodeProtobufObject(obj)).object as Json;
  const sample = (kind: string) => SAMPLE_OBJECTS.find((o) => o.kind === kind)!;

  test('pointers keep zero values; omitempty values drop them; others keep them', () => {
    const deployment = roundTrip(sample('Deployment'));
    assert.equal(deployment.spec.replicas, 0);
    const podSpec = deployment.spec.template.spec;
    assert.equal('hostNetwork' in podSpec, false);
    assert.deepEqual(podSpec.containers[0].ports[1], { containerPort: 0, protocol: 'UDP' });
    assert.deepEqual(podSpec.containers[0].env[1], { name: 'EMPTY' });
    assert.equal(deployment.spec.template.metadata.creationTimestamp, null);
    assert.deepEqual(podSpec.initContainers[0].resources, {});
    assert.equal(roundTrip(sample('ConfigMap')).immutable, false);
    assert.equal(roundTrip(sample('Eviction')).deleteOptions.gracePeriodSeconds, 0);
  });

  test('inline members are flattened', () => {
    const podSpec = roundTrip(sample('Pod')).spec;
    assert.deepEqual(podSpec.volumes[0], {
      name: 'data',
      emptyDir: { medium: 'Memory', sizeLimit: '64Mi' },
    });
    assert.equal(podSpec.containers[0].livenessProbe.httpGet.port, 'http');
    assert.equal(podSpec.containers[0].env[2].valueFrom.secretKeyRef.name, 's');
    assert.equal(podSpec.ephemeralContainers[0].targetContainerName, 'app');
    assert.equal(podSpec.ephemeralContainers[0].name, 'dbg');
  });

  test('special types', () => {
    const event = roundTrip(sample('Event'));
    assert.equal(event.eventTime, '2024-01-02T03:04:05.123456Z');
    assert.equal(event.metadata.creationTimestamp, '2024-01-02T03:04:05Z');
    assert.deepEqual(event.metadata.managedFields[0].fieldsV1, {
      'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
    });
    const service = roundTrip(sample('Service'));
    assert.deepEqual(
      service.spec.ports.map((p: { targetPort: unknown }) => p.targetPort),
      [8080, 'http'],
    );
    assert.deepEqual(roundTrip(sample('Secret')).data, { p: 'cQ==', empty: '' });
    assert.deepEqual(roundTrip(sample('SelfSubjectReview')).status.userInfo.extra, {
      scopes: ['a', 'b'],
      none: null,
    });
    assert.equal(roundTrip(sample('Node')).status.images[0].sizeBytes, 72_000_000_000);
    assert.equal(roundTrip(sample('PriorityClass')).value, -5);
    assert.deepEqual(roundTrip(sample('ControllerRevision')).data, {
      spec: { template: { x: [1, 'two', null, true] } },
    });
  });

  test('a map key __proto__ is an ordinary key', () => {
    const configMap = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c' },
      data: JSON.parse('{"__proto__":"x"}'),
    };
    const decoded = roundTrip(configMap);
    assert.deepEqual(Object.keys(decoded.data), ['__proto__']);
    assert.equal(Object.getPrototypeOf(decoded.data), Object.prototype);
  });
});
