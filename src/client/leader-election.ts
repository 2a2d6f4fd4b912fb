import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { KubeObject } from '../api/index.ts';
import { isAlreadyExists, isConflict, isNotFound } from './api-error.ts';
import { realClock, sleep, type Clock } from './clock.ts';
import { stderrLogger, type Logger } from './logger.ts';
import type { ResourceRef, RestClient } from './rest-client.ts';

// Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection:
// candidates try every retryPeriod to take a lease whose holder has not renewed it for
// leaseDurationSeconds; the leader renews every retryPeriod and steps down when it could
// not renew for renewDeadline. Expiry is judged by the local time at which this
// candidate last saw the lease change, never by the timestamps in it, so clock skew
// between machines does not matter. A leader that stops releases the lease (empty
// holder) so another takes over at its next try instead of waiting for expiry.

export const LEASES: ResourceRef = {
  group: 'coordination.k8s.io',
  version: 'v1',
  resource: 'leases',
  namespaced: true,
};

export interface LeaderElectionOptions {
  namespace: string;
  /** Name of the Lease object, e.g. `wharf-controller-manager`. */
  name: string;
  /** Unique per candidate, e.g. hostname + random suffix. */
  identity: string;
  leaseDurationSeconds?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** Give up the lease when `run`'s signal aborts; default true. */
  releaseOnCancel?: boolean;
  clock?: Clock;
  logger?: Logger;
}

