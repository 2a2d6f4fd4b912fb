import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { repackSubsets, truncateSubsets, type EndpointAddress } from './subsets.ts';

// RepackSubsets and truncation on their own, as Kubernetes' endpoints util tests do.

const a = (ip: string, uid = `uid-${ip}`): EndpointAddress => ({
  ip,
  targetRef: { kind: 'Pod', namespace: 'ns', name: uid, uid },
});
const port = (name: string, n: number) => ({ name, port: n, protocol: 'TCP' });

describe('repackSubsets', () => {
  const cases = [
    {
      name: 'merges subsets offering the same port',
      input: [
        { addresses: [a('10.0.0.2')], ports: [port('p', 80)] },
        { addresses: [a('10.0.0.1')], ports: [port('p', 80)] },
      ],
      want: [{ addresses: [a('10.0.0.1'), a('10.0.0.2')], ports: [port('p', 80)] }],
    },
    {
      name: 'an address not ready for a port is not ready for it, whatever else says',
      input: [
        { addresses: [a('10.0.0.1')], ports: [port('p', 80)] },
        { notReadyAddresses: [a('10.0.0.1')], ports: [port('p', 80)] },
        { addresses: [a('10.0.0.1')], ports: [port('p', 80)] },
      ],
      want: [{ notReadyAddresses: [a('10.0.0.1')], ports: [port('p', 80)] }],
    },
    {
      name: 'the same IP of two pods is two addresses',
      input: [
        { addresses: [a('10.0.0.1', 'x')], ports: [port('p', 80)] },
        { addresses: [a('10.0.0.1', 'y')], ports: [port('p', 80)] },
      ],
      want: [{ addresses: [a('10.0.0.1', 'x'), a('10.0.0.1', 'y')], ports: [port('p', 80)] }],
    },
    {
      name: 'ports with the same addresses share a subset; a portless subset stays portless',
      input: [
        { addresses: [a('10.0.0.1')], ports: [port('b', 2)] },
        { addresses: [a('10.0.0.1')], ports: [port('a', 1)] },
        { addresses: [a('10.0.0.9')] },
      ],
      want: [
        { addresses: [a('10.0.0.1')], ports: [port('a', 1), port('b', 2)] },
        { addresses: [a('10.0.0.9')] },
      ],
    },
    { name: 'nothing stays nothing', input: [], want: [] },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(repackSubsets(c.input), c.want));
  }
});

describe('truncateSubsets', () => {
  const many = (n: number, prefix: string) =>
    Array.from({ length: n }, (_, i) => a(`${prefix}.${Math.floor(i / 250)}.${i % 250}`));

  it('leaves 1000 addresses alone', () => {
    const subsets = [{ addresses: many(600, '10.0'), notReadyAddresses: many(400, '10.1') }];
    assert.deepEqual(truncateSubsets(subsets), { subsets, truncated: false });
  });

  it('drops every not-ready address and shares the ready ones out in proportion', () => {
    const { subsets, truncated } = truncateSubsets([
      { addresses: many(800, '10.0'), notReadyAddresses: many(5, '10.2'), ports: [port('a', 1)] },
      { addresses: many(400, '10.1'), ports: [port('b', 2)] },
    ]);
    assert.equal(truncated, true);
    assert.deepEqual(
      subsets.map((s) => [s.addresses?.length, s.notReadyAddresses?.length]),
      [
        [667, undefined],
        [333, undefined],
      ],
    );
  });
});
