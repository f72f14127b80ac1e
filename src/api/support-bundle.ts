// GET /api/v1/system/bundle (drover support bundle > FILE): a tar.gz to attach to a bug report.
// It holds versions, the server's configuration, machines and their conditions, recent events,
// the last lines of the server's and every agent's log, a metrics snapshot, store statistics and
// who leads. Secrets are never read, settings with secret-looking names are redacted, and every
// file is scrubbed of credential-shaped text (tokens, bearer headers, private keys).
import { createGzip } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import type { Registry as MetricsRegistry } from 'prom-client';
import { pack as tarPack } from 'tar-stream';
import { isMachineReady, type Event, type Machine } from '../model/index.js';
import type { LogRing } from '../logging/log-ring.js';
import type { Registry } from '../registry/index.js';
import { version } from '../version.js';
import { fetchFromAgent } from './agent-fetch.js';
import type { AgentPki } from './agent-tls.js';
import { redactSettings, scrubText } from './redact.js';
import { contextOf } from './protocol/context.js';
import { route } from './protocol/routes.js';
import type { ClusterServers } from './system.js';

/** Log lines per component in a bundle: enough to see what led up to a problem. */
const LOG_LINES = 1_000;
/** An agent that does not answer this fast is noted as such; the bundle does not wait on it. */
const AGENT_LOG_MS = 3_000;
const AGENT_LOG_CONCURRENCY = 8;

export interface SupportBundleOptions {
  registry: Registry;
  metrics: MetricsRegistry;
  config: () => Record<string, unknown>;
  ring?: LogRing;
  pki?: AgentPki;
  servers?: ClusterServers;
}

export function registerSupportBundle(app: FastifyInstance, opts: SupportBundleOptions): void {
  route(app, '/api/v1/system/bundle', {
    GET: async (req, reply) => {
      const ctx = contextOf(req);
      const { registry } = opts;
      // Whoever may have a bundle may read what it holds: checked before any of it is gathered.
      registry.authorize(ctx, { verb: 'get', resource: 'system', subresource: 'bundle' });
      registry.authorize(ctx, { verb: 'get', resource: 'system', subresource: 'logs' });
      const store = registry.storeStatistics(ctx);
      const machines = registry.kind<Machine>('machines').list(ctx).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
      const events = registry.kind<Event>('events').list(ctx).sort((a, b) => a.spec.lastTimestamp.localeCompare(b.spec.lastTimestamp));
      const files: [string, string][] = [
        ['version.json', json({ version, node: process.version, platform: `${process.platform}/${process.arch}`, store: store.backend, clusterId: store.clusterId, agents: machines.map((m) => ({ machine: m.metadata.name, hostname: m.status?.hostname, agentVersion: m.status?.agentVersion })) })],
        ['config.json', json(redactSettings(opts.config()))],
        ['machines.json', json(machines.map((m) => ({ name: m.metadata.name, labels: m.metadata.labels, spec: m.spec, status: m.status })))],
        ['events.json', json(events.map((e) => ({ namespace: e.metadata.namespace, ...e.spec })))],
        ['store.json', json(store)],
        ['metrics.txt', await opts.metrics.metrics()],
        ['logs/server.log', (opts.ring?.tail(LOG_LINES) ?? []).join('\n') + '\n'],
      ];
      if (opts.servers) files.push(['leaders.json', json(await opts.servers.leaders().catch((err: unknown) => ({ error: (err as Error).message })))]);
      // A few agents at a time: a big cluster's bundle must not open a connection to every machine at once.
      const agentLogs = new Map<string, string>();
      const queue = [...machines];
      await Promise.all(
        Array.from({ length: AGENT_LOG_CONCURRENCY }, async () => {
          for (let m = queue.shift(); m; m = queue.shift()) agentLogs.set(m.metadata.name, await agentLog(opts.pki, m));
        }),
      );
      for (const m of machines) files.push([`logs/agent-${m.metadata.name}.log`, agentLogs.get(m.metadata.name)!]);

      const pack = tarPack();
      const mtime = new Date();
      for (const [name, text] of files) pack.entry({ name: `drover-bundle/${name}`, mode: 0o644, mtime }, scrubText(text));
      pack.finalize();
      const stamp = mtime.toISOString().replace(/[:.]/g, '-');
      return reply
        .type('application/gzip')
        .header('content-disposition', `attachment; filename="drover-bundle-${stamp}.tar.gz"`)
        .send(pack.pipe(createGzip()));
    },
  });
}

/** The last lines of a machine's agent log, or a line saying why there are none. */
async function agentLog(pki: AgentPki | undefined, m: Machine): Promise<string> {
  const endpoint = m.status?.agentEndpoint;
  if (!endpoint) return '# the agent has published no endpoint\n';
  if (!isMachineReady(m)) return '# the machine is not Ready: its agent was not asked\n';
  try {
    const { response, abort } = await fetchFromAgent(pki, m.metadata.name, endpoint, `/v1/system/log?tail=${LOG_LINES}`, AGENT_LOG_MS);
    const timer = setTimeout(abort, AGENT_LOG_MS);
    try {
      return await response.text();
    } finally {
      clearTimeout(timer);
      abort();
    }
  } catch (err) {
    return `# could not read the agent's log: ${(err as Error).message}\n`;
  }
}

function json(v: unknown): string {
  return JSON.stringify(v, null, 2) + '\n';
}
