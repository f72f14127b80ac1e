// The cluster at a glance: machines (ready or not, capacity and what is allocated, tasks),
// services (ready of desired) and tasks by phase.
import type { Machine } from '../../model/machine.js';
import type { Task } from '../../model/task.js';
import { isMachineReady } from '../../model/machine.js';
import { useCluster } from '../cluster.js';
import { Pending, Phase } from '../components.js';
import { useLive } from '../live.js';
import { href } from '../route.js';
import { allocationText, machineHref, MachineStatus, tasksHolding } from './machines.js';
import { ServiceRows } from './services.js';

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
              const on = tasksHolding(m.metadata.name, tasks);
              const allocation = allocationText(m, on);
              return (
                <tr key={m.metadata.name}>
                  <td title={m.metadata.name}>
                    <a href={machineHref(m.metadata.name)}>{m.status?.hostname ?? m.metadata.name.slice(0, 12)}</a>
                  </td>
                  <td>
                    <MachineStatus machine={m} />
                  </td>
                  <td>{allocation.cpu}</td>
                  <td>{allocation.memory}</td>
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

