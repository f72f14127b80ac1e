// buildApp: the drover API server as a fastify instance, built from explicit options and not
// listening yet (the caller decides where). Tests build the same app on port 0.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { registerFleet } from '../compat/fleet/index.js';
import type { State } from '../state/state.js';
import { version } from '../version.js';
import { registerDiscovery } from './discovery.js';
import { registerHeartbeat } from './machine-heartbeat.js';
import type { Kind } from './kinds/kind.js';
import { kinds as allKinds } from './kinds/registry.js';
import { registerOpenApi } from './openapi.js';
import { allowAdministrators, anonymousAdministrator, type Authenticator, type Authorizer } from './protocol/auth.js';
import { registerParsers } from './protocol/content.js';
import { registerErrorHandlers, sendError, toApiError } from './protocol/errors.js';
import { registerMetrics } from './protocol/metrics.js';
import { registerKind } from './resources/handlers.js';
import type { WatchTracker } from './resources/watch.js';
import { registerSystem } from './system.js';
import { registerTaskProxy } from './task-proxy.js';

export interface AppOptions {
  state: State;
  kinds?: Kind[];
  authenticator?: Authenticator;
  authorizer?: Authorizer;
  logger?: FastifyBaseLogger;
  /** Largest accepted request body (default 1 MiB). */
  bodyLimitBytes?: number;
  /** Bytes a watch may have queued on its socket before it is dropped (default 16 MiB). */
  maxWatchBufferedBytes?: number;
  /** Settings shown at /api/v1/system/config. */
  config?: Record<string, unknown>;
}

export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const kinds = opts.kinds ?? allKinds;
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
  });
  const watches: WatchTracker = new Set();
  app.decorate('authorizer', opts.authorizer ?? allowAdministrators);
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
  app.addHook('preClose', (done) => {
    for (const res of watches) res.end();
    watches.clear();
    done();
  });

  registerParsers(app);
  registerErrorHandlers(app);
  const metrics = registerMetrics(app, opts.state);
  registerDiscovery(app, kinds);
  registerOpenApi(app, kinds, version);
  registerSystem(app, { state: opts.state, metrics, config: opts.config ?? {}, startedAt: new Date() });
  for (const kind of kinds) {
    registerKind(app, kind, { state: opts.state, watches, maxWatchBufferedBytes: opts.maxWatchBufferedBytes ?? 16 * 1024 * 1024 });
  }
  registerHeartbeat(app, opts.state);
  registerTaskProxy(app, opts.state);
  await registerFleet(app, { state: opts.state });
  return app;
}
