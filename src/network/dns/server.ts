import fs from 'node:fs';
import dnsPacket, { type Answer, type DecodedPacket, type Question } from 'dns-packet';
import { stderrLogger, type Logger } from '../../client/index.ts';
import { forward, type Upstream } from './forward.ts';
import {
  buildResponse,
  encodeResponse,
  headerOnlyResponse,
  opcodeOf,
  udpLimit,
  type Rcode,
  type ResponseParts,
} from './packets.ts';
import { parseResolvConf, upstreamsOf } from './resolv-conf.ts';
import { answer, DEFAULT_RESOLVER_OPTIONS, type ResolverOptions } from './resolver.ts';
import type { DnsDirectory } from './types.ts';
import { bindListener, type Listener } from './listener.ts';

// The cluster DNS server: the resolver's zone over UDP and TCP, everything else
// forwarded upstream. Every query is handled on its own; a malformed one gets FORMERR
// (or is dropped when not even its header can be read) and never stops the server.

export interface ListenAddress {
  host: string;
  /** 0 picks a free port, the same one for UDP and TCP. */
  port: number;
}

export interface ClusterDnsOptions {
  directory: DnsDirectory;
  /** Where to listen, UDP and TCP on each; default 127.0.0.1:53, never a public address by accident. */
  listen?: ListenAddress[];
  /** The cluster zone; default `cluster.local`. */
  domain?: string;
  /** TTL of the zone's records in seconds; default 5. */
  ttl?: number;
  /** Default: the nameservers of `resolvConfPath`, minus this server's own addresses. */
  upstreams?: Upstream[];
  /** Default `/etc/resolv.conf`. */
  resolvConfPath?: string;
  /** Bound on each upstream's answer before the next one is tried; default 2000 ms. */
  upstreamTimeoutMs?: number;
  /** Forwarded queries in flight at most; more are REFUSED. Default 1024. */
  maxConcurrentForwards?: number;
  logger?: Logger;
}

export interface DnsStats {
  queries: number;
  /** Answered from the zone. */
  local: number;
  forwarded: number;
  nxdomain: number;
  servfail: number;
  formerr: number;
  /** UDP answers cut to the header for size. */
  truncated: number;
  /** Messages not answered: shorter than a header, or responses rather than queries. */
  dropped: number;
  /** Single upstream exchanges that failed (the next upstream may have answered). */
  upstreamFailures: number;
}

/** CNAME chains the server follows on the client's behalf, at most. */
const MAX_CNAME_HOPS = 8;
const LOG_EVERY_MS = 10_000;

