// Restarting a service from its page, as `drover rollout restart` does it (the template annotation
// drover.io/restartedAt set to now): every task is replaced by the service's own update rules. It
// stops every process, so it asks first.
import { useState } from 'preact/hooks';
import type { ApiError } from '../../errors.js';
import { restartPatch } from '../../model/restart.js';
import type { Service } from '../../model/service.js';
import { objectPath } from '../api.js';
import { useCluster } from '../cluster.js';
import { ErrorMessage } from '../components.js';

export function RestartButton({ service, taskCount }: { service: Service; taskCount: number }) {
  const { api } = useCluster();
  const [isAsking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | Error>();

  const restart = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await api.request('PATCH', objectPath('services', service.metadata.namespace, service.metadata.name), restartPatch(), 'application/merge-patch+json');
      setAsking(false);
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };

  if (!isAsking) {
    return (
      <p>
        <button type="button" onClick={() => setAsking(true)}>
          Restart…
        </button>
      </p>
    );
  }
  return (
    <div class="confirm" role="group" aria-label="confirm restart" data-testid="confirm-restart">
      <p>
        Replace all {taskCount} task{taskCount === 1 ? '' : 's'} of <strong>{service.metadata.name}</strong>? Each stops and a new one starts, as the service's
        update rules allow{service.spec.update ? ` (maxUnavailable ${service.spec.update.maxUnavailable ?? 'default'}, maxSurge ${service.spec.update.maxSurge ?? 'default'})` : ''}.
      </p>
      <p>
        <button type="button" disabled={busy} onClick={() => void restart()}>
          Restart
        </button>{' '}
        <button type="button" disabled={busy} onClick={() => setAsking(false)} autoFocus>
          Cancel
        </button>
      </p>
      {error ? <ErrorMessage error={error} /> : null}
    </div>
  );
}
