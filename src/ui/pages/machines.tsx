// The machines: ready or not, labels, allocated of allocatable, their tasks; and, for those the
// server allows, cordon, uncordon, drain (a Drain operation, its progress as the API reports it,
// as `drover drain` shows it) and label edits, through the same API as the CLI (src/cli/machines.ts).
import { useState } from 'preact/hooks';
import type { ApiError } from '../../errors.js';
import { isMachineReady, MAINTENANCE_CONDITION, type Machine } from '../../model/machine.js';
import type { Operation } from '../../model/operation.js';
import { formatBytes, formatCpuMilli, parseBytes, parseCpuMilli, resourceRequest } from '../../model/quantity.js';
import type { Task } from '../../model/task.js';
import { objectPath } from '../api.js';
import { useCluster, useMay } from '../cluster.js';
import { ErrorMessage, Pending, Phase } from '../components.js';
import { useLive } from '../live.js';
import { href } from '../route.js';
import { RecentEvents } from './events.js';

/** Tasks that hold their machine's resources: placed and not finished. */
const HOLDS_RESOURCES = new Set(['Scheduled', 'Starting', 'Running']);

/** The tasks placed on `machine` that hold its resources. */
export function tasksHolding(machine: string, tasks: Task[]): Task[] {
  return tasks.filter((t) => t.spec.machine === machine && HOLDS_RESOURCES.has(t.status?.phase ?? ''));
}

/** "used / allocatable" of CPU and memory, as the overview and the machine pages show them. */
export function allocationText(m: Machine, on: Task[]): { cpu: string; memory: string } {
  const used = on.map((t) => resourceRequest(t.spec.template?.resources)).reduce((a, r) => ({ cpuMilli: a.cpuMilli + r.cpuMilli, memoryBytes: a.memoryBytes + r.memoryBytes }), { cpuMilli: 0, memoryBytes: 0 });
  const alloc = m.status?.allocatable ?? m.status?.capacity;
  return {
    cpu: `${formatCpuMilli(used.cpuMilli)} / ${alloc?.cpu === undefined ? '?' : formatCpuMilli(parseCpuMilli(alloc.cpu))}`,
    memory: `${formatBytes(used.memoryBytes)} / ${alloc?.memory === undefined ? '?' : formatBytes(parseBytes(alloc.memory))}`,
  };
}

export function MachineStatus({ machine }: { machine: Machine }) {
  return (
    <>
      {isMachineReady(machine) ? <span class="phase running">Ready</span> : <span class="phase failed">NotReady</span>}
      {machine.spec?.unschedulable ? <span class="phase pending"> SchedulingDisabled</span> : null}
      {machine.status?.conditions?.some((c) => c.type === MAINTENANCE_CONDITION && c.status === 'True') ? (
        <span class="phase pending" title={machine.spec?.maintenance?.reason ?? ''}>
          {' '}
          Maintenance{machine.spec?.maintenance?.end ? ` until ${new Date(machine.spec.maintenance.end).toLocaleString()}` : ''}
        </span>
      ) : null}
    </>
  );
}

function labelText(m: Machine): string {
  return Object.entries(m.metadata.labels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
}

export function MachinesPage() {
  const cluster = useCluster();
  const machines = useLive(cluster.machines);
  const tasks = useLive(cluster.tasks);
  const taskList = [...(tasks?.items.values() ?? [])];
  return (
    <>
      <h1>Machines</h1>
      {machines?.state === 'live' || machines?.items.size ? (
        <table data-testid="machines">
          <thead>
            <tr>
              <th>Name</th>
              <th>Status</th>
              <th>Labels</th>
              <th>CPU allocated / allocatable</th>
              <th>Memory allocated / allocatable</th>
              <th>Tasks</th>
            </tr>
          </thead>
          <tbody>
            {[...machines.items.values()]
              .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))
              .map((m) => {
                const on = tasksHolding(m.metadata.name, taskList);
                const allocation = allocationText(m, on);
                return (
                  <tr key={m.metadata.name} data-machine={m.metadata.name}>
                    <td title={m.metadata.name}>
                      <a href={machineHref(m.metadata.name)}>{m.status?.hostname ?? m.metadata.name.slice(0, 12)}</a>
                    </td>
                    <td class="status">
                      <MachineStatus machine={m} />
                    </td>
                    <td>{labelText(m)}</td>
                    <td>{allocation.cpu}</td>
                    <td>{allocation.memory}</td>
                    <td class="task-count">{on.length}</td>
                  </tr>
                );
              })}
          </tbody>
        </table>
      ) : (
        <Pending snapshot={machines} what="machines" />
      )}
    </>
  );
}

