import type { KubeObject } from '../api/index.ts';

// The scheduling queue, after kube-scheduler's: an active heap (higher priority first,
// then older first), a back-off area for pods that just failed, and an unschedulable area
// for pods that wait for the cluster to change. Cluster events move unschedulable pods
// back (through back-off if theirs has not run out); nothing polls, except that a pod left
// unschedulable for 5 minutes is retried anyway, as in Kubernetes.

export interface QueuedPod {
  key: string;
  pod: KubeObject;
  priority: number;
  /** metadata.creationTimestamp in ms, parsed once: the heap compares it on every move. */
  createdAt: number;
  attempts: number;
  /** When the pod first entered the queue (for its scheduling latency). */
  firstSeen: number;
  backoffUntil: number;
}

const INITIAL_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 10_000;
const UNSCHEDULABLE_MAX_WAIT_MS = 5 * 60_000;
const FLUSH_MS = 200;

function createdAt(pod: KubeObject): number {
  const t = pod.metadata?.creationTimestamp;
  return t ? Date.parse(t) : 0;
}

/** a before b when it should be scheduled first. */
function before(a: QueuedPod, b: QueuedPod): boolean {
  if (a.priority !== b.priority) return a.priority > b.priority;
  return a.createdAt < b.createdAt;
}

class Heap {
  readonly items: QueuedPod[] = [];
  push(x: QueuedPod): void {
    const a = this.items;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }
  pop(): QueuedPod | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && before(a[l]!, a[m]!)) m = l;
        if (r < a.length && before(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
  remove(key: string): void {
    const i = this.items.findIndex((q) => q.key === key);
    if (i < 0) return;
    this.items.splice(i, 1);
    for (const q of this.items.splice(0)) this.push(q);
  }
}

export class SchedulingQueue {
  readonly #active = new Heap();
  readonly #queued = new Map<string, QueuedPod>();
  readonly #backoff = new Map<string, QueuedPod>();
  readonly #unschedulable = new Map<string, { qp: QueuedPod; since: number }>();
  /** Pods popped and being scheduled now, by key. */
  readonly #inFlight = new Map<string, QueuedPod>();
  /** Cluster events seen while a pod was in flight send it to back-off, not unschedulable. */
  #moveRequests = 0;
  #inFlightSince = new Map<string, number>();
  #waiters: ((qp: QueuedPod | undefined) => void)[] = [];
  #closed = false;
  readonly #timer: NodeJS.Timeout;

  constructor(readonly priorityOf: (pod: KubeObject) => number) {
    this.#timer = setInterval(() => this.#flush(), FLUSH_MS);
    this.#timer.unref();
  }

  get pending(): number {
    return this.#queued.size + this.#backoff.size + this.#unschedulable.size;
  }

  /**
   * A pending pod appeared or changed. `mayFitNow` says whether the change could alter
   * the outcome (not just its status or bookkeeping), which retries an unschedulable pod.
   */
  add(key: string, pod: KubeObject, mayFitNow = true): void {
    if (this.#closed) return;
    const existing =
      this.#queued.get(key) ??
      this.#backoff.get(key) ??
      this.#unschedulable.get(key)?.qp ??
      this.#inFlight.get(key);
    if (existing) {
      existing.pod = pod;
      existing.priority = this.priorityOf(pod);
      existing.createdAt = createdAt(pod);
      if (mayFitNow && this.#unschedulable.delete(key)) this.#requeue(existing);
      return;
    }
    const qp: QueuedPod = {
      key,
      pod,
      priority: this.priorityOf(pod),
      createdAt: createdAt(pod),
      attempts: 0,
      firstSeen: Date.now(),
      backoffUntil: 0,
    };
    this.#activate(qp);
  }

  delete(key: string): void {
    if (this.#queued.delete(key)) this.#active.remove(key);
    this.#backoff.delete(key);
    this.#unschedulable.delete(key);
    this.#inFlight.delete(key);
  }

  pop(): Promise<QueuedPod | undefined> {
    const qp = this.#active.pop();
    if (qp) return Promise.resolve(this.#take(qp));
    if (this.#closed) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #take(qp: QueuedPod): QueuedPod {
    this.#queued.delete(qp.key);
    this.#inFlight.set(qp.key, qp);
    this.#inFlightSince.set(qp.key, this.#moveRequests);
    qp.attempts++;
    return qp;
  }

  #activate(qp: QueuedPod): void {
    const waiter = this.#waiters.shift();
    if (waiter) {
      waiter(this.#take(qp));
      return;
    }
    this.#queued.set(qp.key, qp);
    this.#active.push(qp);
  }

  #requeue(qp: QueuedPod): void {
    if (qp.backoffUntil > Date.now()) this.#backoff.set(qp.key, qp);
    else this.#activate(qp);
  }

  /** The pod was scheduled (or went away): it leaves the queue. */
  done(qp: QueuedPod): void {
    this.#inFlight.delete(qp.key);
    this.#inFlightSince.delete(qp.key);
  }

  /** The pod could not be placed: it waits for a cluster event (or a binding failed: back-off). */
  requeueAfterFailure(qp: QueuedPod, unschedulable: boolean): void {
    if (!this.#inFlight.has(qp.key)) return; // deleted meanwhile
    const movedWhileInFlight = (this.#inFlightSince.get(qp.key) ?? 0) < this.#moveRequests;
    this.done(qp);
    qp.backoffUntil =
      Date.now() + Math.min(INITIAL_BACKOFF_MS * 2 ** (qp.attempts - 1), MAX_BACKOFF_MS);
    if (unschedulable && !movedWhileInFlight)
      this.#unschedulable.set(qp.key, { qp, since: Date.now() });
    else this.#backoff.set(qp.key, qp);
  }

  /** Something changed in the cluster that may let unschedulable pods fit. */
  moveAllToActiveOrBackoff(): void {
    this.#moveRequests++;
    for (const [key, { qp }] of this.#unschedulable) {
      this.#unschedulable.delete(key);
      this.#requeue(qp);
    }
  }

  #flush(): void {
    const now = Date.now();
    for (const [key, qp] of this.#backoff) {
      if (qp.backoffUntil <= now) {
        this.#backoff.delete(key);
        this.#activate(qp);
      }
    }
    for (const [key, { qp, since }] of this.#unschedulable) {
      if (now - since >= UNSCHEDULABLE_MAX_WAIT_MS) {
        this.#unschedulable.delete(key);
        this.#requeue(qp);
      }
    }
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
    for (const w of this.#waiters.splice(0)) w(undefined);
  }
}
