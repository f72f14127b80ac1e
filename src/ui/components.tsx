// Small pieces every page uses: the connection state, errors, phases, ages.
import type { ApiError } from '../errors.js';
import type { AnyObject } from '../model/meta.js';
import { useCluster } from './cluster.js';
import { useLive, type ConnectionState, type Snapshot } from './live.js';

const STATE_TEXT: Record<ConnectionState, string> = { connecting: 'connecting…', live: 'live', reconnecting: 'reconnecting…', failed: 'disconnected' };

/** The worst state of the streams the session watches: live only when all are. */
export function ConnectionBadge() {
  const cluster = useCluster();
  const snapshots = [useLive(cluster.machines), useLive(cluster.services), useLive(cluster.tasks)].filter((s): s is Snapshot<AnyObject> => s !== undefined);
  const order: ConnectionState[] = ['failed', 'reconnecting', 'connecting', 'live'];
  const worst = snapshots.map((s) => s.state).sort((a, b) => order.indexOf(a) - order.indexOf(b))[0] ?? 'live';
  const problem = snapshots.find((s) => s.state === worst)?.problem;
  return (
    <span class={`connection ${worst}`} data-testid="connection" role="status" title={problem}>
      {STATE_TEXT[worst]}
    </span>
  );
}

/** An error as a person reads it; a 403 says plainly that the user may not. */
export function ErrorMessage({ error, message }: { error?: ApiError | Error; message?: string }) {
  const reason = (error as ApiError | undefined)?.reason;
  const text = message ?? error?.message ?? 'something went wrong';
  return (
    <p class="error" role="alert" data-testid="error">
      {reason === 'Forbidden' ? <strong>Not allowed: </strong> : null}
      {text}
    </p>
  );
}

/** The server's refusal of a document, each bad field by its path (an Invalid answer's details), and its line when known. */
export function FieldErrors({ error, lines }: { error: ApiError | Error | undefined; lines?: ReadonlyMap<string, number> }) {
  const details = (error as ApiError | undefined)?.details ?? [];
  if (!details.length) return null;
  return (
    <ul class="field-errors" data-testid="field-errors">
      {details.map((d) => (
        <li key={d.path} data-path={d.path}>
          <code>{d.path}</code>: {d.message}
          {lines?.has(d.path) ? <span class="muted"> (line {lines.get(d.path)})</span> : null}
        </li>
      ))}
    </ul>
  );
}

/** What a live collection shows while it is not there yet or was refused. */
export function Pending({ snapshot, what }: { snapshot: Snapshot<AnyObject> | undefined; what: string }) {
  if (!snapshot) return <p class="muted">you may not see {what}</p>;
  if (snapshot.state === 'failed') return <ErrorMessage error={snapshot.error} message={snapshot.error ? undefined : `${what}: ${snapshot.problem}`} />;
  return <p class="muted">loading {what}…</p>;
}

export function Phase({ phase }: { phase: string | undefined }) {
  return <span class={`phase ${(phase ?? 'Pending').toLowerCase()}`}>{phase ?? 'Pending'}</span>;
}

export function age(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
}
