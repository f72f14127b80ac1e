// A drover server for the Commissaire façade's tests: HTTP basic as real users (an
// administrator, and a viewer who may only read Commissaire's kinds), no controllers (the tests
// write host and operation status as the controllers would), and a raw HTTP client.
import { systemContext } from '../../../src/registry/index.js';
import { startTestServer, type TestServer } from '../../helpers.js';

export const ADMIN = { user: 'ops', password: 'ops-secret-1' };
export const VIEWER = { user: 'vic', password: 'vic-secret-1' };

export interface Answer {
  status: number;
  contentType: string | null;
  headers: Headers;
  text: string;
  json(): any;
}

export interface CommissaireServer {
  ts: TestServer;
  base: string;
  /** A request as the administrator unless `as` says otherwise (null: no credentials). */
  call(method: string, path: string, body?: unknown, as?: { user: string; password: string } | null): Promise<Answer>;
  /** Writes a host's status as the host controller would. */
  setHostStatus(address: string, status: Record<string, unknown>): Promise<void>;
  close(): Promise<void>;
}

export function basicAuth(who: { user: string; password: string }): string {
  return `Basic ${Buffer.from(`${who.user}:${who.password}`).toString('base64')}`;
}

export async function startCommissaireServer(opts: { commissaireListen?: string; loginLimits?: { maxFailures?: number } } = {}): Promise<CommissaireServer> {
  const ts = await startTestServer({ auth: true, controllers: false, loginLimits: { maxFailures: 1000 }, ...opts });
  const registry = ts.server.registry;
  const credentials = registry.credentials!;
  await credentials.addUser(systemContext, ADMIN.user, ADMIN.password, ['system:administrators']);
  await credentials.addUser(systemContext, VIEWER.user, VIEWER.password, []);
  await registry.kind('clusterroles').create(systemContext, {
    metadata: { name: 'commissaire-viewer' },
    spec: { rules: [{ verbs: ['get', 'list', 'watch'], resources: ['clusters', 'hosts', 'networks', 'containermanagers', 'operations'] }] },
  });
  await registry.kind('clusterrolebindings').create(systemContext, {
    metadata: { name: 'vic-commissaire-viewer' },
    spec: { roleRef: { kind: 'ClusterRole', name: 'commissaire-viewer' }, subjects: [{ kind: 'User', name: VIEWER.user }] },
  });
  const base = opts.commissaireListen ? ts.server.commissaireUrl! : ts.url;
  const call: CommissaireServer['call'] = async (method, path, body, as = ADMIN) => {
    const headers: Record<string, string> = {};
    if (as) headers.authorization = basicAuth(as);
    let payload: string | undefined;
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = typeof body === 'string' ? body : JSON.stringify(body);
    }
    const res = await fetch(base + path, { method, headers, body: payload });
    const text = await res.text();
    return { status: res.status, contentType: res.headers.get('content-type'), headers: res.headers, text, json: () => JSON.parse(text) };
  };
  return {
    ts,
    base,
    call,
    setHostStatus: async (address, status) => {
      const hosts = registry.kind('hosts');
      const host = hosts.list(systemContext).find((h) => (h.spec as { address: string }).address === address);
      if (!host) throw new Error(`no host at ${address}`);
      await hosts.replaceStatus(systemContext, host.metadata.name, { status });
    },
    close: () => ts.close(),
  };
}

/** A base64 "key", as commctl sends the file it read. */
export function encodedKey(text: string): string {
  return Buffer.from(text).toString('base64');
}
