// The cluster at a glance: machines (ready or not, capacity and what is allocated, tasks),
// services (ready of desired) and tasks by phase.
import type { Machine } from '../../model/machine.js';
import type { Task } from '../../model/task.js';
import { isMachineReady } from '../../model/machine.js';
import { formatBytes, formatCpuMilli, parseBytes, parseCpuMilli, resourceRequest } from '../../model/quantity.js';
import { useCluster } from '../cluster.js';
import { Pending, Phase } from '../components.js';
import { useLive } from '../live.js';
import { href } from '../route.js';
import { ServiceRows } from './services.js';

/** Tasks that hold their machine's resources: placed and not finished. */
const HOLDS_RESOURCES = new Set(['Scheduled', 'Starting', 'Running']);

export function OverviewPage() {
  const cluster = useCluster();
  const machines = useLive(cluster.machines);
  const services = useLive(cluster.services);
  const tasks = useLive(cluster.tasks);
  const taskList = [...(tasks?.items.values() ?? [])];
  return (
    <>
      <h1>Overview</h1>
      <section aria-labelledby="machines-h">
        <h2 id="machines-h">Machines</h2>
        {machines?.state === 'live' || machines?.items.size ? <MachineTable machines={[...machines.items.values()]} tasks={taskList} /> : <Pending snapshot={machines} what="machines" />}
      </section>
      <section aria-labelledby="services-h">
        <h2 id="services-h">Services</h2>
        {services?.state === 'live' || services?.items.size ? <ServiceRows services={[...services.items.values()]} /> : <Pending snapshot={services} what="services" />}
      </section>
      <section aria-labelledby="tasks-h">
        <h2 id="tasks-h">Tasks</h2>
        {tasks?.state === 'live' || tasks?.items.size ? <TaskSummary tasks={taskList} /> : <Pending snapshot={tasks} what="tasks" />}
      </section>
    </>
  );
}

function MachineTable({ machines, tasks }: { machines: Machine[]; tasks: Task[] }) {
  const ready = machines.filter((m) => isMachineReady(m)).length;
  return (
    <>
      <p data-testid="machines-ready">
        {ready} of {machines.length} ready
      </p>
      <table>
        <thead>
          <tr>
            <th>Name</th>
            <th>Status</th>
            <th>CPU allocated / allocatable</th>
            <th>Memory allocated / allocatable</th>
            <th>Tasks</th>
          </tr>
        </thead>
        <tbody>
          {machines
            .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))
            .map((m) => {
              const on = tasks.filter((t) => t.spec.machine === m.metadata.name && HOLDS_RESOURCES.has(t.status?.phase ?? ''));
              const used = on.map((t) => resourceRequest(t.spec.template?.resources)).reduce((a, r) => ({ cpuMilli: a.cpuMilli + r.cpuMilli, memoryBytes: a.memoryBytes + r.memoryBytes }), { cpuMilli: 0, memoryBytes: 0 });
              const alloc = m.status?.allocatable ?? m.status?.capacity;
              return (
                <tr key={m.metadata.name}>
                  <td title={m.metadata.name}>{m.status?.hostname ?? m.metadata.name.slice(0, 12)}</td>
                  <td>{isMachineReady(m) ? <span class="phase running">Ready</span> : <span class="phase failed">NotReady</span>}</td>
                  <td>
                    {formatCpuMilli(used.cpuMilli)} / {alloc?.cpu === undefined ? '?' : formatCpuMilli(parseCpuMilli(alloc.cpu))}
                  </td>
                  <td>
                    {formatBytes(used.memoryBytes)} / {alloc?.memory === undefined ? '?' : formatBytes(parseBytes(alloc.memory))}
                  </td>
                  <td>{on.length}</td>
                </tr>
              );
            })}
        </tbody>
      </table>
    </>
  );
}

function TaskSummary({ tasks }: { tasks: Task[] }) {
  const byPhase = new Map<string, number>();
  for (const t of tasks) byPhase.set(t.status?.phase ?? 'Pending', (byPhase.get(t.status?.phase ?? 'Pending') ?? 0) + 1);
  const recent = [...tasks].sort((a, b) => (b.metadata.createdAt ?? '').localeCompare(a.metadata.createdAt ?? '')).slice(0, 20);
  return (
    <>
      <p data-testid="task-phases">
        {tasks.length === 0 ? 'no tasks' : [...byPhase].map(([phase, n]) => `${n} ${phase}`).join(', ')}
      </p>
      <ul class="tasks">
        {recent.map((t) => (
          <li key={`${t.metadata.namespace}/${t.metadata.name}`}>
            <a href={href('task', t.metadata.namespace, t.metadata.name)}>{t.metadata.name}</a> <Phase phase={t.status?.phase} />
          </li>
        ))}
      </ul>
    </>
  );
}

