// `drover dev`: a server on SQLite and N local agents in one process, each agent with its own
// data dir, a random machine id (they share one host, so /etc/machine-id cannot tell them
// apart) and distinct labels. Closing it stops every task it started.
import { join, resolve } from 'node:path';
import { componentLogger } from './logging/component-logger.js';
import { startAgent, type RunningAgent } from './agent/run.js';
import { systemContext } from './registry/index.js';
import { ADMIN_USER, ADMINISTRATORS_GROUP } from './security/principal.js';
import { startServer, type RunningServer, type ServerOptions } from './server.js';

export interface DevOptions {
  agents: number;
  listen?: string;
  dataDir: string;
  machineGraceSeconds?: number;
  logLevel?: string;
  heartbeatMs?: number;
  /** Also serve the API (fleet's façade included) on this unix socket, as `drover server --fleet-socket` does. */
  fleetSocket?: string;
  /** Authenticate requests (`drover dev` does: its context holds the admin token); default off, as startServer. */
  auth?: boolean;
  /** More options of the server (audit log, rate limits). */
  server?: Partial<ServerOptions>;
}

export interface RunningDev {
  url: string;
  server: RunningServer;
  agents: RunningAgent[];
  /**
   * The web console's URL with a one-time login: a token of the administrator that lives a few
   * minutes and that the console trades for a session token of its own at once (then revokes it).
   * Undefined when the server authenticates nobody (then /ui/ needs no login anyway).
   */
  consoleLoginUrl(): Promise<string | undefined>;
  close(): Promise<void>;
}

/** How long a console login link works, if nobody uses it. */
export const LOGIN_LINK_TTL_SECONDS = 300;

export async function startDev(opts: DevOptions): Promise<RunningDev> {
  const dataDir = resolve(opts.dataDir);
  // One process: the server's log ring holds its agents' lines too.
  const { logger, ring } = componentLogger(opts.logLevel ?? 'warn', {});
  const server = await startServer({
    listen: opts.listen,
    dataDir: join(dataDir, 'server'),
    logger: logger.child({ component: 'server' }),
    logRing: ring,
    machineGraceSeconds: opts.machineGraceSeconds,
    auth: opts.auth ?? false,
    ...(opts.fleetSocket ? { fleetSocket: opts.fleetSocket } : {}),
    ...opts.server,
  });
  // Its agents join as any agent does, with a short-lived join token nobody else sees.
  const joinToken =
    opts.auth && server.registry.credentials
      ? (await server.registry.credentials.createToken(systemContext, { user: 'system:bootstrap', purpose: 'join', ttlSeconds: 600, description: 'drover dev\'s local agents' })).token
      : undefined;
  const agents: RunningAgent[] = [];
  try {
    const started = await Promise.all(
      Array.from({ length: opts.agents }, (_, i) =>
        startAgent({
          server: server.url,
          dataDir: join(dataDir, 'agents', String(i + 1)),
          // A fresh machine gets a random id (kept in its data dir for the next start).
          systemMachineIdFile: '/nonexistent',
          hostname: `dev-${i + 1}`,
          labels: { 'drover.io/dev-agent': String(i + 1) },
          heartbeatMs: opts.heartbeatMs,
          // The agents share one host: the first serves the ingress ports (the others could not bind them).
          ...(i === 0 ? { ingress: {} } : {}),
          joinToken,
          ca: server.pki.ca.cert,
          logger: logger.child({ component: 'agent', agent: i + 1 }),
        }),
      ),
    );
    agents.push(...started);
  } catch (err) {
    await Promise.all(agents.map((a) => a.close(true)));
    await server.close();
    throw err;
  }
  let closing: Promise<void> | undefined;
  return {
    url: server.url,
    server,
    agents,
    consoleLoginUrl: async () => {
      const credentials = server.registry.credentials;
      if (!opts.auth || !credentials) return undefined;
      const { token } = await credentials.createToken(systemContext, {
        user: ADMIN_USER,
        groups: [ADMINISTRATORS_GROUP],
        ttlSeconds: LOGIN_LINK_TTL_SECONDS,
        description: 'one-time web console login (drover dev)',
      });
      // In the fragment: a browser never sends it to the server, so it is in no access log.
      return `${server.url}/ui/#login=${token}`;
    },
    close: () =>
      (closing ??= (async () => {
        // Clients' streams first: a log follow the server proxies from an agent would hold that agent's close.
        server.endStreams();
        await Promise.all(agents.map((a) => a.close(true)));
        await server.close();
      })()),
  };
}

