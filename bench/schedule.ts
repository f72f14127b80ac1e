// schedule: hollow machines (real agent code, no processes) and services of 1–100 replicas with
// constraints and resources; time from the first submit until every task is bound and has been
// seen by its machine's agent. The server runs in a child process so its peak RSS is its own;
// the hollow fleet runs in another, so the bench, the fleet and the server each get a core.
// Baseline, measured in the same run: the pure scheduler (placeTasks) placing the same task set
// on the same machines, i.e. what the control plane around it costs.
import { hollowLabels } from '../src/agent/hollow.js';
import { Client, type Service } from '../src/client/client.js';
import { parseBytes, parseCpuMilli, placeTasks, resourceRequest, type MachineView, type PlacementRequest } from '../src/scheduler/index.js';
import type { Row } from './report.js';
import { startHollowFleet } from './lib/hollow-fleet.js';
import { cpuSeconds, startServerChild, until } from './lib/util.js';

interface Scale {
  machines: number;
  tasks: number;
  /** Submit → all bound must end by then; a slow run reports what was bound. */
  deadlineMs: number;
}

/** What each hollow machine offers (the fleet's defaults). */
const MACHINE_CPU = '32';
const MACHINE_MEMORY = 64 * 2 ** 30;

/** Services submitted at once (like the API benchmarks' load, and many users or a CI at once). */
const SUBMITTERS = 64;

type ServiceInput = { metadata: { name: string }; spec: Service['spec'] };

/** Deterministic services summing to `tasks` replicas: sizes 1–100, a third pinned to a zone, some with conflicts. */
function services(tasks: number): ServiceInput[] {
  const out: ServiceInput[] = [];
  let left = tasks;
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let i = 0; left > 0; i++) {
    const replicas = Math.min(left, 1 + Math.floor(rnd() * 100));
    left -= replicas;
    const spec: Service['spec'] = {
      replicas,
      template: { command: ['/bin/sleep', '3600'], resources: { cpu: `${100 * (1 + (i % 4))}m`, memory: `${64 * (1 + (i % 3))}Mi` } },
    };
    if (i % 3 === 0) spec.constraints = { machineSelector: { zone: `zone-${'abcd'[i % 4]}` } };
    else if (i % 7 === 1) spec.constraints = { machineSelector: { rack: [`rack-${i % 10}`, `rack-${(i + 1) % 10}`, `rack-${(i + 2) % 10}`] } };
    if (i % 11 === 5 && replicas <= 20) spec.constraints = { ...spec.constraints, conflicts: [`sched-${i}`] };
    out.push({ metadata: { name: `sched-${i}` }, spec });
  }
  return out;
}

/** The scheduler core alone on the same machines and tasks: placements per second of placeTasks. */
function pureScheduler(machines: number, list: ServiceInput[]): { rate: number; placed: number } {
  const views: MachineView[] = Array.from({ length: machines }, (_, i) => ({
    name: `m-${String(i).padStart(6, '0')}`,
    labels: hollowLabels(i),
    allocatable: { cpuMilli: parseCpuMilli(MACHINE_CPU), memoryBytes: parseBytes(MACHINE_MEMORY) },
    schedulable: true,
  }));
  const requests: PlacementRequest[] = [];
  for (const svc of list) {
    const request = resourceRequest(svc.spec.template.resources);
    for (let r = 0; r < (svc.spec.replicas ?? 1); r++) {
      requests.push({ task: `${svc.metadata.name}-${r}`, service: svc.metadata.name, request, constraints: svc.spec.constraints ?? {}, strategy: svc.spec.strategy });
    }
  }
  placeTasks(requests.slice(0, 1_000), views, []); // warm the JIT
  let best = Infinity;
  let placed = 0;
  for (let run = 0; run < 3; run++) {
    const t0 = performance.now();
    placed = placeTasks(requests, views, []).placements.length;
    best = Math.min(best, performance.now() - t0);
  }
  return { rate: requests.length / (best / 1000), placed };
}

