import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

// /metrics in the Prometheus text format, with the request counters and latencies that
// kube-apiserver's dashboards read.

export class ApiMetrics {
  readonly #registry = new Registry();
  readonly #requests = new Counter({
    name: 'apiserver_request_total',
    help: 'Requests by verb, resource and HTTP code.',
    labelNames: ['verb', 'resource', 'code'],
    registers: [this.#registry],
  });
  readonly #latency = new Histogram({
    name: 'apiserver_request_duration_seconds',
    help: 'Request latency by verb and resource.',
    labelNames: ['verb', 'resource'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.#registry],
  });
  readonly #watchers = new Gauge({
    name: 'apiserver_registered_watchers',
    help: 'Watches being served from the watch cache.',
    registers: [this.#registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.#registry });
  }

  get contentType(): string {
    return this.#registry.contentType;
  }

  observe(verb: string, resource: string, code: number, seconds: number): void {
    this.#requests.inc({ verb, resource, code: String(code) });
    this.#latency.observe({ verb, resource }, seconds);
  }

  async render(watchers: number): Promise<string> {
    this.#watchers.set(watchers);
    return this.#registry.metrics();
  }
}
