// Assembles a running agent: drivers, its small HTTP API (for the server's log/kill/exec
// proxy) and the agent loop. Used by `drover agent`, `drover dev` and tests.
import { statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { componentLogger } from '../logging/component-logger.js';
import { LogRing } from '../logging/log-ring.js';
import { shimPath as defaultShimPath } from '../paths.js';
import { parseListen } from '../net/listen.js';
import { Agent, type AgentOptions } from './agent.js';
import type { Driver } from './drivers/driver.js';
import { ContainerDriver } from './drivers/container.js';
import { ExecDriver } from './drivers/exec.js';
import { UnitDriver } from './drivers/unit.js';
import { serverSans } from '../security/cluster-pki.js';
import { buildAgentApp } from './http.js';
import { resolveMachineId } from './machine-id.js';
import { nodeIdentity } from './node-join.js';

/** The agent's own options, plus where its API listens and how it logs and supervises. */
export interface StartAgentOptions
  extends Pick<AgentOptions, 'server' | 'dataDir' | 'id' | 'hostname' | 'labels' | 'cpu' | 'memory' | 'heartbeatMs' | 'systemMachineIdFile' | 'acceptNewCluster' | 'usageIntervalMs' | 'memoryCheckMs' | 'ingress'> {
  /** Where the agent API listens (default 127.0.0.1:0). */
  listen?: string;
  /** Address the server should use to reach the agent API, if not the listen address. */
  advertise?: string;
  logLevel?: string;
  logger?: Logger;
  /** Where the agent's recent log lines are kept, served to the server (made with the logger when `logger` is not given). */
  logRing?: LogRing;
  shimPath?: string;
  logMaxBytes?: number;
  /** The driver for tasks with unit options (default: the systemd-like UnitDriver). */
  unitDriver?: (shimPath: string, logMaxBytes: number) => Driver;
  /** Exchanged for this agent's identity on first contact (drover token create --agent). */
  joinToken?: string;
  /** PEM of the cluster CA, to trust an https server before joining (later: the one joining gave). */
  ca?: string;
  /** How often the sizes of the datasets held here are measured again (default 30 s). */
  datasetSizeRefreshMs?: number;
}

export interface RunningAgent {
  agent: Agent;
  id: string;
  endpoint: string;
  close(stopTasks?: boolean): Promise<void>;
}

export async function startAgent(opts: StartAgentOptions): Promise<RunningAgent> {
  const { logger, ring: logRing } = opts.logger ? { logger: opts.logger, ring: opts.logRing ?? new LogRing() } : componentLogger(opts.logLevel ?? 'info', { component: 'agent' }, opts.logRing);
  const shim = opts.shimPath ?? defaultShimPath;
  const logMax = opts.logMaxBytes ?? 10 * 1024 * 1024;
  const unit = opts.unitDriver?.(shim, logMax) ?? new UnitDriver({ shimPath: shim, logMaxBytes: logMax, timerStampDir: join(resolve(opts.dataDir), 'timers') });
  const drivers = { exec: new ExecDriver(shim, logMax), unit, container: new ContainerDriver(shim, logMax) };
  const { host, port } = parseListen(opts.listen ?? '127.0.0.1:0');
  const id = resolveMachineId(resolve(opts.dataDir), opts.id, opts.systemMachineIdFile);
  const closed = closedToOthers(resolve(opts.dataDir));
  if (closed) {
    logger.warn(`${closed} cannot be searched by other users (no o+x): tasks that run as another user (user: in a template, User= in a unit) cannot reach their secret files under ${resolve(opts.dataDir)}; chmod o+x ${closed}, or put --data elsewhere`);
  }
  const advertised = opts.advertise ? new URL(opts.advertise).hostname.replace(/^\[|\]$/g, '') : undefined;
  const identity = await nodeIdentity({
    server: opts.server,
    dataDir: resolve(opts.dataDir),
    machine: id,
    joinToken: opts.joinToken,
    ca: opts.ca,
    addresses: serverSans([host, ...(advertised ? [advertised] : [])]),
  });
  // The agent API must be up before registration publishes its endpoint.
  const ref: { agent?: Agent } = {};
  const app = await buildAgentApp(
    {
      get id() {
        return ref.agent?.id ?? '';
      },
      runnerByUid: (uid) => ref.agent?.runnerByUid(uid),
      logRing,
      datasetContent: (id) => {
        if (!ref.agent?.datasets) throw Object.assign(new Error('this agent manages no datasets'), { statusCode: 404 });
        return ref.agent.datasets.content.content(id);
      },
    },
    { cert: identity.cert, key: identity.key, ca: identity.ca },
  );
  await app.listen({ host, port });
  const addr = app.server.address();
  const actualPort = typeof addr === 'object' && addr ? addr.port : port;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const endpoint = opts.advertise ?? `https://${urlHost}:${actualPort}`;
  const agent = new Agent({
    credentials: { token: identity.token },
    tls: { ca: identity.ca, cert: identity.cert, key: identity.key },
    server: opts.server,
    dataDir: opts.dataDir,
    hostname: opts.hostname,
    labels: opts.labels,
    cpu: opts.cpu,
    memory: opts.memory,
    endpoint,
    heartbeatMs: opts.heartbeatMs,
    drivers,
    logger,
    id,
    systemMachineIdFile: opts.systemMachineIdFile,
    acceptNewCluster: opts.acceptNewCluster,
    usageIntervalMs: opts.usageIntervalMs,
    memoryCheckMs: opts.memoryCheckMs,
    ingress: opts.ingress,
    datasets: {
      sizeRefreshMs: opts.datasetSizeRefreshMs,
      // Test-only: slows moves down so that a test can kill an agent or the server mid-move.
      sendBytesPerSecond: Number(process.env.DROVER_TEST_DATASET_SEND_BPS) || undefined,
    },
  });
  ref.agent = agent;
  try {
    await agent.start();
  } catch (err) {
    await app.close();
    throw err;
  }
  logger.info({ machine: agent.id, endpoint, server: opts.server }, 'agent started: machine registered, tasks followed');
  let closing: Promise<void> | undefined;
  return {
    agent,
    id: agent.id,
    endpoint,
    close: (stopTasks = false) =>
      (closing ??= (async () => {
        logger.info({ machine: agent.id, stopTasks }, 'agent stopping');
        await agent.close(stopTasks);
        await app.close();
      })()),
  };
}

/** The first directory on the way to `dir` (itself included) that other users may not search, if any. */
function closedToOthers(dir: string): string | undefined {
  for (let d = dir; ; d = dirname(d)) {
    try {
      if ((statSync(d).mode & 0o001) === 0) return d;
    } catch {
      // Not there yet (the agent makes it): its parent decides.
    }
    if (dirname(d) === d) return undefined;
  }
}
