// Prometheus metrics: requests by route and code, latencies, and gauges read from the state
// at scrape time (the hot path adds to a few plain numbers).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type MetricType } from 'prom-client';
import type { Registry as ApiRegistry } from '../../registry/index.js';

export function registerMetrics(app: FastifyInstance, api: ApiRegistry): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'drover_process_' });
  const series = new RequestSeries();
  new RequestCounter(series, registry);
  new RequestLatency(series, registry);
  new Gauge({
    name: 'drover_store_revision',
    help: 'Latest store revision seen by the watch cache',
    registers: [registry],
    collect() {
      this.set(api.stats().revision);
    },
  });
  new Gauge({
    name: 'drover_cache_objects',
    help: 'Objects in the watch cache by kind',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      for (const k of api.stats().kinds) this.set({ kind: k.kind }, k.objects);
    },
  });
  new Gauge({
    name: 'drover_watchers',
    help: 'Open watches by kind (HTTP streams and in-process controllers)',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      for (const k of api.stats().kinds) this.set({ kind: k.kind }, k.watchers);
    },
  });
  registerSpaceGauges(registry, api);
  new Gauge({
    name: 'drover_store_backend_info',
    help: 'The store backend in use',
    labelNames: ['backend'],
    registers: [registry],
    collect() {
      this.set({ backend: api.stats().backend }, 1);
    },
  });

  // prom-client hashes and validates the label set on every inc/observe, even through labelled
  // children; a GET spent more in that than in its handler (api-read bench). So requests are
  // counted in plain numbers per (method, route), found through the route's handler (which
  // stamps the request) rather than the allocating req.routeOptions getter, and turned into
  // Prometheus values only at scrape time.
  app.decorateRequest('meter', null);
  app.addHook('onRoute', (opts) => {
    const handler = opts.handler;
    const meters = new Map<string, Meter>();
    const route = opts.url;
    opts.handler = function meteredHandler(this: FastifyInstance, req: FastifyRequest, reply: FastifyReply) {
      let m = meters.get(req.method);
      if (!m) meters.set(req.method, (m = series.meter(req.method, route)));
      req.meter = m;
      return handler.call(this, req, reply);
    };
  });
  app.addHook('onResponse', (req, reply, done) => {
    // Requests that never reached a handler (unmatched URLs, failed auth or body parsing).
    const m = req.meter ?? series.meter(req.method, req.routeOptions.url ?? 'unmatched');
    m.record(reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  return registry;
}

/** The store's space against its quota and its NOSPACE alarm, where the backend keeps them (SQLite). */
function registerSpaceGauges(registry: Registry, api: ApiRegistry): void {
  const gauges: Array<{ name: string; help: string; value: (space: NonNullable<ReturnType<ApiRegistry['storeSpace']>>) => number }> = [
    { name: 'drover_store_nospace_alarm', help: '1 while the NOSPACE alarm is raised: the store refuses writes other than deletes (see /readyz for why)', value: (s) => (s.alarm ? 1 : 0) },
    { name: 'drover_store_used_bytes', help: 'Bytes the store database holds (pages in use)', value: (s) => s.usedBytes },
    { name: 'drover_store_quota_bytes', help: 'Bytes the store database may hold before the NOSPACE alarm (--store-quota)', value: (s) => s.quotaBytes },
    { name: 'drover_store_file_bytes', help: 'Size of the store database file on disk', value: (s) => s.fileBytes },
  ];
  for (const { name, help, value } of gauges) {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        const space = api.storeSpace();
        if (space) this.set(value(space));
      },
    });
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Where this request is counted, set by its route's handler. */
    meter: Meter | null;
  }
}

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** Requests of one (method, route): counts by status code and a latency histogram. */
export class Meter {
  readonly codes = new Map<number, number>();
  /** Observations per bucket (not cumulative); the last one is +Inf. */
  readonly buckets = new Array<number>(LATENCY_BUCKETS.length + 1).fill(0);
  sum = 0;
  count = 0;
  constructor(
    readonly method: string,
    readonly route: string,
  ) {}

  record(code: number, seconds: number): void {
    this.codes.set(code, (this.codes.get(code) ?? 0) + 1);
    let i = 0;
    while (i < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[i]!) i++;
    this.buckets[i]!++;
    this.sum += seconds;
    this.count++;
  }
}

class RequestSeries {
  private readonly meters = new Map<string, Meter>();
  meter(method: string, route: string): Meter {
    const key = `${method} ${route}`;
    let m = this.meters.get(key);
    if (!m) this.meters.set(key, (m = new Meter(method, route)));
    return m;
  }
  values(): IterableIterator<Meter> {
    return this.meters.values();
  }
}

const REQUESTS = { name: 'drover_http_requests_total', help: 'HTTP requests by method, route and status code' };
const LATENCY = { name: 'drover_http_request_duration_seconds', help: 'HTTP request latency by method and route' };

// prom-client's typings declare a numeric enum its runtime neither exports nor uses.
const COUNTER = 'counter' as unknown as MetricType;
const HISTOGRAM = 'histogram' as unknown as MetricType;

// prom-client metrics whose values come from the meters when scraped.
class RequestCounter extends Counter<'method' | 'route' | 'code'> {
  constructor(
    private readonly series: RequestSeries,
    registry: Registry,
  ) {
    super({ ...REQUESTS, labelNames: ['method', 'route', 'code'], registers: [registry] });
  }
  override async get(): Promise<Awaited<ReturnType<Counter<'method' | 'route' | 'code'>['get']>>> {
    const values = [];
    for (const m of this.series.values()) {
      for (const [code, n] of m.codes) values.push({ labels: { method: m.method, route: m.route, code: String(code) }, value: n });
    }
    return { ...REQUESTS, type: COUNTER, aggregator: 'sum', collect: undefined as never, values };
  }
}

class RequestLatency extends Histogram<'method' | 'route' | 'le'> {
  constructor(
    private readonly series: RequestSeries,
    registry: Registry,
  ) {
    super({ ...LATENCY, labelNames: ['method', 'route'], buckets: LATENCY_BUCKETS, registers: [registry] });
  }
  override async get(): Promise<Awaited<ReturnType<Histogram<'method' | 'route' | 'le'>['get']>>> {
    const values = [];
    for (const m of this.series.values()) {
      if (m.count === 0) continue;
      const labels = { method: m.method, route: m.route };
      let acc = 0;
      for (let i = 0; i < m.buckets.length; i++) {
        acc += m.buckets[i]!;
        values.push({ labels: { ...labels, le: i < LATENCY_BUCKETS.length ? LATENCY_BUCKETS[i]! : '+Inf' }, value: acc, metricName: `${LATENCY.name}_bucket` });
      }
      values.push({ labels, value: m.sum, metricName: `${LATENCY.name}_sum` }, { labels, value: m.count, metricName: `${LATENCY.name}_count` });
    }
    return { ...LATENCY, type: HISTOGRAM, aggregator: 'sum', collect: undefined as never, values };
  }
  /** The registry prefers this to get() when a histogram has it. */
  getForPromString(): ReturnType<RequestLatency['get']> {
    return this.get();
  }
}
