// The kubelet's token manager: a pod's projected service-account token is asked for once
// and reused until it nears its end — 80% of its lifetime, or a day at most, less a
// jitter of up to 10 s so that a node's pods do not all refresh at once. Volume updates
// run on every pod sync; without this each would cost a TokenRequest.

export interface IssuedToken {
  token: string;
  /** What the TokenRequest's status says (the lifetime asked for, not the JWT's own exp). */
  expirationTimestamp: Date;
  expirationSeconds: number;
}

interface Entry {
  podUid: string;
  pending?: Promise<IssuedToken>;
  issued?: IssuedToken;
}

const MAX_AGE_MS = 24 * 3600 * 1000;
const MAX_JITTER_MS = 10_000;

/** Whether a token should be replaced at `now`. */
export function needsRefresh(t: IssuedToken, now: number, jitterMs = 0): boolean {
  const exp = t.expirationTimestamp.getTime();
  const issuedAt = exp - t.expirationSeconds * 1000;
  if (now > issuedAt + MAX_AGE_MS - jitterMs) return true;
  return now > exp - t.expirationSeconds * 200 - jitterMs;
}

export class TokenCache {
  readonly #entries = new Map<string, Entry>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** The cached token for `key`, or a new one from `request` when there is none or it is old. */
  async get(key: string, podUid: string, request: () => Promise<IssuedToken>): Promise<string> {
    let entry = this.#entries.get(key);
    if (entry?.issued && !needsRefresh(entry.issued, this.#now(), Math.random() * MAX_JITTER_MS)) {
      return entry.issued.token;
    }
    if (!entry) {
      entry = { podUid };
      this.#entries.set(key, entry);
    }
    const e = entry;
    e.pending ??= request()
      .then((issued) => {
        e.issued = issued;
        return issued;
      })
      .finally(() => (e.pending = undefined));
    return (await e.pending).token;
  }

  /** Drops the tokens of a pod that is gone. */
  forgetPod(podUid: string): void {
    for (const [key, entry] of this.#entries) {
      if (entry.podUid === podUid) this.#entries.delete(key);
    }
  }
}