/** How long a run may take to settle after every task is bound. */
const QUIET_DEADLINE_MS = 60_000;

/**
 * Waits until the store's revision stays the same for a second; `ms`: from `t0` to the last write
 * seen (undefined past the deadline), with the CPU time of each of `pids` then.
 */
async function storeQuiet(client: Client, t0: number, deadlineMs: number, pids: number[]): Promise<{ ms?: number; revision: number; cpu: Map<number, number> }> {
  const revisionNow = async () => (await client.services.list({ limit: 1 })).metadata.revision;
  const start = performance.now();
  let last = await revisionNow();
  let lastAt = performance.now();
  const cpu = new Map<number, number>();
  const snapshot = () => {
    for (const pid of pids) cpu.set(pid, cpuSeconds(pid));
  };
  snapshot();
  while (performance.now() - lastAt < 1_000) {
    if (performance.now() - start > deadlineMs) return { revision: last, cpu };
    await new Promise((r) => setTimeout(r, 100));
    const now = await revisionNow();
    if (now !== last) {
      last = now;
      lastAt = performance.now();
      snapshot();
    }
  }
  return { ms: lastAt - t0, revision: last, cpu };
}

async function one(scale: Scale, quick: boolean): Promise<Row[]> {
  const label = `${scale.machines.toLocaleString('en-US')} machines / ${scale.tasks.toLocaleString('en-US')} tasks`;
  const list = services(scale.tasks);
  const pure = pureScheduler(scale.machines, list);
  const server = await startServerChild({ controllers: true, machineGraceSeconds: 60 });
  const t0reg = performance.now();
  const fleet = startHollowFleet({ server: server.url, machines: scale.machines, processes: 1 });
  // Registration is not what is measured, but a slow one must not eat the run: after its
  // deadline the submit starts anyway (machines still registering join as they come).
  const registerDeadlineMs = quick ? 10_000 : 40_000;
  let registerTimer: NodeJS.Timeout | undefined;
  const registered = await Promise.race([fleet.registered.then(() => true), new Promise<false>((r) => (registerTimer = setTimeout(() => r(false), registerDeadlineMs)))]);
  clearTimeout(registerTimer); // a pending timer would hold the run open after the last benchmark
  const registerMs = performance.now() - t0reg;
  const registerNote = registered ? '' : ` (registration of ${scale.machines} unfinished after ${registerDeadlineMs / 1000} s)`;
  try {
    const client = new Client({ server: server.url });
    // CPU each process spends on the run: on 2 cores the server, the fleet and this process share them.
    const processes = { server: server.child.pid!, fleet: fleet.pids[0]!, bench: process.pid };
    const cpu0 = Object.fromEntries(Object.entries(processes).map(([k, pid]) => [k, cpuSeconds(pid)]));
    const t0 = performance.now();
    const late = () => performance.now() - t0 >= scale.deadlineMs;
    let next = 0;
    let submitted = 0;
    await Promise.all(
      Array.from({ length: SUBMITTERS }, async () => {
        while (next < list.length && !late()) {
          const svc = list[next++]!;
          // A starved server times requests out: retry until the deadline, then report what was bound.
          for (;;) {
            try {
              await client.services.replace(svc);
              submitted++;
              break;
            } catch (err) {
              if (late()) break;
              console.error(`schedule: PUT service ${svc.metadata.name} failed (${String(err)}); retrying`);
            }
          }
        }
      }),
    );
    const submitMs = performance.now() - t0;
    await until(() => fleet.started() >= scale.tasks || late(), scale.deadlineMs + 1_000, 'the deadline', 5);
    const ms = performance.now() - t0;
    const cpu = Object.entries(processes)
      .map(([k, pid]) => `${k} ${(cpuSeconds(pid) - cpu0[k]!).toFixed(1)} s`)
      .join(', ');
    const bound = fleet.started();
    const rate = Math.min(bound, scale.tasks) / (ms / 1000);
    const partial = bound < scale.tasks ? ` (only ${bound.toLocaleString('en-US')} bound after ${scale.deadlineMs / 1000} s)` : '';
    const revision = (await client.services.list({ limit: 1 }).catch(() => undefined))?.metadata.revision ?? NaN;
    // What binding left to do (agents' status reports, events): the run settles when the store is quiet.
    const quiet = await storeQuiet(client, t0, QUIET_DEADLINE_MS, Object.values(processes));
    const settleCpu = Object.entries(processes)
      .map(([k, pid]) => `${k} ${(quiet.cpu.get(pid)! - cpu0[k]!).toFixed(1)} s`)
      .join(', ');
    // The peak over the whole run, settling included.
    const rssMiB = server.peakRssBytes() / 2 ** 20;
    // Machines judged lost during the run (their heartbeats late) make the run replace tasks.
    const notReady = (await client.machines.list({ fieldSelector: 'status.ready=False' }).catch(() => undefined))?.items.length ?? NaN;
    console.error(
      `schedule ${label}: ${registered ? 'registered' : 'NOT all registered'} in ${Math.round(registerMs)} ms, ` +
        `${submitted} of ${list.length} services submitted in ${Math.round(submitMs)} ms, ${bound} bound in ${Math.round(ms)} ms (CPU: ${cpu}); ` +
        `pure scheduler ${Math.round(pure.rate)}/s (${pure.placed} placed); store revision ${revision} (${(revision / scale.tasks).toFixed(1)} writes per task), ${notReady} machines NotReady; ` +
        `store quiet ${quiet.ms === undefined ? `not within ${QUIET_DEADLINE_MS / 1000} s` : `${Math.round(quiet.ms)} ms`} after the first submit (CPU by then: ${settleCpu}), revision ${quiet.revision}`,
    );
    return [
      {
        benchmark: 'schedule',
        metric: `${label}: placements/s (submit → all bound)${partial}${registerNote}`,
        value: rate,
        unit: 'tasks/s',
        baseline: { name: 'pure scheduler, same machines and tasks', value: pure.rate },
        ratio: rate / pure.rate,
        target: '≥ 10,000',
        met: rate >= 10_000,
      },
      {
        benchmark: 'schedule',
        metric: `${label}: submit → store quiet (every status report and event written)${quiet.ms === undefined ? `: not within ${QUIET_DEADLINE_MS / 1000} s` : ''}`,
        value: quiet.ms ?? NaN,
        unit: 'ms',
      },
      { benchmark: 'schedule', metric: `${label}: server peak RSS`, value: rssMiB, unit: 'MiB', target: '≤ 1,024 MiB', met: rssMiB <= 1024 },
    ];
  } finally {
    await fleet.close();
    await server.close();
  }
}

export async function schedule({ quick }: { quick: boolean }): Promise<Row[]> {
  // BENCH_SCHEDULE_SCALES=machines/tasks,…: other scales (profiling one of them, say).
  const custom = process.env.BENCH_SCHEDULE_SCALES?.split(',').map((s): Scale => {
    const [machines, tasks] = s.split('/').map(Number);
    return { machines: machines!, tasks: tasks!, deadlineMs: 60_000 };
  });
  const scales: Scale[] =
    custom ??
    (quick
      ? [{ machines: 200, tasks: 4_000, deadlineMs: 8_000 }]
      : [
          // Deadlines keep the whole schedule benchmark near 3 minutes (registration included).
          { machines: 500, tasks: 10_000, deadlineMs: 15_000 },
          { machines: 2_000, tasks: 40_000, deadlineMs: 25_000 },
          { machines: 5_000, tasks: 100_000, deadlineMs: 45_000 },
        ]);
  const rows: Row[] = [];
  for (const s of scales) rows.push(...(await one(s, quick)));
  return rows;
}
