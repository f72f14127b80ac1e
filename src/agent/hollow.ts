// Hollow machines, like Kubemark's hollow nodes and KWOK: N simulated machines in one process,
// each a real Agent (registration, heartbeats, list + watch of its tasks, coalesced status
// reports) whose driver reports processes as started without spawning anything. A SIMULATION for
// benchmarks and scale tests only: `drover dev` never runs it.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import type { Pool, Task } from '../client/client.js';
import { Agent } from './agent.js';
import type { Driver, Run } from './drivers/driver.js';
import { randomMachineId } from './machine-id.js';
import type { ExitStatus } from './supervisor.js';

/** Fake pids start high so they are never mistaken for (or signalled as) real processes. */
let nextFakePid = 10_000_000;

/** A driver that spawns nothing: a run "starts" at once and ends only when stopped. */
export class HollowDriver implements Driver {
  readonly name = 'hollow';
  /** Runs started so far (a cheap progress counter for benchmarks). */
  started = 0;
  private readonly onStart?: (task: Task) => void;

  constructor(opts: { onStart?: (task: Task) => void } = {}) {
    this.onStart = opts.onStart;
  }

  start(task: Task): Promise<Run> {
    this.started++;
    this.onStart?.(task);
    return Promise.resolve(hollowRun(nextFakePid++));
  }

  adopt(): Run | undefined {
    return undefined; // a hollow run does not outlive its process
  }
}

function hollowRun(pid: number): Run {
  let finish!: (s: ExitStatus) => void;
  const exited = new Promise<ExitStatus>((r) => (finish = r));
  let done = false;
  const end = (signal: string | null) => {
    if (!done) finish({ code: signal ? null : 0, signal, finishedAt: new Date() });
    done = true;
    return exited;
  };
  return {
    pid,
    exited,
    stop: () => end('SIGTERM'),
    signal: (s) => (end(s), true),
    detach: () => {},
  };
}

export interface HollowAgentsOptions {
  server: string | string[];
  count: number;
  /** Index of the first machine (hostnames, default labels) when a fleet is split across processes. */
  first?: number;
  /** Root for the machines' data dirs (default: a new dir in /dev/shm or the temp dir, removed on close). */
  dataDir?: string;
  /** Labels for machine i (default: zone-a…d and rack-0…9 spread across machines). */
  labels?: (i: number) => Record<string, string>;
  cpu?: string;
  memory?: number;
  heartbeatMs?: number;
  /** Machines registering at once (default 200), so a big fleet does not stampede the server. */
  concurrency?: number;
  logger?: Logger;
  logLevel?: string;
  /** Called whenever a hollow run starts (benchmarks count bound tasks here). */
  onStart?: (task: Task) => void;
  /**
   * Connection pool shared by every machine's requests (watches keep their own connections);
   * startHollowAgents makes a bounded one. Thousands of machines each opening sockets for a
   * burst of status reports cost the server and the fleet more in connects than in requests.
   */
  dispatcher?: Pool & { destroy?(): Promise<void> };
  /** Connection pool shared by every machine's heartbeats (default: `dispatcher`); see AgentOptions. */
  heartbeatDispatcher?: Pool & { destroy?(): Promise<void> };
}

/** Sockets per server in the fleet's shared pool: enough to keep one server core busy. */
const POOL_CONNECTIONS = 64;
/**
 * Sockets per server for the fleet's heartbeats (5,000 machines beat ~500 times a second; real
 * agents have a connection each). With 8, a saturated server's slower answers let the queue of
 * heartbeats grow until some machines were judged lost (25-38 NotReady at 5,000 machines).
 */
const HEARTBEAT_CONNECTIONS = 32;

/**
 * A bounded connection pool of the undici that Node's fetch bundles (Node does not export its
 * Agent class, but the global dispatcher is one; undici is no dependency of ours).
 */
export async function sharedPool(connections = POOL_CONNECTIONS): Promise<(Pool & { destroy(): Promise<void> }) | undefined> {
  await fetch('data:,').catch(() => {}); // loads the bundled undici, which installs its global dispatcher
  const global = (globalThis as Record<symbol, unknown>)[Symbol.for('undici.globalDispatcher.1')] as object | undefined;
  const UndiciAgent = global?.constructor as (new (opts: { connections: number }) => Pool & { destroy(): Promise<void> }) | undefined;
  return UndiciAgent && (UndiciAgent as unknown) !== Object ? new UndiciAgent({ connections }) : undefined;
}

export interface HollowAgents {
  agents: Agent[];
  driver: HollowDriver;
  close(): Promise<void>;
}

export function hollowLabels(i: number): Record<string, string> {
  return { 'drover.io/hollow': 'true', zone: `zone-${'abcd'[i % 4]}`, rack: `rack-${i % 10}` };
}

/** Starts `count` hollow machines against `server`; resolves once all have registered. */
export async function startHollowAgents(opts: HollowAgentsOptions): Promise<HollowAgents> {
  const hollow = createHollowAgents({
    ...opts,
    dispatcher: opts.dispatcher ?? (await sharedPool()),
    heartbeatDispatcher: opts.heartbeatDispatcher ?? (await sharedPool(HEARTBEAT_CONNECTIONS)),
  });
  await hollow.start();
  return hollow;
}

/** The machines without starting them: `start()` registers them; `close()` may come first or meanwhile. */
export function createHollowAgents(opts: HollowAgentsOptions): HollowAgents & { start(): Promise<void> } {
  const logger = opts.logger ?? pino({ level: opts.logLevel ?? 'warn', base: { component: 'hollow-agent', simulation: true } });
  const ownRoot = opts.dataDir === undefined;
  // Simulated machines keep their task files in memory when they can: the benchmark measures the
  // control plane, not the bench host's disk (mkdir + write + rm per task was a third of the fleet's CPU).
  const root = opts.dataDir ?? mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'drover-hollow-'));
  const driver = new HollowDriver({ onStart: opts.onStart });
  const agents: Agent[] = [];
  const first = opts.first ?? 0;
  for (let n = 0; n < opts.count; n++) {
    const i = first + n;
    const id = randomMachineId();
    agents.push(
      new Agent({
        server: opts.server,
        dataDir: join(root, id),
        id,
        hostname: `hollow-${i + 1}`,
        labels: (opts.labels ?? hollowLabels)(i),
        cpu: opts.cpu ?? '32',
        memory: opts.memory ?? 64 * 2 ** 30,
        heartbeatMs: opts.heartbeatMs,
        drivers: { exec: driver, unit: driver },
        logger: logger.child({ machine: i + 1 }),
        dispatcher: opts.dispatcher,
        heartbeatDispatcher: opts.heartbeatDispatcher,
        // Nothing to measure: hollow runs have no processes, and the host is not theirs.
        usageIntervalMs: 0,
      }),
    );
  }
  let closed = false;
  const close = async () => {
    closed = true; // machines not yet started stay unstarted
    await Promise.all(agents.map((a) => a.close(false)));
    // Reports still queued in the pool are dropped, as a closing agent's reporter drops them.
    await opts.dispatcher?.destroy?.().catch(() => {});
    await opts.heartbeatDispatcher?.destroy?.().catch(() => {});
    if (ownRoot) rmSync(root, { recursive: true, force: true });
  };
  const start = async () => {
    try {
      let next = 0;
      const worker = async () => {
        while (next < agents.length && !closed) await agents[next++]!.start();
      };
      await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 200, agents.length) }, worker));
    } catch (err) {
      await close();
      throw err;
    }
    logger.info({ count: opts.count }, 'hollow machines (simulated, no processes) registered');
  };
  return { agents, driver, start, close };
}
