import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestCluster, type TestCluster } from '../../test/support/cluster.ts';
import {
  LeaderElection,
  LEASES,
  microTime,
  type LeaderElectionOptions,
} from './leader-election.ts';
import { RestClient } from './rest-client.ts';
import { createNamespace, eventually, within } from './test-support.ts';

// Two candidates for one Lease on a real wharf API server, with short timings.

const NS = 'leader-test';
let cluster: TestCluster;
let client: RestClient;

before(
  async () => {
    cluster = await startTestCluster();
    client = new RestClient({ server: cluster.url, token: cluster.token, caPem: cluster.caPem });
    await createNamespace(client, NS);
  },
  { timeout: 20_000 },
);

after(async () => {
  client?.close();
  await cluster?.close();
});

interface Candidate {
  election: LeaderElection;
  stop: AbortController;
  leadership?: AbortSignal;
  stopped: boolean;
  done: Promise<void>;
}

function campaign(
  identity: string,
  lease: string,
  extra: Partial<LeaderElectionOptions> = {},
): Candidate {
  const election = new LeaderElection(client, {
    namespace: NS,
    name: lease,
    identity,
    leaseDurationSeconds: 2,
    renewDeadlineMs: 1_500,
    retryPeriodMs: 100,
    ...extra,
  });
  const candidate: Candidate = {
    election,
    stop: new AbortController(),
    stopped: false,
    done: Promise.resolve(),
  };
  candidate.done = election.run(
    {
      onStartedLeading: (signal) => {
        candidate.leadership = signal;
      },
      onStoppedLeading: () => {
        candidate.stopped = true;
      },
    },
    candidate.stop.signal,
  );
  return candidate;
}

type LeaseSpec = {
  holderIdentity?: string;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
};
const leaseSpec = async (name: string) =>
  ((await client.get(LEASES, NS, name)).spec ?? {}) as LeaseSpec;

describe('LeaderElection', { timeout: 20_000 }, () => {
  it('formats MicroTime with six fractional digits', () => {
    assert.equal(microTime(Date.UTC(2024, 0, 1)), '2024-01-01T00:00:00.000000Z');
    assert.equal(microTime(Date.UTC(2024, 5, 30, 12, 34, 56, 789)), '2024-06-30T12:34:56.789000Z');
  });

  it('elects exactly one leader; the other takes over when it stops', async () => {
    const a = campaign('candidate-a', 'released');
    const b = campaign('candidate-b', 'released');
    try {
      const first = await eventually('a leader', () => [a, b].find((c) => c.election.isLeader()));
      const second = first === a ? b : a;
      // Watch several renewals: the leader keeps the lease and the other never leads.
      for (let renewals = 0; renewals < 3; renewals++) {
        const spec = await leaseSpec('released');
        assert.equal(spec.holderIdentity, first.election.identity);
        assert.equal(second.election.isLeader(), false);
        assert.equal(second.leadership, undefined);
        const renewed = async () => (await leaseSpec('released')).renewTime !== spec.renewTime;
        await eventually('a renewal', renewed, 5_000);
      }
      const spec = await leaseSpec('released');
      assert.match(spec.renewTime ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
      assert.match(spec.acquireTime ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);

      first.stop.abort();
      await within('the first leader to stop', first.done);
      assert.equal(first.stopped, true);
      assert.equal(first.leadership?.aborted, true);
      await eventually('the second candidate to lead', () => second.election.isLeader(), 10_000);
      assert.equal(second.leadership?.aborted, false);
      const taken = await leaseSpec('released');
      assert.equal(taken.holderIdentity, second.election.identity);
      assert.ok((taken.leaseTransitions ?? 0) >= 1, JSON.stringify(taken));
    } finally {
      a.stop.abort();
      b.stop.abort();
      await within('both candidates to stop', Promise.all([a.done, b.done]));
    }
  });

  it('takes over an expired lease that was never released', async () => {
    const a = campaign('candidate-a', 'expired', { releaseOnCancel: false });
    await eventually('a to lead', () => a.election.isLeader());
    const b = campaign('candidate-b', 'expired');
    try {
      a.stop.abort();
      await within('a to stop', a.done);
      assert.equal((await leaseSpec('expired')).holderIdentity, 'candidate-a');
      await eventually('b to lead once the lease expired', () => b.election.isLeader(), 10_000);
      assert.equal((await leaseSpec('expired')).holderIdentity, 'candidate-b');
    } finally {
      b.stop.abort();
      await within('b to stop', b.done);
    }
  });
});
