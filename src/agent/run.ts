// Assembles a running agent: drivers, its small HTTP API (for the server's log/kill/exec
// proxy) and the agent loop. Used by `drover agent`, `drover dev` and tests.
import { join, resolve } from 'node:path';
import { pino, type Logger } from 'pino';
import { shimPath as defaultShimPath } from '../paths.js';
import { parseListen } from '../net/listen.js';
import { Agent, type AgentOptions } from './agent.js';
import type { Driver } from './drivers/driver.js';
import { ExecDriver } from './drivers/exec.js';
import { UnitDriver } from './drivers/unit.js';
import { buildAgentApp } from './http.js';

/** The agent's own options, plus where its API listens and how it logs and supervises. */
export interface StartAgentOptions
  extends Pick<AgentOptions, 'server' | 'dataDir' | 'id' | 'hostname' | 'labels' | 'cpu' | 'memory' | 'heartbeatMs' | 'systemMachineIdFile' | 'acceptNewCluster' | 'usageIntervalMs' | 'memoryCheckMs'> {
  /** Where the agent API listens (default 127.0.0.1:0). */
  listen?: string;
  /** Address the server should use to reach the agent API, if not the listen address. */
  advertise?: string;
  logLevel?: string;
  logger?: Logger;
  shimPath?: string;
  logMaxBytes?: number;
  /** The driver for tasks with unit options (default: the systemd-like UnitDriver). */
  unitDriver?: (shimPath: string, logMaxBytes: number) => Driver;
}

export interface RunningAgent {
  agent: Agent;
  id: string;
  endpoint: string;
  close(stopTasks?: boolean): Promise<void>;
}

export async function startAgent(opts: StartAgentOptions): Promise<RunningAgent> {
  const logger = opts.logger ?? pino({ level: opts.logLevel ?? 'info', base: { component: 'agent' } });
  const shim = opts.shimPath ?? defaultShimPath;
  const logMax = opts.logMaxBytes ?? 10 * 1024 * 1024;
  const unit = opts.unitDriver?.(shim, logMax) ?? new UnitDriver({ shimPath: shim, logMaxBytes: logMax, timerStampDir: join(resolve(opts.dataDir), 'timers') });
  const drivers = { exec: new ExecDriver(shim, logMax), unit };
  // The agent API must be up before registration publishes its endpoint.
  const ref: { agent?: Agent } = {};
  const app = await buildAgentApp({
    get id() {
      return ref.agent?.id ?? '';
    },
    runnerByUid: (uid) => ref.agent?.runnerByUid(uid),
  });
  const { host, port } = parseListen(opts.listen ?? '127.0.0.1:0');
  await app.listen({ host, port });
  const addr = app.server.address();
  const actualPort = typeof addr === 'object' && addr ? addr.port : port;
  const endpoint = opts.advertise ?? `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${actualPort}`;
  const agent = new Agent({
    server: opts.server,
    dataDir: opts.dataDir,
    id: opts.id,
    hostname: opts.hostname,
    labels: opts.labels,
    cpu: opts.cpu,
    memory: opts.memory,
    endpoint,
    heartbeatMs: opts.heartbeatMs,
    drivers,
    logger,
    systemMachineIdFile: opts.systemMachineIdFile,
    acceptNewCluster: opts.acceptNewCluster,
    usageIntervalMs: opts.usageIntervalMs,
    memoryCheckMs: opts.memoryCheckMs,
  });
  ref.agent = agent;
  try {
    await agent.start();
  } catch (err) {
    await app.close();
    throw err;
  }
  let closing: Promise<void> | undefined;
  return {
    agent,
    id: agent.id,
    endpoint,
    close: (stopTasks = false) =>
      (closing ??= (async () => {
        await agent.close(stopTasks);
        await app.close();
      })()),
  };
}
