import { rfc3339 } from '../../api/index.ts';
import {
  isAlreadyExists,
  isNotFound,
  microTime,
  type Clock,
  type Logger,
  type ResourceRef,
  type RestClient,
} from '../../client/index.ts';
import type { Node } from '../k8s-types.ts';
import { nodeConditions, nodeLabels, nodeStatus, type NodeFacts } from './node-object.ts';

// Registration and the two heartbeats of the kubelet: the node Lease in kube-node-lease,
// renewed every 10 s (what the node lifecycle controller watches), and the Node status,
// written when a condition changes and otherwise every 5 minutes with a fresh
// lastHeartbeatTime.

const NODES: ResourceRef = { group: '', version: 'v1', resource: 'nodes', namespaced: false };
const LEASES: ResourceRef = {
  group: 'coordination.k8s.io',
  version: 'v1',
  resource: 'leases',
  namespaced: true,
};
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
export const LEASE_DURATION_SECONDS = 40;
const STATUS_REPORT_MS = 5 * 60_000;
const CONDITION_CHECK_MS = 10_000;

export class NodeHeartbeat {
  readonly #client: RestClient;
  readonly #facts: NodeFacts;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #renewMs: number;
  #uid = '';
  #lastConditions = '';
  #lastReport = 0;
  #transitions = new Map<string, string>();

  constructor(client: RestClient, facts: NodeFacts, clock: Clock, log: Logger, renewSeconds = 10) {
    this.#client = client;
    this.#facts = facts;
    this.#clock = clock;
    this.#log = log;
    this.#renewMs = renewSeconds * 1000;
  }

  /** The Node's uid, once registered. */
  get uid(): string {
    return this.#uid;
  }

  /** Creates the Node (or refreshes its labels and status) and the first Lease. */
  async register(): Promise<void> {
    const labels = nodeLabels(this.#facts);
    let node: Node;
    try {
      node = await this.#client.create<Node>(NODES, '', {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: this.#facts.nodeName, labels },
        spec: {},
      } as Node);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      node = await this.#client.patch<Node>(
        NODES,
        '',
        this.#facts.nodeName,
        { metadata: { labels } },
        'merge',
      );
    }
    this.#uid = node.metadata!.uid!;
    for (const c of node.status?.conditions ?? []) {
      if (c.lastTransitionTime)
        this.#transitions.set(`${c.type}=${c.status}`, c.lastTransitionTime);
    }
    await this.#reportStatus();
    await this.#renewLease();
  }

  async run(signal: AbortSignal): Promise<void> {
    let nextCheck = 0;
    while (!signal.aborted) {
      await new Promise<void>((resolve) => {
        const onAbort = () => (this.#clock.clearTimeout(timer), resolve());
        const timer = this.#clock.setTimeout(
          () => {
            signal.removeEventListener('abort', onAbort);
            resolve();
          },
          Math.min(this.#renewMs, CONDITION_CHECK_MS),
        );
        signal.addEventListener('abort', onAbort, { once: true });
      });
      if (signal.aborted) return;
      try {
        await this.#renewLease();
        const now = this.#clock.now();
        if (now >= nextCheck) {
          nextCheck = now + CONDITION_CHECK_MS;
          const conditions = JSON.stringify(nodeConditions(this.#facts));
          if (
            conditions !== this.#lastConditions ||
            now - this.#lastReport >= STATUS_REPORT_MS ||
            (await this.#overwritten())
          ) {
            await this.#reportStatus();
          }
        }
      } catch (err) {
        this.#log.warn(
          { err },
          `agent: node heartbeat for ${this.#facts.nodeName} failed; retrying`,
        );
      }
    }
  }

  /**
   * Whether the Node's conditions in the API differ from what this agent last posted —
   * the node lifecycle controller set them Unknown while this node was unreachable — so
   * a node that comes back says so within one check, as the kubelet does.
   */
  async #overwritten(): Promise<boolean> {
    const node = await this.#client.get<Node>(NODES, '', this.#facts.nodeName);
    const posted = new Map(
      (JSON.parse(this.#lastConditions) as Array<{ type: string; status: string }>).map((c) => [
        c.type,
        c.status,
      ]),
    );
    return (node.status?.conditions ?? []).some(
      (c) => posted.has(c.type) && posted.get(c.type) !== c.status,
    );
  }

  async #reportStatus(): Promise<void> {
    const now = this.#clock.now();
    const conditions = nodeConditions(this.#facts);
    this.#lastConditions = JSON.stringify(conditions);
    this.#lastReport = now;
    const status = {
      ...nodeStatus(this.#facts),
      conditions: conditions.map((c) => {
        const key = `${c.type}=${c.status}`;
        if (!this.#transitions.has(key)) {
          for (const k of this.#transitions.keys())
            if (k.startsWith(`${c.type}=`)) this.#transitions.delete(k);
          this.#transitions.set(key, rfc3339(now));
        }
        return {
          ...c,
          lastHeartbeatTime: rfc3339(now),
          lastTransitionTime: this.#transitions.get(key),
        };
      }),
    };
    await this.#client.patch(NODES, '', this.#facts.nodeName, { status }, 'merge', {
      subresource: 'status',
    });
  }

  async #renewLease(): Promise<void> {
    const name = this.#facts.nodeName;
    const spec = {
      holderIdentity: name,
      leaseDurationSeconds: LEASE_DURATION_SECONDS,
      renewTime: microTime(this.#clock.now()),
    };
    try {
      await this.#client.patch(LEASES, NODE_LEASE_NAMESPACE, name, { spec }, 'merge');
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await this.#client.create(LEASES, NODE_LEASE_NAMESPACE, {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: {
          name,
          namespace: NODE_LEASE_NAMESPACE,
          ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: this.#uid }],
        },
        spec,
      });
    }
  }
}
