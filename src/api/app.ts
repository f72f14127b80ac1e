// buildApp: the drover API server as a fastify instance, built from explicit options and not
// listening yet (the caller decides where). Tests build the same app on port 0.
import { createServer as createHttpsServer, type ServerOptions as HttpsServerOptions } from 'node:https';
import type { Server } from 'node:http';
import Fastify, { LogController, type FastifyServerFactory, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Registry } from '../registry/index.js';
import { anonymousAdministrator } from '../security/principal.js';
import { version } from '../version.js';
import { packageRoot } from '../paths.js';
import { join } from 'node:path';
import { registerConsole } from './console.js';
import { registerCredentials } from './credentials.js';
import { registerDiscovery } from './discovery.js';
import { registerJoin } from './join.js';
import type { Facade } from './facade.js';
import { registerHeartbeat } from './machine-heartbeat.js';
import { registerTaskStatusReport } from './task-status-report.js';
import { registerEventReport } from './event-report.js';
import { registerAccessReview } from './access-review.js';
import { registerOpenApi } from './openapi.js';
import { OpenStreams } from './open-streams.js';
import type { Authenticator } from './protocol/auth.js';
import { registerParsers } from './protocol/content.js';
import { clientErrorHandler, registerGuards } from './protocol/guards.js';
import { registerErrorHandlers, sendError, toApiError } from './protocol/errors.js';
import { registerMetrics } from './protocol/metrics.js';
import type { AuditLog } from '../security/audit-log.js';
import { decorateAuditFields, registerAudit } from './audit.js';
import { registerRateLimit, type RateLimitOptions } from './rate-limit.js';
import { registerKind } from './resources/register.js';
import { registerSecretRoutes } from './secrets.js';
import { registerSystem, type ClusterServers, type Setting } from './system.js';
import { registerSystemLogs } from './system-logs.js';
import { registerSupportBundle } from './support-bundle.js';
import type { LogRing } from '../logging/log-ring.js';
import { registerTaskProxy, type AgentPki } from './task-proxy.js';
import { registerPortForward } from './port-forward.js';
import { routeUpgrades, UPGRADE_PROTOCOLS } from '../net/upgrade.js';
import { registerDatasetContent } from './dataset-content.js';

export interface AppOptions {
  /** The one door to the state: every route reads and writes through it. */
  registry: Registry;
  /** Other APIs served over the same state (fleet, …), each an encapsulated plugin. */
  facades?: Facade[];
  /** The namespace the façades map to (default "default"). */
  facadeNamespace?: string;
  authenticator?: Authenticator;
  logger?: FastifyBaseLogger;
  /** Largest accepted request body (default 1 MiB). */
  bodyLimitBytes?: number;
  /** Bytes a watch may have queued on its socket before it is dropped (default 16 MiB). */
  maxWatchBufferedBytes?: number;
  /** Settings shown at /api/v1/system/config. */
  config?: Record<string, unknown>;
  /** The command's settings with their sources, also shown there (redacted). */
  settings?: Record<string, Setting>;
  /** The server's recent log lines (system/logs, the support bundle). */
  logRing?: LogRing;
  /** The cluster's servers and its leader (/api/v1/system/leaders). */
  servers?: ClusterServers;
  /** Where every mutating request, log/exec/kill, secret read and denial is recorded (none: not recorded). */
  audit?: AuditLog;
  /** Per-principal request rate limit (none when absent). */
  rateLimit?: RateLimitOptions;
  /** The server listens on loopback only: requests must be addressed to loopback (DNS rebinding). */
  loopbackOnly?: boolean;
  /** Serve HTTPS with these options (certificate, key, client CAs) instead of HTTP. */
  https?: HttpsServerOptions;
  /** The cluster CA: agents join with it (their certificates), and the task proxy trusts agents by it. */
  pki?: AgentPki;
  /** How long an agent has to start answering a proxied log/exec/kill (default 10 s). */
  agentAnswerMs?: number;
  /** The built web console served at /ui/ (default dist/ui of this package). */
  consoleDir?: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Ends every open stream (watches, log follows, exec) with its last words. */
    endStreams(): void;
  }
}

function httpsFactory(options: HttpsServerOptions): FastifyServerFactory {
  return (handler) => createHttpsServer(options, handler) as unknown as Server;
}

