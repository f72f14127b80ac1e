// schedule: hollow machines (real agent code, no processes) and services of 1–100 replicas with
// constraints and resources; time from the first submit until every task is bound and has been
// seen by its machine's agent. The server runs in a child process so its peak RSS is its own.
import { createHollowAgents } from '../src/agent/hollow.js';
import { Client, type Service } from '../src/client/client.js';
import type { Row } from './report.js';
import { startServerChild, until } from './lib/util.js';

interface Scale {
  machines: number;
  tasks: number;
}

/** Deterministic services summing to `tasks` replicas: sizes 1–100, a third pinned to a zone, some with conflicts. */
function services(tasks: number): { metadata: { name: string }; spec: Service['spec'] }[] {
  const out: { metadata: { name: string }; spec: Service['spec'] }[] = [];
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

async function one(scale: Scale, deadlineMs: number): Promise<Row[]> {
  const server = await startServerChild({ controllers: true, machineGraceSeconds: 60 });
  let bound = 0;
  const t0reg = performance.now();
  // Registration is not what is measured, but a slow one must not eat the run: after the
  // deadline the submit starts anyway (machines still registering join as they come).
  const hollow = createHollowAgents({ server: server.url, count: scale.machines, heartbeatMs: 10_000, logLevel: 'error', onStart: () => bound++ });
  const starting = hollow.start();
  const registered = await Promise.race([starting.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), deadlineMs))]);
  const registerMs = performance.now() - t0reg;
  const registerNote = registered ? '' : ` (registration of ${scale.machines} unfinished after ${deadlineMs / 1000} s)`;
  try {
    const client = new Client({ server: server.url });
    const list = services(scale.tasks);
    const t0 = performance.now();
    let next = 0;
    let submitted = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < list.length && performance.now() - t0 < deadlineMs) {
          const svc = list[next++]!;
          // A starved server times requests out: retry until the deadline, then report what was bound.
          for (;;) {
            try {
              await client.services.replace(svc);
              submitted++;
              break;
            } catch (err) {
              if (performance.now() - t0 >= deadlineMs) break;
              console.error(`schedule: PUT service ${svc.metadata.name} failed (${String(err)}); retrying`);
            }
          }
        }
      }),
    );
    const submitMs = performance.now() - t0;
    // A deadline keeps a slow scheduler from eating the run's 10 minutes: the rate is then what
    // was bound by the deadline, and the row says so.
    await until(() => bound >= scale.tasks || performance.now() - t0 > deadlineMs, deadlineMs + 1_000, 'the deadline', 10);
    const ms = performance.now() - t0;
    const rate = Math.min(bound, scale.tasks) / (ms / 1000);
    const partial = bound < scale.tasks ? ` (only ${bound.toLocaleString('en-US')} bound after ${deadlineMs / 1000} s)` : '';
    const rssMiB = server.peakRssBytes() / 2 ** 20;
    const label = `${scale.machines.toLocaleString('en-US')} machines / ${scale.tasks.toLocaleString('en-US')} tasks`;
    console.error(`schedule ${label}: ${registered ? 'registered' : 'NOT all registered'} in ${Math.round(registerMs)} ms, ${submitted} of ${list.length} services submitted in ${Math.round(submitMs)} ms, ${bound} bound in ${Math.round(ms)} ms`);
    return [
      { benchmark: 'schedule', metric: `${label}: placements/s (submit → all bound)${partial}${registerNote}`, value: rate, unit: 'tasks/s', target: '≥ 10,000', met: rate >= 10_000 },
      { benchmark: 'schedule', metric: `${label}: server peak RSS`, value: rssMiB, unit: 'MiB', target: '≤ 1,024 MiB', met: rssMiB <= 1024 },
    ];
  } finally {
    await hollow.close();
    await starting.catch(() => {});
    await server.close();
  }
}

export async function schedule({ quick }: { quick: boolean }): Promise<Row[]> {
  const scales: Scale[] = quick
    ? [{ machines: 200, tasks: 4_000 }]
    : [
        { machines: 500, tasks: 10_000 },
        { machines: 2_000, tasks: 40_000 },
        { machines: 5_000, tasks: 100_000 },
      ];
  const rows: Row[] = [];
  for (const s of scales) rows.push(...(await one(s, quick ? 20_000 : 60_000)));
  return rows;
}