export interface LeaderCallbacks {
  /** Called once on becoming leader; `signal` aborts when leadership ends. Must stop work then. */
  onStartedLeading(signal: AbortSignal): void | Promise<void>;
  /** Called once when leadership ends (lost or given up); not called if never leading. */
  onStoppedLeading?(): void;
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

type Lease = KubeObject & { spec?: LeaseSpec };

/** A metav1.MicroTime: RFC 3339 with exactly six fractional digits. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export class LeaderElection {
  readonly #client: RestClient;
  readonly #opts: Required<Omit<LeaderElectionOptions, 'clock' | 'logger'>>;
  readonly #clock: Clock;
  readonly #logger: Logger;
  #observedVersion = '';
  #observedAt = 0;
  #leading = false;

  constructor(client: RestClient, opts: LeaderElectionOptions) {
    this.#client = client;
    this.#opts = {
      leaseDurationSeconds: 15,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      releaseOnCancel: true,
      ...opts,
    };
    this.#clock = opts.clock ?? realClock;
    this.#logger = opts.logger ?? stderrLogger;
  }

  get identity(): string {
    return this.#opts.identity;
  }

  isLeader(): boolean {
    return this.#leading;
  }

  /** Campaigns until leading, leads until leadership is lost or `signal` aborts, then resolves. */
  async run(callbacks: LeaderCallbacks, signal: AbortSignal): Promise<void> {
    const { retryPeriodMs, renewDeadlineMs } = this.#opts;
    while (!signal.aborted && (await this.#tryAcquireOrRenew(signal)) !== 'ok') {
      await sleep(this.#clock, retryPeriodMs * (1 + 0.2 * Math.random()), signal);
    }
    if (signal.aborted) return;

    this.#leading = true;
    const leadership = new AbortController();
    this.#logger.info(
      { lease: this.#opts.name, identity: this.#opts.identity },
      'leader election: became leader',
    );
    void (async () => callbacks.onStartedLeading(leadership.signal))().catch((err: unknown) => {
      this.#logger.error(
        { lease: this.#opts.name, err },
        'leader election: onStartedLeading failed',
      );
    });

    let renewedAt = this.#clock.now();
    while (!signal.aborted) {
      await sleep(this.#clock, retryPeriodMs, signal);
      if (signal.aborted) break;
      const result = await this.#tryAcquireOrRenew(signal);
      if (result === 'ok') renewedAt = this.#clock.now();
      else if (result === 'held' || this.#clock.now() - renewedAt >= renewDeadlineMs) {
        this.#logger.warn(
          { lease: this.#opts.name, identity: this.#opts.identity },
          'leader election: lost the lease',
        );
        break;
      }
    }
    this.#leading = false;
    leadership.abort();
    if (signal.aborted && this.#opts.releaseOnCancel) await this.#release();
    callbacks.onStoppedLeading?.();
  }

  /** 'ok': we hold the lease now; 'held': someone else validly does; 'failed': could not tell or write. */
  async #tryAcquireOrRenew(outer: AbortSignal): Promise<'ok' | 'held' | 'failed'> {
    const signal = AbortSignal.any([outer, AbortSignal.timeout(this.#opts.renewDeadlineMs)]);
    const { namespace, name, identity, leaseDurationSeconds } = this.#opts;
    const now = this.#clock.now();
    try {
      let lease: Lease;
      try {
        lease = await this.#client.get<Lease>(LEASES, namespace, name, { signal });
      } catch (err) {
        if (!isNotFound(err)) throw err;
        const spec: LeaseSpec = {
          holderIdentity: identity,
          leaseDurationSeconds,
          acquireTime: microTime(now),
          renewTime: microTime(now),
          leaseTransitions: 0,
        };
        const created = await this.#client.create<Lease>(
          LEASES,
          namespace,
          {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name, namespace },
            spec,
          },
          { signal },
        );
        this.#observe(created, now);
        return 'ok';
      }
      this.#observe(lease, now);
      const spec = lease.spec ?? {};
      const holder = spec.holderIdentity ?? '';
      const durationMs = (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
      if (holder !== '' && holder !== identity && this.#observedAt + durationMs > now)
        return 'held';
      const ours = holder === identity;
      const next: Lease = {
        ...lease,
        spec: {
          ...spec,
          holderIdentity: identity,
          leaseDurationSeconds,
          acquireTime: ours && spec.acquireTime ? spec.acquireTime : microTime(now),
          renewTime: microTime(now),
          leaseTransitions: (spec.leaseTransitions ?? 0) + (ours ? 0 : 1),
        },
      };
      this.#observe(
        await this.#client.update<Lease>(LEASES, namespace, name, next, { signal }),
        now,
      );
      return 'ok';
    } catch (err) {
      if (outer.aborted) return 'failed';
      if (!isConflict(err) && !isAlreadyExists(err)) {
        this.#logger.warn(
          { lease: name, identity, err },
          'leader election: could not read or write the lease',
        );
      }
      return 'failed';
    }
  }

  #observe(lease: Lease, now: number): void {
    const version = lease.metadata?.resourceVersion ?? '';
    if (version !== this.#observedVersion) {
      this.#observedVersion = version;
      this.#observedAt = now;
    }
  }

  async #release(): Promise<void> {
    const { namespace, name, identity } = this.#opts;
    const signal = AbortSignal.timeout(this.#opts.renewDeadlineMs);
    try {
      const lease = await this.#client.get<Lease>(LEASES, namespace, name, { signal });
      if (lease.spec?.holderIdentity !== identity) return;
      const now = microTime(this.#clock.now());
      const spec: LeaseSpec = {
        ...lease.spec,
        holderIdentity: '',
        leaseDurationSeconds: 1,
        acquireTime: now,
        renewTime: now,
      };
      await this.#client.update<Lease>(LEASES, namespace, name, { ...lease, spec }, { signal });
    } catch (err) {
      this.#logger.warn(
        { lease: name, identity, err },
        'leader election: could not release the lease',
      );
    }
  }
}

/**
 * Runs `component` while this process holds the Lease `name` in kube-system, as
 * kube-controller-manager and kube-scheduler do, so that several control planes on one
 * etcd run each component once; a lost lease stops it and the campaign starts again.
 * Returns the function that stops everything.
 */
export function runWhileLeading(
  client: RestClient,
  name: string,
  log: Logger,
  component: (leading: AbortSignal) => Promise<void>,
): () => Promise<void> {
  const stop = new AbortController();
  const identity = `${hostname()}_${randomUUID()}`;
  const election = new LeaderElection(client, {
    namespace: 'kube-system',
    name,
    identity,
    logger: log,
  });
  let running: Promise<void> = Promise.resolve();
  const campaign = (async () => {
    while (!stop.signal.aborted) {
      await election.run(
        {
          onStartedLeading: (leading) => {
            running = component(leading).catch((err: unknown) =>
              log.error({ err }, `BUG: ${name} stopped`),
            );
          },
        },
        stop.signal,
      );
      await running;
    }
  })();
  return async () => {
    stop.abort();
    await campaign;
    await running;
  };
}
