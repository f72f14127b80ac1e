// A service's template over time and changing it: the history rows `drover rollout history`
// shows, a rollback as `drover rollout undo` does it, and the service's YAML edited and applied
// as `drover edit` does it (a PUT based on the revision that was read; the old template recorded
// for a rollback). The server validates the document; its refusal names each bad field.
import { useState } from 'preact/hooks';
import { stringify } from 'yaml';
import type { ApiError } from '../../errors.js';
import type { Service } from '../../model/service.js';
import type { Task } from '../../model/task.js';
import { historyRows, isSameTemplate, PREVIOUS_TEMPLATE_ANNOTATION, previousTemplate, type HistoryRow } from '../../model/template-history.js';
import { objectPath } from '../api.js';
import { useCluster } from '../cluster.js';
import { age, ErrorMessage, FieldErrors } from '../components.js';
import { useErrorLines, YamlEditor } from '../yaml-editor.js';

function tasksText(r: HistoryRow): string {
  const parts = [r.live ? `${r.live} live` : '', r.finished ? `${r.finished} finished` : ''].filter(Boolean);
  return parts.join(', ') || (r.isCurrent ? 'none yet' : 'none left');
}

export function TemplateHistory({ service, tasks, mayPatch }: { service: Service; tasks: Task[]; mayPatch: boolean }) {
  const { api } = useCluster();
  const [error, setError] = useState<ApiError | Error>();
  const [busy, setBusy] = useState(false);
  const rows = historyRows(service, tasks);
  const previous = previousTemplate(service);

  const rollback = async () => {
    if (!previous) return;
    setBusy(true);
    setError(undefined);
    try {
      // A JSON patch replaces the template whole (a merge patch would keep the fields added since),
      // and records the one it replaces, so a second rollback goes forward again; both in one
      // write, based on the revision shown.
      await api.request(
        'PATCH',
        objectPath('services', service.metadata.namespace, service.metadata.name),
        [
          { op: 'replace', path: '/spec/template', value: previous },
          { op: 'add', path: `/metadata/annotations/${PREVIOUS_TEMPLATE_ANNOTATION.replace(/~/g, '~0').replace(/\//g, '~1')}`, value: JSON.stringify(service.spec.template) },
        ],
        'application/json-patch+json',
        service.metadata.revision,
      );
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <table data-testid="history">
        <thead>
          <tr>
            <th>Template</th>
            <th>Tasks</th>
            <th>Since</th>
            <th>Note</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={`${r.hash}-${i}`} data-current={r.isCurrent ? 'true' : undefined} data-previous={r.isPrevious ? 'true' : undefined}>
              <td>
                <details>
                  <summary>
                    <code>{r.hash}</code>
                  </summary>
                  <pre class="yaml">{stringify(r.template)}</pre>
                </details>
              </td>
              <td>{tasksText(r)}</td>
              <td>{r.since ? age(r.since) : '—'}</td>
              <td>{r.isCurrent ? `current (generation ${service.metadata.generation})` : r.isPrevious ? 'previous: Roll back restores it' : ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {mayPatch && previous && !isSameTemplate(previous, service.spec.template) ? (
        <p>
          <button type="button" disabled={busy} onClick={() => void rollback()}>
            Roll back
          </button>
        </p>
      ) : null}
      {error ? <ErrorMessage error={error} /> : null}
    </>
  );
}

/** The service as one edits it: what the server keeps of it, without its status. */
function editableText(service: Service): string {
  const { apiVersion, kind, metadata, spec } = service;
  return stringify({ apiVersion, kind, metadata, spec });
}

export function ServiceEditor({ service }: { service: Service }) {
  const { api } = useCluster();
  // The document and the revision it was read at: a change made meanwhile is refused (412), not overwritten.
  const [base, setBase] = useState<Service>();
  const [text, setText] = useState('');
  const [error, setError] = useState<ApiError | Error>();
  const [busy, setBusy] = useState(false);
  const errorLines = useErrorLines(text, error);

  const open = () => {
    setBase(service);
    setText(editableText(service));
    setError(undefined);
  };

  const apply = async (e: Event) => {
    e.preventDefault();
    if (!base) return;
    setBusy(true);
    setError(undefined);
    try {
      const path = objectPath('services', base.metadata.namespace, base.metadata.name);
      const applied = await api.request<Service>('PUT', path, text, 'application/yaml', base.metadata.revision);
      // As `drover edit` does (rememberTemplate): the template it replaced, for a rollback. Not
      // based on the PUT's revision: the controller's status writes follow it at once.
      if (!isSameTemplate(base.spec.template, applied.spec.template)) {
        await api.request('PATCH', path, { metadata: { annotations: { [PREVIOUS_TEMPLATE_ANNOTATION]: JSON.stringify(base.spec.template) } } }, 'application/merge-patch+json');
      }
      setBase(undefined);
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };

  if (!base) {
    return (
      <button type="button" onClick={open}>
        Edit YAML
      </button>
    );
  }
  return (
    <form class="editor" onSubmit={apply} aria-label="edit service">
      <YamlEditor label={`Service (YAML, read at revision ${base.metadata.revision})`} rows={24} text={text} onInput={setText} error={error} lines={errorLines} />
      {error ? <ErrorMessage error={error} /> : null}
      <FieldErrors error={error} lines={errorLines} />
      <p class="actions">
        <button type="submit" disabled={busy}>
          Apply
        </button>{' '}
        <button type="button" disabled={busy} onClick={() => setBase(undefined)}>
          Cancel
        </button>
      </p>
    </form>
  );
}
