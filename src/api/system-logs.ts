// GET /api/v1/system/logs?component=server|agent/MACHINE&tail=N&follow=true: a component's own
// log (pino's JSON lines), the server's from its memory, an agent's fetched from that agent as
// task logs are. Administrators only by default (system/logs): logs tell much about a cluster.
import type { FastifyInstance } from 'fastify';
import { BadRequest } from '../errors.js';
import type { LogRing } from '../logging/log-ring.js';
import { serveLogRing } from '../logging/serve-ring.js';
import type { Registry } from '../registry/index.js';
import { fetchFromAgent } from './agent-fetch.js';
import type { AgentPki } from './agent-tls.js';
import type { OpenStreams } from './open-streams.js';
import { contextOf } from './protocol/context.js';
import { route } from './protocol/routes.js';
import { boolParam, intParam, single, type Query } from './resources/params.js';

export interface SystemLogsOptions {
  registry: Registry;
  /** The server's recent log lines. */
  ring?: LogRing;
  pki?: AgentPki;
  streams: OpenStreams;
  /** How long an agent has to start answering. */
  answerMs: number;
}

export function registerSystemLogs(app: FastifyInstance, opts: SystemLogsOptions): void {
  route(app, '/api/v1/system/logs', {
    GET: async (req, reply) => {
      const q = req.query as Query;
      const ctx = contextOf(req);
      const component = single(q, 'component') ?? 'server';
      const tail = intParam(q, 'tail');
      const follow = boolParam(q, 'follow');
      if (component === 'server') {
        opts.registry.authorize(ctx, { verb: 'get', resource: 'system', subresource: 'logs' });
        reply.hijack();
        return serveLogRing(opts.ring, reply.raw, { tail, follow, track: (res, end) => opts.streams.add(res, end) });
      }
      const machine = /^agent\/(.+)$/.exec(component)?.[1];
      if (!machine) throw new BadRequest(`parameter component must be "server" or "agent/MACHINE", got "${component.slice(0, 100)}"`);
      const endpoint = await opts.registry.machineAgentEndpoint(ctx, machine);
      const params = new URLSearchParams({ ...(tail !== undefined ? { tail: String(tail) } : {}), ...(follow ? { follow: 'true' } : {}) });
      const { response, abort } = await fetchFromAgent(opts.pki, machine, endpoint, `/v1/system/log?${params}`, opts.answerMs);
      reply.hijack();
      const res = reply.raw;
      res.on('close', abort);
      opts.streams.add(res, () => {
        abort();
        res.end();
      });
      res.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
      res.flushHeaders();
      try {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) res.write(chunk);
      } catch {
        // the client or the agent went away
      }
      res.end();
    },
  });
}
