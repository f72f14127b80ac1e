// TLS and credentials for the client's requests. Node's fetch takes a `dispatcher` (an undici
// Agent) for TLS options such as a private CA or a client certificate; Node does not export the
// class, but its global dispatcher is one (as in agent/hollow.ts), so no dependency is added.

export interface TlsOptions {
  /** PEM of the CA to trust (else the system's). */
  ca?: string;
  /** PEM of a client certificate and its key. */
  cert?: string;
  key?: string;
}

export interface Credentials {
  token?: string;
  basic?: { user: string; password: string };
}

/** The Authorization header for `creds`, if any. */
export function authorizationHeader(creds: Credentials): string | undefined {
  if (creds.token) return `Bearer ${creds.token}`;
  if (creds.basic) return `Basic ${Buffer.from(`${creds.basic.user}:${creds.basic.password}`).toString('base64')}`;
  return undefined;
}

export interface Dispatcher {
  close(): Promise<void>;
}

type AgentClass = new (opts: { connect?: Record<string, unknown>; connections?: number }) => Dispatcher;
let agentClass: Promise<AgentClass | undefined> | undefined;

/** undici's Agent class, as Node's fetch bundles it. */
export function undiciAgentClass(): Promise<AgentClass | undefined> {
  return (agentClass ??= (async () => {
    await fetch('data:,').catch(() => {}); // loads the bundled undici, which installs its global dispatcher
    const global = (globalThis as Record<symbol, unknown>)[Symbol.for('undici.globalDispatcher.1')] as object | undefined;
    const Agent = global?.constructor as AgentClass | undefined;
    return Agent && (Agent as unknown) !== Object ? Agent : undefined;
  })());
}

/** A dispatcher that connects with `tls` (CA, client certificate), for fetch's `dispatcher` option. */
export async function tlsDispatcher(tls: TlsOptions & { checkServerIdentity?: (host: string, cert: unknown) => Error | undefined }): Promise<Dispatcher> {
  const Agent = await undiciAgentClass();
  if (!Agent) throw new Error('this Node.js has no undici Agent to make TLS connections with a private CA; use Node.js 20 or newer');
  const connect: Record<string, unknown> = {};
  if (tls.ca) connect.ca = tls.ca;
  if (tls.cert) connect.cert = tls.cert;
  if (tls.key) connect.key = tls.key;
  if (tls.checkServerIdentity) connect.checkServerIdentity = tls.checkServerIdentity;
  return new Agent({ connect });
}
