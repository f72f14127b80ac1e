// `drover proxy`: the layer 7 ingress proxy as its own process, a client of the public API like
// an agent (it mirrors Ingresses and Endpoints by watch, and writes each Ingress's
// status.addresses). Its own process rather than inside the server: it runs where the traffic
// enters (several of them, one per edge machine), its load never slows the API, and the server
// holds no open client connections of other people's traffic.
import type { Logger } from 'pino';
import type { Client } from '../client/client.js';
import type { Ingress } from '../model/index.js';
import { HttpIngressProxy } from './http-proxy.js';
import { mirror } from './mirror.js';

export interface ProxyProcessOptions {
  client: Client;
  host: string;
  port: number;
  /** The URL written into Ingress status.addresses (default http://HOST:PORT as listened). */
  advertise?: string;
  log?: Pick<Logger, 'warn'>;
}

export interface RunningProxy {
  url: string;
  proxy: HttpIngressProxy;
  close(): Promise<void>;
}

export async function startProxy(opts: ProxyProcessOptions): Promise<RunningProxy> {
  const proxy = new HttpIngressProxy();
  const addr = await proxy.listen(opts.host, opts.port);
  const host = addr.address === '0.0.0.0' || addr.address === '::' ? '127.0.0.1' : addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = opts.advertise ?? `http://${host}:${addr.port}`;
  const abort = new AbortController();
  const warn = (what: string) => (err: unknown) => opts.log?.warn({ err: String(err) }, what);
  const advertise = (ing: Ingress) => {
    if (ing.status?.addresses?.includes(url)) return;
    const addresses = [...(ing.status?.addresses ?? []), url].sort();
    opts.client.ingresses.in(ing.metadata.namespace).patchStatus(ing.metadata.name, { addresses }).catch(warn(`writing the address of ingress "${ing.metadata.name}" failed`));
  };
  const known = new Map<string, Ingress>();
  const keyOf = (i: Ingress) => `${i.metadata.namespace}/${i.metadata.name}`;
  const running = Promise.all([
    mirror(opts.client.ingresses, {
      replaceAll: (all) => {
        proxy.replaceIngresses(all);
        known.clear();
        for (const ing of all) known.set(keyOf(ing), ing);
        all.forEach(advertise);
      },
      set: (ing) => {
        proxy.setIngress(ing);
        known.set(keyOf(ing), ing);
        advertise(ing);
      },
      delete: (ing) => {
        proxy.deleteIngress(ing);
        known.delete(keyOf(ing));
      },
      onError: warn('ingress watch failed; listing again'),
    }, abort.signal),
    mirror(opts.client.endpoints, {
      replaceAll: (all) => proxy.replaceEndpoints(all),
      set: (ep) => proxy.upstreams.set(ep),
      delete: (ep) => proxy.upstreams.delete(ep.metadata.namespace, ep.metadata.name),
      onError: warn('endpoints watch failed; listing again'),
    }, abort.signal),
  ]);
  return {
    url,
    proxy,
    close: async () => {
      abort.abort();
      await running;
      // This proxy no longer serves them: its address goes (best effort; another proxy may still).
      await Promise.all([...known.values()].map(async (ing) => {
        const current = await opts.client.ingresses.in(ing.metadata.namespace).find(ing.metadata.name).catch(() => undefined);
        const left = current?.status?.addresses?.filter((a) => a !== url);
        if (current && left && left.length !== current.status?.addresses?.length) await opts.client.ingresses.in(ing.metadata.namespace).patchStatus(ing.metadata.name, { addresses: left }).catch(() => {});
      }));
      await proxy.close();
    },
  };
}