export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const { registry } = opts;
  const app: FastifyInstance = Fastify({
    loggerInstance: opts.logger,
    // Per-request logs cost a third of GET throughput; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    // A pino child per request (binding its id) cost ~4% of a GET; request logs are off, and the
    // error handler names the request it logs.
    childLoggerFactory: (logger) => logger,
    bodyLimit: opts.bodyLimitBytes ?? 1024 * 1024,
    routerOptions: { maxParamLength: 1024, caseSensitive: true },
    return503OnClosing: true,
    forceCloseConnections: true,
    // Bad percent-encoding and over-long path segments are answered by the router itself;
    // without this they would skip the error envelope.
    frameworkErrors: (err, req, reply) => sendError(req, reply, toApiError(err, req)),
    clientErrorHandler,
    // An https.Server is an http.Server to everything fastify does with it.
    ...(opts.https ? { serverFactory: httpsFactory(opts.https) } : {}),
  });
  const streams = new OpenStreams();
  // Ends every watch, log follow and exec (server shutdown: drover dev calls it before stopping its agents).
  app.decorate('endStreams', () => void streams.endAll());
  if (opts.authenticator) {
    const authenticator = opts.authenticator;
    app.decorateRequest('principal', null as never);
    app.addHook('onRequest', (req, _reply, done) => {
      try {
        const p = authenticator.authenticate(req);
        if (p instanceof Promise) {
          p.then((principal) => {
            req.principal = principal;
            done();
          }, done);
          return;
        }
        req.principal = p;
        done();
      } catch (err) {
        done(err as Error);
      }
    });
  } else {
    // Without an authenticator everyone is the anonymous administrator: nothing to run per
    // request (an onRequest hook costs every request a hook runner and a closure).
    app.decorateRequest('principal', { getter: () => anonymousAdministrator });
  }
  // After authentication (its hook comes first): the limit is per principal.
  if (opts.rateLimit) registerRateLimit(app, opts.rateLimit);
  app.addHook('preClose', async () => {
    await streams.endAll();
  });

  // Before every route, so its onRoute hook sees them all (façades included).
  const audit = opts.audit ? registerAudit(app, opts.audit) : undefined;
  if (!audit) decorateAuditFields(app);
  registerGuards(app, { loopbackOnly: opts.loopbackOnly });
  registerParsers(app);
  registerErrorHandlers(app);
  const metrics = registerMetrics(app, registry);
  registerDiscovery(app, registry);
  registerOpenApi(app, registry, version);
  const startedAt = new Date();
  registerSystem(app, { registry, metrics, config: opts.config ?? {}, settings: opts.settings, servers: opts.servers, startedAt });
  registerSystemLogs(app, { registry, ring: opts.logRing, pki: opts.pki, streams, answerMs: opts.agentAnswerMs ?? 10_000 });
  registerSupportBundle(app, {
    registry,
    metrics,
    config: () => ({ startedAt: startedAt.toISOString(), ...opts.config, ...(opts.settings ? { settings: opts.settings } : {}) }),
    ring: opts.logRing,
    pki: opts.pki,
    servers: opts.servers,
  });
  for (const kind of registry.kinds) {
    registerKind(app, registry.kind(kind.plural), { streams, maxWatchBufferedBytes: opts.maxWatchBufferedBytes ?? 16 * 1024 * 1024 });
  }
  registerHeartbeat(app, registry);
  registerTaskStatusReport(app, registry);
  registerEventReport(app, registry);
  registerAccessReview(app, registry);
  registerCredentials(app, registry);
  if (opts.pki) registerJoin(app, registry, opts.pki.ca);
  // Port-forward and exec sessions arrive as Upgrades: through the routes, so authentication runs as for any request.
  routeUpgrades(app.server, UPGRADE_PROTOCOLS, (req, res) => app.routing(req, res));
  registerTaskProxy(app, registry, streams, opts.pki, opts.agentAnswerMs);
  registerPortForward(app, registry, streams, opts.pki, opts.agentAnswerMs);
  registerDatasetContent(app, registry, streams, opts.pki, opts.agentAnswerMs);
  registerSecretRoutes(app, registry);
  registerConsole(app, { dir: opts.consoleDir ?? join(packageRoot, 'dist', 'ui') });
  for (const facade of opts.facades ?? []) {
    audit?.setDoor(facade.name);
    await app.register(facade.plugin, { registry, namespace: opts.facadeNamespace });
    audit?.setDoor(undefined);
  }
  return app;
}