export function machineHref(name: string): string {
  return `#/machines/${encodeURIComponent(name)}`;
}

export function MachinePage({ name }: { name: string }) {
  const cluster = useCluster();
  const machines = useLive(cluster.machines);
  const tasks = useLive(cluster.tasks);
  const mayPatch = useMay('patch', 'machines', undefined);
  const mayDrain = useMay('create', 'operations', undefined);
  const machine = machines?.items.get(name);
  if (!machine) {
    return (
      <>
        <h1>{name}</h1>
        {machines?.state === 'live' ? <ErrorMessage message={`machine "${name}" not found`} /> : <Pending snapshot={machines} what="machines" />}
      </>
    );
  }
  const on = [...(tasks?.items.values() ?? [])].filter((t) => t.spec.machine === name);
  const allocation = allocationText(machine, tasksHolding(name, on));
  return (
    <>
      <h1>
        {machine.status?.hostname ?? name.slice(0, 12)} <span class="muted">machine {name}</span>
      </h1>
      <dl class="facts">
        <dt>Status</dt>
        <dd data-testid="machine-status">
          <MachineStatus machine={machine} />
        </dd>
        <dt>Address</dt>
        <dd>{machine.status?.address ?? '—'}</dd>
        <dt>CPU allocated / allocatable</dt>
        <dd>{allocation.cpu}</dd>
        <dt>Memory allocated / allocatable</dt>
        <dd>{allocation.memory}</dd>
      </dl>
      <div class="actions" data-testid="actions" aria-busy={mayPatch === undefined || mayDrain === undefined}>
        {mayPatch ? <CordonButton machine={machine} /> : null}
        {mayDrain ? <DrainControl name={name} /> : null}
      </div>
      <section aria-labelledby="labels-h">
        <h2 id="labels-h">Labels</h2>
        <Labels machine={machine} mayEdit={mayPatch === true} />
      </section>
      <section aria-labelledby="tasks-h">
        <h2 id="tasks-h">Tasks</h2>
        {on.length ? (
          <ul class="tasks" data-testid="machine-tasks">
            {on.map((t) => (
              <li key={`${t.metadata.namespace}/${t.metadata.name}`} data-task={t.metadata.name}>
                <a href={href('task', t.metadata.namespace, t.metadata.name)}>{t.metadata.name}</a> <Phase phase={t.status?.phase} />
              </li>
            ))}
          </ul>
        ) : (
          <p class="muted">no tasks</p>
        )}
      </section>
      <RecentEvents kind="Machine" name={name} />
    </>
  );
}

