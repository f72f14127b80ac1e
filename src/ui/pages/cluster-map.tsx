// The cluster at a glance: each machine a tile (ready, not ready or cordoned; CPU and memory
// allocated of allocatable) holding its tasks as small chips coloured by phase, live. Each chip is
// a link to its task's page, so the map is walked with Tab and opened with Enter.
import { isMachineReady, type Machine } from '../../model/machine.js';
import { formatBytes, formatCpuMilli, parseBytes, parseCpuMilli, resourceRequest } from '../../model/quantity.js';
import { TASK_PHASES, type Task } from '../../model/task.js';
import { useCluster } from '../cluster.js';
import { Pending } from '../components.js';
import { useLive } from '../live.js';
import { href } from '../route.js';
import { machineHref, tasksHolding } from './machines.js';

function machineState(m: Machine): { text: string; css: string } {
  if (!isMachineReady(m)) return { text: 'not ready', css: 'failed' };
  if (m.spec?.unschedulable) return { text: 'cordoned', css: 'pending' };
  return { text: 'ready', css: 'running' };
}

/** A bar of used of available, with the numbers as text (the bar is decoration). */
function Usage({ label, used, total, format }: { label: string; used: number; total: number | undefined; format: (n: number) => string }) {
  const share = total ? Math.min(1, used / total) : 0;
  return (
    <div class="usage">
      <span>
        {label} {format(used)} / {total === undefined ? '?' : format(total)}
      </span>
      <span class="bar" aria-hidden="true">
        <span style={{ width: `${Math.round(share * 100)}%` }} class={share > 0.9 ? 'full' : undefined} />
      </span>
    </div>
  );
}

function Chip({ task }: { task: Task }) {
  const phase = task.status?.phase ?? 'Pending';
  const name = task.metadata.name;
  return (
    <li>
      <a class={`chip ${phase.toLowerCase()}`} href={href('task', task.metadata.namespace, name)} data-task={name} data-phase={phase} title={`${name}: ${phase}`} aria-label={`task ${name}, ${phase}`}>
        {name}
      </a>
    </li>
  );
}

function Tile({ machine, tasks }: { machine: Machine; tasks: Task[] }) {
  const name = machine.metadata.name;
  const state = machineState(machine);
  const used = tasksHolding(name, tasks)
    .map((t) => resourceRequest(t.spec.template?.resources))
    .reduce((a, r) => ({ cpuMilli: a.cpuMilli + r.cpuMilli, memoryBytes: a.memoryBytes + r.memoryBytes }), { cpuMilli: 0, memoryBytes: 0 });
  const alloc = machine.status?.allocatable ?? machine.status?.capacity;
  const label = machine.status?.hostname ?? name.slice(0, 12);
  return (
    <section class={`tile ${state.css}`} data-machine={name} aria-label={`machine ${label}, ${state.text}`}>
      <h2>
        <a href={machineHref(name)} title={name}>
          {label}
        </a>{' '}
        <span class={`phase ${state.css}`} data-testid="machine-state">
          {state.text}
        </span>
      </h2>
      <Usage label="CPU" used={used.cpuMilli} total={alloc?.cpu === undefined ? undefined : parseCpuMilli(alloc.cpu)} format={formatCpuMilli} />
      <Usage label="Memory" used={used.memoryBytes} total={alloc?.memory === undefined ? undefined : parseBytes(alloc.memory)} format={formatBytes} />
      {tasks.length ? (
        <ul class="chips" aria-label={`tasks on ${label}`}>
          {tasks.map((t) => (
            <Chip key={`${t.metadata.namespace}/${t.metadata.name}`} task={t} />
          ))}
        </ul>
      ) : (
        <p class="muted">no tasks</p>
      )}
    </section>
  );
}

export function ClusterMapPage() {
  const cluster = useCluster();
  const machines = useLive(cluster.machines);
  const tasks = useLive(cluster.tasks);
  const all = [...(tasks?.items.values() ?? [])].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  const unplaced = all.filter((t) => !t.spec.machine);
  return (
    <>
      <h1>Cluster map</h1>
      <ul class="legend" aria-label="task phases">
        {TASK_PHASES.map((p) => (
          <li key={p}>
            <span class={`chip ${p.toLowerCase()}`} aria-hidden="true" /> {p}
          </li>
        ))}
      </ul>
      {machines?.state === 'live' || machines?.items.size ? (
        <div class="tiles" data-testid="cluster-map">
          {[...machines.items.values()]
            .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))
            .map((m) => (
              <Tile key={m.metadata.name} machine={m} tasks={all.filter((t) => t.spec.machine === m.metadata.name)} />
            ))}
          {unplaced.length ? (
            <section class="tile" aria-label="tasks not placed yet" data-machine="">
              <h2>Not placed yet</h2>
              <ul class="chips">
                {unplaced.map((t) => (
                  <Chip key={`${t.metadata.namespace}/${t.metadata.name}`} task={t} />
                ))}
              </ul>
            </section>
          ) : null}
        </div>
      ) : (
        <Pending snapshot={machines} what="machines" />
      )}
    </>
  );
}
