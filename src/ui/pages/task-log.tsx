// A task's log on its page: followed live, one stream or both (the API's stream=stdout|stderr),
// narrowed to the lines that contain a search text (client-side, as lines arrive), and resumed
// where it stopped when the stream drops while the task still runs.
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../../errors.js';
import type { Task } from '../../model/task.js';
import { objectPath } from '../api.js';
import { useCluster } from '../cluster.js';
import { ErrorMessage } from '../components.js';
import { LogFollow, type LogLine } from '../log-lines.js';

/** Lines kept on the page: a chatty task must not exhaust the tab. */
const MAX_LINES = 5_000;
/** Wait before asking again after the stream dropped. */
const RESUME_MS = 1_000;

type StreamChoice = 'both' | 'stdout' | 'stderr';
type FollowState = 'waiting' | 'following' | 'resuming' | 'ended';

const STATE_TEXT: Record<FollowState, string> = {
  waiting: '(waiting for the task to start)',
  following: '(following)',
  resuming: '(stream dropped, resuming…)',
  ended: '(ended)',
};

export function TaskLog({ task }: { task: Task }) {
  const { api } = useCluster();
  const [lines, setLines] = useState<LogLine[]>([]);
  const [state, setState] = useState<FollowState>('waiting');
  const [error, setError] = useState<ApiError | Error>();
  const [attempt, setAttempt] = useState(0);
  const [stream, setStream] = useState<StreamChoice>('both');
  const [search, setSearch] = useState('');
  /** The requests the current follow made: a resume after a drop is one more. */
  const [follows, setFollows] = useState(0);
  const pre = useRef<HTMLPreElement>(null);
  // Whether the run is still on, as the live task says: a follow that ends before is resumed.
  const phase = useRef(task.status?.phase);
  phase.current = task.status?.phase;
  // A log exists once an agent started the task; a follow ends with the run, so each run (a
  // restart after a kill or a crash) is followed anew.
  const run = task.status?.startedAt;
  const path = objectPath('tasks', task.metadata.namespace, task.metadata.name, '/log');

  useEffect(() => {
    if (!run) return;
    const controller = new AbortController();
    const { signal } = controller;
    const follow = new LogFollow();
    setLines([]);
    setError(undefined);
    setFollows(0);
    (async () => {
      for (;;) {
        const since = follow.since();
        const q = new URLSearchParams({ follow: 'true', timestamps: 'true', ...(since ? { since } : { tail: '1000' }), ...(stream === 'both' ? {} : { stream }) });
        try {
          const res = await api.stream(`${path}?${q}`, signal);
          follow.resume();
          setFollows((n) => n + 1);
          setState('following');
          setError(undefined);
          const decoder = new TextDecoder();
          for await (const chunk of res.body! as unknown as AsyncIterable<Uint8Array>) {
            const fresh = follow.take(decoder.decode(chunk, { stream: true }));
            if (fresh.length) setLines((old) => [...old, ...fresh].slice(-MAX_LINES));
          }
        } catch (err) {
          if (signal.aborted) return;
          // An agent that cannot be reached for now is retried; any other refusal is final.
          if (err instanceof ApiError && err.reason !== 'Unavailable') throw err;
          setError(err as Error);
        }
        if (signal.aborted || phase.current !== 'Running') return;
        setState('resuming');
        await new Promise((r) => setTimeout(r, RESUME_MS));
        if (signal.aborted) return;
      }
    })().then(
      () => !signal.aborted && setState('ended'),
      (err: ApiError) => {
        if (signal.aborted) return;
        setError(err);
        setState('ended');
      },
    );
    return () => controller.abort();
  }, [run, path, attempt, stream]);

  const needle = search.trim().toLowerCase();
  const shown = needle ? lines.filter((l) => l.text.toLowerCase().includes(needle)) : lines;

  // Keep the newest line in view, as a terminal does.
  useEffect(() => {
    if (pre.current) pre.current.scrollTop = pre.current.scrollHeight;
  }, [shown.length]);

  return (
    <section aria-labelledby="log-h">
      <h2 id="log-h">
        Log <span class="muted" data-testid="log-state">{STATE_TEXT[state]}</span>
      </h2>
      <form class="inline log-tools" aria-label="log filter" onSubmit={(e) => e.preventDefault()}>
        <label>
          Stream
          <select name="stream" value={stream} onChange={(e) => setStream(e.currentTarget.value as StreamChoice)}>
            <option value="both">stdout and stderr</option>
            <option value="stdout">stdout</option>
            <option value="stderr">stderr</option>
          </select>
        </label>
        <label>
          Search
          <input name="search" type="search" value={search} onInput={(e) => setSearch(e.currentTarget.value)} placeholder="lines containing…" />
        </label>
        <span class="muted" data-testid="log-count" aria-live="polite">
          {needle ? `${shown.length} of ${lines.length} lines` : `${lines.length} lines`}
        </span>
      </form>
      {error ? <ErrorMessage error={error} /> : null}
      <pre class="log" data-testid="log" data-follows={follows} ref={pre} tabIndex={0} aria-label="task log">
        {shown.map((l) => (
          <span key={l.seq} class="line" title={l.time}>
            {needle ? <Marked text={l.text} needle={needle} /> : l.text}
            {'\n'}
          </span>
        ))}
      </pre>
      {state === 'ended' ? (
        <button type="button" onClick={() => setAttempt((n) => n + 1)}>
          Follow again
        </button>
      ) : null}
    </section>
  );
}

/** The text with each occurrence of the (lower-case) needle marked. */
function Marked({ text, needle }: { text: string; needle: string }) {
  const lower = text.toLowerCase();
  const parts = [];
  let at = 0;
  for (let i = lower.indexOf(needle); i >= 0; i = lower.indexOf(needle, i + needle.length)) {
    parts.push(text.slice(at, i), <mark>{text.slice(i, i + needle.length)}</mark>);
    at = i + needle.length;
  }
  parts.push(text.slice(at));
  return <>{parts}</>;
}
