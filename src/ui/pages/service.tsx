// One service: ready of desired, its tasks, its template as YAML, its conditions, its rollout
// history; scale and roll back for those who may patch services, edit its YAML for those who may
// update them.
import { useState } from 'preact/hooks';
import { stringify } from 'yaml';
import type { ApiError } from '../../errors.js';
import type { Service } from '../../model/service.js';
import { isTerminal, type Task } from '../../model/task.js';
import { objectPath } from '../api.js';
import { useCluster, useMay } from '../cluster.js';
import { ErrorMessage, Pending, Phase } from '../components.js';
import { useLive } from '../live.js';
import { href } from '../route.js';
import { RecentEvents } from './events.js';
import { RestartButton } from './service-restart.js';
import { ServiceEditor, TemplateHistory } from './service-template.js';
import { desiredOf } from './services.js';

export function ServicePage({ namespace, name }: { namespace: string; name: string }) {
  const cluster = useCluster();
  const services = useLive(cluster.services);
  const tasks = useLive(cluster.tasks);
  const mayScale = useMay('patch', 'services', namespace);
  const mayUpdate = useMay('update', 'services', namespace);
  const service = services?.items.get(`${namespace}/${name}`);
  if (!service) {
    return (
      <>
        <h1>{name}</h1>
        {services?.state === 'live' ? <ErrorMessage message={`service "${name}" not found in namespace "${namespace}"`} /> : <Pending snapshot={services} what="services" />}
      </>
    );
  }
  const own = [...(tasks?.items.values() ?? [])].filter((t) => t.metadata.ownerReferences?.some((r) => r.uid === service.metadata.uid));
  return (
    <>
      <h1>
        {name} <span class="muted">service in {namespace}</span>
      </h1>
      <p>
        Ready <strong data-testid="ready">{service.status?.readyReplicas ?? 0}</strong> of <strong data-testid="desired">{desiredOf(service)}</strong>
        {service.spec.global ? ' (global: one per eligible machine)' : ''}
      </p>
      <div class="actions" data-testid="actions" aria-busy={mayScale === undefined || mayUpdate === undefined}>
        {mayScale && !service.spec.global ? <ScaleForm service={service} /> : null}
        {mayScale ? <RestartButton service={service} taskCount={own.filter((t) => !isTerminal(t)).length} /> : null}
      </div>
      <section aria-labelledby="tasks-h">
        <h2 id="tasks-h">Tasks</h2>
        {tasks?.state === 'live' || tasks?.items.size ? <TaskTable tasks={own} /> : <Pending snapshot={tasks} what="tasks" />}
      </section>
      <section aria-labelledby="conditions-h">
        <h2 id="conditions-h">Conditions</h2>
        {service.status?.conditions?.length ? (
          <ul>
            {service.status.conditions.map((c) => (
              <li key={c.type}>
                <strong>{c.type}</strong> {c.status}
                {c.reason ? ` (${c.reason})` : ''}
                {c.message ? `: ${c.message}` : ''}
              </li>
            ))}
          </ul>
        ) : (
          <p class="muted">none reported</p>
        )}
      </section>
      <section aria-labelledby="template-h">
        <h2 id="template-h">Template</h2>
        <pre class="yaml" data-testid="template">
          {stringify(service.spec.template)}
        </pre>
        {mayUpdate ? <ServiceEditor service={service} /> : null}
      </section>
      <section aria-labelledby="history-h">
        <h2 id="history-h">Rollout history</h2>
        <TemplateHistory service={service} tasks={own} mayPatch={mayScale === true} />
      </section>
      <RecentEvents kind="Service" name={name} namespace={namespace} />
    </>
  );
}

function ScaleForm({ service }: { service: Service }) {
  const cluster = useCluster();
  const [replicas, setReplicas] = useState(String(service.spec.replicas ?? 0));
  const [error, setError] = useState<ApiError | Error>();
  const [busy, setBusy] = useState(false);
  const scale = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const path = objectPath('services', service.metadata.namespace, service.metadata.name);
      await cluster.api.request('PATCH', path, { spec: { replicas: Number(replicas) } }, 'application/merge-patch+json');
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="inline" onSubmit={scale} aria-label="scale">
      <label>
        Replicas <input name="replicas" type="number" min="0" value={replicas} onInput={(e) => setReplicas(e.currentTarget.value)} />
      </label>
      <button type="submit" disabled={busy}>
        Scale
      </button>
      {error ? <ErrorMessage error={error} /> : null}
    </form>
  );
}

function TaskTable({ tasks }: { tasks: Task[] }) {
  if (tasks.length === 0) return <p class="muted">no tasks</p>;
  return (
    <table data-testid="tasks">
      <thead>
        <tr>
          <th>Name</th>
          <th>Phase</th>
          <th>Machine</th>
          <th>Restarts</th>
          <th>Exit code</th>
        </tr>
      </thead>
      <tbody>
        {tasks
          .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))
          .map((t) => (
            <tr key={t.metadata.name} data-task={t.metadata.name}>
              <td>
                <a href={href('task', t.metadata.namespace, t.metadata.name)}>{t.metadata.name}</a>
              </td>
              <td>
                <Phase phase={t.status?.phase} />
              </td>
              <td title={t.spec.machine}>{t.spec.machine?.slice(0, 12) ?? '—'}</td>
              <td>{t.status?.restarts ?? 0}</td>
              <td>{t.status?.exitCode ?? '—'}</td>
            </tr>
          ))}
      </tbody>
    </table>
  );
}
