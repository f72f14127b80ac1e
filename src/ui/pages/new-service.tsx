// A service from YAML, as `drover apply -f` would send it: the server validates it and its
// refusal names each bad field, shown here beside the document.
import { useState } from 'preact/hooks';
import { parse } from 'yaml';
import type { ApiError } from '../../errors.js';
import type { Service } from '../../model/service.js';
import { useCluster } from '../cluster.js';
import { ErrorMessage, FieldErrors } from '../components.js';
import { href } from '../route.js';
import { useErrorLines, YamlEditor } from '../yaml-editor.js';

const EXAMPLE = `apiVersion: drover/v1
kind: Service
metadata:
  name: web
  namespace: default
spec:
  replicas: 2
  template:
    command: [python3, -m, http.server, "0"]
    resources: {cpu: 100m, memory: 64Mi}
`;

export function NewServicePage() {
  const { api } = useCluster();
  const [text, setText] = useState(EXAMPLE);
  const [error, setError] = useState<ApiError | Error>();
  const [busy, setBusy] = useState(false);
  const errorLines = useErrorLines(text, error);

  const create = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      // Only to know where to send it: the server reads the document itself.
      const namespace = (parse(text) as { metadata?: { namespace?: string } } | null)?.metadata?.namespace ?? 'default';
      const created = await api.request<Service>('POST', `/api/v1/namespaces/${encodeURIComponent(namespace)}/services`, text, 'application/yaml');
      location.hash = href('service', created.metadata.namespace ?? namespace, created.metadata.name);
    } catch (err) {
      setError(err as ApiError);
      setBusy(false);
    }
  };

  return (
    <>
      <h1>New service</h1>
      <form class="editor" onSubmit={create} aria-label="new service">
        <YamlEditor label="Service (YAML)" rows={18} text={text} onInput={setText} error={error} lines={errorLines} />
        {error ? <ErrorMessage error={error} /> : null}
        <FieldErrors error={error} lines={errorLines} />
        <button type="submit" disabled={busy}>
          Create
        </button>
      </form>
    </>
  );
}