/** A PATCH of the machine with an answer shown beside the control: the API's error, or nothing. */
function usePatch(machine: Machine) {
  const { api } = useCluster();
  const [error, setError] = useState<ApiError | Error>();
  const [busy, setBusy] = useState(false);
  const patch = async (body: unknown, ifMatch?: number) => {
    setBusy(true);
    setError(undefined);
    try {
      await api.request('PATCH', objectPath('machines', undefined, machine.metadata.name), body, 'application/merge-patch+json', ifMatch);
      return true;
    } catch (err) {
      setError(err as ApiError);
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { patch, error, busy };
}

function CordonButton({ machine }: { machine: Machine }) {
  const { patch, error, busy } = usePatch(machine);
  const isCordoned = machine.spec?.unschedulable === true;
  return (
    <>
      <button type="button" disabled={busy} onClick={() => void patch({ spec: { unschedulable: isCordoned ? null : true } })}>
        {isCordoned ? 'Uncordon' : 'Cordon'}
      </button>
      {error ? <ErrorMessage error={error} /> : null}
    </>
  );
}

function DrainControl({ name }: { name: string }) {
  const { api } = useCluster();
  const [operation, setOperation] = useState<Operation>();
  const [error, setError] = useState<ApiError | Error>();
  const isRunning = operation !== undefined && operation.status?.phase !== 'Succeeded' && operation.status?.phase !== 'Failed';
  const drain = async () => {
    setError(undefined);
    try {
      // The server does the work (cordon, then move the service tasks); this follows it, as
      // `drover drain` does: each GET waits up to a second for the operation to finish.
      let op = await api.request<Operation>('POST', '/api/v1/operations', { spec: { type: 'Drain', target: { kind: 'Machine', name }, params: { force: false, timeoutSeconds: 120 } } });
      setOperation(op);
      while (op.status?.phase !== 'Succeeded' && op.status?.phase !== 'Failed') {
        op = await api.request<Operation>('GET', `/api/v1/operations/${encodeURIComponent(op.metadata.name)}?wait=1s`);
        setOperation(op);
      }
    } catch (err) {
      setError(err as ApiError);
    }
  };
  const result = (operation?.status?.result ?? {}) as { kept?: string[] };
  return (
    <>
      <button type="button" disabled={isRunning} onClick={() => void drain()}>
        Drain
      </button>
      {operation ? (
        <p role="status" data-testid="drain-progress">
          {`drain (operation/${operation.metadata.name}): ${operation.status?.phase ?? 'Pending'}`}
          {operation.status?.progress?.message ? `: ${operation.status.progress.message}` : ''}
          {result.kept?.length ? `; ${result.kept.length} one-off task(s) left (drover drain --force deletes them)` : ''}
          {operation.status?.error ? `: ${operation.status.error}` : ''}
        </p>
      ) : null}
      {error ? <ErrorMessage error={error} /> : null}
    </>
  );
}

function Labels({ machine, mayEdit }: { machine: Machine; mayEdit: boolean }) {
  const { patch, error, busy } = usePatch(machine);
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  const labels = Object.entries(machine.metadata.labels ?? {});
  // With the revision read: a label someone else changed meanwhile is not overwritten blindly (412).
  const change = (k: string, v: string | null) => patch({ metadata: { labels: { [k]: v } } }, machine.metadata.revision);
  return (
    <>
      {labels.length ? (
        <ul data-testid="labels">
          {labels.map(([k, v]) => (
            <li key={k} data-label={k}>
              <code>
                {k}={v}
              </code>{' '}
              {mayEdit ? (
                <button type="button" disabled={busy} aria-label={`remove label ${k}`} onClick={() => void change(k, null)}>
                  Remove
                </button>
              ) : null}
            </li>
          ))}
        </ul>
      ) : (
        <p class="muted">no labels</p>
      )}
      {mayEdit ? (
        <form
          class="inline"
          aria-label="add a label"
          onSubmit={(e) => {
            e.preventDefault();
            void change(key.trim(), value).then((isDone) => {
              if (isDone) {
                setKey('');
                setValue('');
              }
            });
          }}
        >
          <label>
            Key <input name="label-key" value={key} onInput={(e) => setKey(e.currentTarget.value)} required />
          </label>
          <label>
            Value <input name="label-value" value={value} onInput={(e) => setValue(e.currentTarget.value)} />
          </label>
          <button type="submit" disabled={busy}>
            Add label
          </button>
        </form>
      ) : null}
      {error ? <ErrorMessage error={error} /> : null}
    </>
  );
}