export class ClusterDnsServer {
  readonly #opts: ClusterDnsOptions;
  readonly #resolver: ResolverOptions;
  readonly #logger: Logger;
  readonly #stats: DnsStats = {
    queries: 0,
    local: 0,
    forwarded: 0,
    nxdomain: 0,
    servfail: 0,
    formerr: 0,
    truncated: 0,
    dropped: 0,
    upstreamFailures: 0,
  };
  #listeners: Listener[] = [];
  #upstreams: Upstream[] = [];
  #abort = new AbortController();
  #inflight = new Set<Promise<unknown>>();
  #forwarding = 0;
  #lastUpstreamLog = 0;

  constructor(opts: ClusterDnsOptions) {
    this.#opts = opts;
    this.#resolver = {
      domain: (opts.domain ?? DEFAULT_RESOLVER_OPTIONS.domain).replace(/\.$/, ''),
      ttl: opts.ttl ?? DEFAULT_RESOLVER_OPTIONS.ttl,
    };
    this.#logger = opts.logger ?? stderrLogger;
  }

  /** Binds every listen address; on any failure closes what it bound and throws saying which. */
  async start(): Promise<void> {
    if (this.#listeners.length > 0) throw new Error('cluster DNS: already started');
    this.#abort = new AbortController();
    const handlers = {
      udp: (msg: Buffer) => this.#track(this.handle(msg, 'udp')),
      tcp: (msg: Buffer) => this.#track(this.handle(msg, 'tcp')),
      error: (err: Error, where: string) =>
        this.#logger.error({ err, where }, 'cluster DNS: listener error'),
    };
    try {
      for (const address of this.#opts.listen ?? [{ host: '127.0.0.1', port: 53 }])
        this.#listeners.push(await bindListener(address, handlers));
    } catch (err) {
      await this.close();
      throw err;
    }
    this.#upstreams = this.#opts.upstreams ?? this.#upstreamsFromResolvConf();
  }

  /** Stops listening, fails forwards in flight, and waits for every pending answer. Idempotent. */
  async close(): Promise<void> {
    this.#abort.abort();
    await Promise.all(this.#listeners.map((l) => l.close()));
    this.#listeners = [];
    await Promise.allSettled([...this.#inflight]);
  }

  /** The bound addresses (each serving UDP and TCP on the same port). */
  get addresses(): ListenAddress[] {
    return this.#listeners.map((l) => ({ host: l.host, port: l.port }));
  }

  get upstreams(): Upstream[] {
    return [...this.#upstreams];
  }

  get stats(): Readonly<DnsStats> {
    return { ...this.#stats };
  }

  /** The response to one message, or undefined to send nothing. Never throws. */
  async handle(message: Buffer, transport: 'udp' | 'tcp'): Promise<Buffer | undefined> {
    this.#stats.queries++;
    // Shorter than a header: nothing to address a reply to. A response: answering it
    // could start a loop between two servers.
    if (message.length < 12 || message.readUInt16BE(2) & 0x8000) {
      this.#stats.dropped++;
      return undefined;
    }
    let query: DecodedPacket;
    try {
      query = dnsPacket.decode(message);
    } catch {
      this.#stats.formerr++;
      return headerOnlyResponse(message, 'FORMERR');
    }
    try {
      return await this.#answer(query, message, transport);
    } catch (err) {
      this.#logger.error({ err }, 'cluster DNS: answering a query failed (a bug)');
      this.#stats.servfail++;
      return headerOnlyResponse(message, 'SERVFAIL');
    }
  }

  async #answer(
    query: DecodedPacket,
    raw: Buffer,
    transport: 'udp' | 'tcp',
  ): Promise<Buffer | undefined> {
    const limit = transport === 'udp' ? udpLimit(query) : 0xffff;
    const reply = (rcode: Rcode, parts: Omit<ResponseParts, 'rcode'> = {}) => {
      if (rcode === 'NXDOMAIN') this.#stats.nxdomain++;
      if (rcode === 'SERVFAIL') this.#stats.servfail++;
      if (rcode === 'FORMERR') this.#stats.formerr++;
      const { bytes, truncated } = encodeResponse(buildResponse(query, { rcode, ...parts }), limit);
      if (truncated) this.#stats.truncated++;
      return bytes;
    };
    if (opcodeOf(raw) !== 0) return reply('NOTIMP');
    const question = query.questions?.length === 1 ? query.questions[0]! : undefined;
    if (!question) return reply('FORMERR');

    const local = answer(question, this.#opts.directory, this.#resolver);
    if (local) {
      this.#stats.local++;
      const answers = [...local.answers, ...(await this.#chase(question, local.answers))];
      return reply(local.rcode, { ...local, answers, authoritative: true });
    }

    this.#stats.forwarded++;
    const response = await this.#forward(raw, transport === 'tcp');
    if (!response) return reply('SERVFAIL');
    if (response.length <= limit) return response;
    // The upstream ignored the client's size: cut it here rather than send what the client drops.
    try {
      this.#stats.truncated++;
      return encodeResponse(dnsPacket.decode(response), limit).bytes;
    } catch {
      return reply('SERVFAIL');
    }
  }

  /**
   * Follows a CNAME answer to addresses, as CoreDNS does for ExternalName services, so
   * that stub resolvers that do not chase CNAMEs themselves still get an address.
   */
  async #chase(question: Question, answers: Answer[]): Promise<Answer[]> {
    const type: string = question.type;
    if (type === 'CNAME' || type === 'ANY') return [];
    const found: Answer[] = [];
    let last = answers[answers.length - 1];
    for (let hop = 0; hop < MAX_CNAME_HOPS && last?.type === 'CNAME'; hop++) {
      const next: Question = { type: question.type, name: last.data, class: 'IN' };
      const local = answer(next, this.#opts.directory, this.#resolver);
      const more = local ? local.answers : await this.#forwardQuestion(next);
      found.push(...more);
      last = more[more.length - 1];
    }
    return found;
  }

  async #forwardQuestion(question: Question): Promise<Answer[]> {
    const query = dnsPacket.encode({
      type: 'query',
      id: 0,
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [question],
    });
    const response = await this.#forward(query, false);
    if (!response) return [];
    try {
      return dnsPacket.decode(response).answers ?? [];
    } catch {
      return [];
    }
  }

  async #forward(query: Buffer, clientTcp: boolean): Promise<Buffer | undefined> {
    const max = this.#opts.maxConcurrentForwards ?? 1024;
    if (this.#forwarding >= max) return headerOnlyResponse(query, 'REFUSED');
    this.#forwarding++;
    try {
      const { response, failures } = await forward(query, this.#upstreams, {
        timeoutMs: this.#opts.upstreamTimeoutMs ?? 2000,
        clientTcp,
        signal: this.#abort.signal,
      });
      this.#stats.upstreamFailures += failures.length;
      if (failures.length > 0 && Date.now() - this.#lastUpstreamLog >= LOG_EVERY_MS) {
        this.#lastUpstreamLog = Date.now();
        this.#logger.warn(
          {
            failures: failures.map(
              (f) => `${f.upstream.host}:${f.upstream.port}: ${f.err.message}`,
            ),
            answered: response !== undefined,
          },
          'cluster DNS: upstream resolvers failing (logged at most every 10 s)',
        );
      }
      return response;
    } finally {
      this.#forwarding--;
    }
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#inflight.add(promise);
    void promise.finally(() => this.#inflight.delete(promise));
    return promise;
  }

  #upstreamsFromResolvConf(): Upstream[] {
    const path = this.#opts.resolvConfPath ?? '/etc/resolv.conf';
    let text: string;
    try {
      text = fs.readFileSync(path, 'utf8');
    } catch (err) {
      this.#logger.warn({ err, path }, 'cluster DNS: no upstream resolvers; outside names fail');
      return [];
    }
    return upstreamsOf(parseResolvConf(text), this.addresses);
  }
}

/** Creates and starts a server: the one call a component needs. */
export async function startClusterDns(opts: ClusterDnsOptions): Promise<ClusterDnsServer> {
  const server = new ClusterDnsServer(opts);
  await server.start();
  return server;
}

export type { Upstream };
