// One task: its status (phase, exit code, restarts, machine) live, its log followed live, and a
// terminal beside it for those who may exec.
import { useState } from 'preact/hooks';
import type { ApiError } from '../../errors.js';
import type { Task } from '../../model/task.js';
import { objectPath } from '../api.js';
import { useCluster, useMay } from '../cluster.js';
import { age, ErrorMessage, Pending, Phase } from '../components.js';
import { useLive } from '../live.js';
import { href } from '../route.js';
import { RecentEvents } from './events.js';
import { TaskLog } from './task-log.js';
import { TaskTerminal } from './terminal.js';

export function TaskPage({ namespace, name }: { namespace: string; name: string }) {
  const cluster = useCluster();
  const tasks = useLive(cluster.tasks);
  const task = tasks?.items.get(`${namespace}/${name}`);
  const mayKill = useMay('create', 'tasks/kill', namespace);
  const mayExec = useMay('create', 'tasks/exec', namespace);
  if (!task) {
    return (
      <>
        <h1>{name}</h1>
        {tasks?.state === 'live' ? <ErrorMessage message={`task "${name}" not found in namespace "${namespace}"`} /> : <Pending snapshot={tasks} what="tasks" />}
      </>
    );
  }
  const owner = task.metadata.ownerReferences?.find((r) => r.kind === 'Service');
  const s = task.status ?? {};
  return (
    <>
      <h1>
        {name} <span class="muted">task in {namespace}</span>
      </h1>
      <dl class="facts">
        <dt>Phase</dt>
        <dd data-testid="phase">
          <Phase phase={s.phase} />
          {s.message ? ` ${s.message}` : ''}
        </dd>
        <dt>Exit code</dt>
        <dd data-testid="exit-code">{s.exitCode ?? '—'}</dd>
        <dt>Restarts</dt>
        <dd data-testid="restarts">{s.restarts ?? 0}</dd>
        <dt>Machine</dt>
        <dd>{task.spec.machine ?? 'not placed yet'}</dd>
        <dt>Started</dt>
        <dd>{s.startedAt ? `${age(s.startedAt)} ago` : '—'}</dd>
        {owner ? (
          <>
            <dt>Service</dt>
            <dd>
              <a href={href('service', namespace, owner.name)}>{owner.name}</a>
            </dd>
          </>
        ) : null}
      </dl>
      <div class="actions" data-testid="actions" aria-busy={mayKill === undefined || mayExec === undefined}>
        {mayKill && s.phase === 'Running' ? <KillButton task={task} /> : null}
      </div>
      {cluster.can('tasks', 'get') ? <TaskLog task={task} /> : null}
      {mayExec && s.phase === 'Running' ? <TaskTerminal task={task} /> : null}
      <RecentEvents kind="Task" name={name} namespace={namespace} />
    </>
  );
}

/** Stops the task's process (SIGTERM): its restart policy decides whether it runs again, and the restart is counted. */
function KillButton({ task }: { task: Task }) {
  const { api } = useCluster();
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const kill = () => {
    setBusy(true);
    setError(undefined);
    api
      .request('POST', objectPath('tasks', task.metadata.namespace, task.metadata.name, '/kill'), {})
      .catch((err: ApiError) => setError(err))
      .finally(() => setBusy(false));
  };
  return (
    <p>
      <button type="button" onClick={kill} disabled={busy} title="send SIGTERM; the restart policy decides whether it runs again">
        Kill
      </button>
      {error ? <ErrorMessage error={error} /> : null}
    </p>
  );
}
