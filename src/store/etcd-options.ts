// How drover reaches etcd: the store's options, `--store etcd://…` URLs, and the etcd3 client
// options built from them (per-call deadlines, TLS). Kept apart from the store so the CLI can
// parse a URL without opening anything.
import type { CallContext, IOptions } from 'etcd3';
import { etcdFaultHandling } from './etcd-deadline.js';
import { StoreError } from './store.js';

export interface EtcdStoreOptions {
  /** Client URLs, e.g. ["http://127.0.0.1:2379"] (https:// with `tls`). */
  endpoints: string[];
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer };
  /** Deadline of one store call (--etcd-timeout); past it the call fails with DeadlineError, a StoreUnavailableError (default 5,000). */
  requestTimeoutMs?: number;
  logger?: { warn(obj: unknown, msg?: string): void };
}

/** Parses `etcd://h1:2379,h2:2379` (or a comma list of http(s) URLs) into client URLs. */
export function parseEtcdUrl(url: string, isTls = false): string[] {
  const rest = url.replace(/^etcd:\/\//, '');
  const endpoints = rest.split(',').map((h) => h.trim()).filter(Boolean);
  if (endpoints.length === 0) throw new StoreError(`--store etcd:// needs at least one host:port, got "${url}"`);
  return endpoints.map((h) => {
    if (/^https?:\/\//.test(h)) return h;
    if (!/^[^/]+:\d+$/.test(h)) throw new StoreError(`etcd endpoint must be host:port, got "${h}" in "${url}"`);
    return `${isTls ? 'https' : 'http'}://${h}`;
  });
}

/** Deadline of one unary call, and of one lease renewal on the keepalive stream. */
export function requestTimeoutMs(options: EtcdStoreOptions): number {
  return options.requestTimeoutMs ?? 5_000;
}

/** The etcd3 client's options: the endpoints, deadlines and fault handling (see etcd-deadline.ts), and TLS if configured. */
export function clientOptions(options: EtcdStoreOptions): IOptions {
  const timeout = requestTimeoutMs(options);
  const result: IOptions = {
    hosts: options.endpoints,
    // Streams (watch, keepalive) live for the whole session; only unary calls get a deadline.
    // Calls through EtcdStore.call pass their own; this one is for the few that do not.
    defaultCallOptions: (ctx: CallContext) => (ctx.isStream ? {} : { deadline: Date.now() + timeout }),
    faultHandling: etcdFaultHandling(),
  };
  if (options.tls?.ca || options.tls?.cert) {
    result.credentials = {
      // null: the system's root certificates (etcd3 passes this to grpc's createSsl).
      rootCertificate: options.tls.ca ?? (null as unknown as Buffer),
      ...(options.tls.key ? { privateKey: options.tls.key } : {}),
      ...(options.tls.cert ? { certChain: options.tls.cert } : {}),
    };
  }
  return result;
}
