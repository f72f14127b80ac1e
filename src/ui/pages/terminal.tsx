// A task's exec terminal: xterm.js on the task's exec WebSocket (GET …/tasks/NAME/exec, the
// public API's interactive exec, framed as src/model/exec-stream.ts says), running a shell on a
// real pty beside the task. The credential goes as a subprotocol, since a browser cannot set a
// header on a WebSocket; a client-certificate session needs none.
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Task } from '../../model/task.js';
import { ExecChannel, execFrame, execProtocols, execQueryString, type ExecStatus } from '../../model/exec-stream.js';
import { adoptInlineStyles } from '../adopted-styles.js';
import { objectPath } from '../api.js';
import { useCluster } from '../cluster.js';

const SHELL = ['sh'];

export function TaskTerminal({ task }: { task: Task }) {
  const { api } = useCluster();
  const box = useRef<HTMLDivElement>(null);
  const [state, setState] = useState<'closed' | 'connecting' | 'connected' | 'ended'>('closed');
  const [status, setStatus] = useState<ExecStatus>();
  const [attempt, setAttempt] = useState(0);
  const path = objectPath('tasks', task.metadata.namespace, task.metadata.name, '/exec');

  useEffect(() => {
    if (attempt === 0 || !box.current) return;
    const el = box.current;
    const unadopt = adoptInlineStyles(el);
    const term = new Terminal({ cursorBlink: true, fontSize: 14, scrollback: 5000 });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(el);
    fit.fit();
    setState('connecting');
    setStatus(undefined);
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const query = execQueryString({ command: SHELL, tty: true, stdin: true, cols: term.cols, rows: term.rows });
    const ws = new WebSocket(`${scheme}//${location.host}${path}?${query}`, execProtocols(api.session.authorization));
    ws.binaryType = 'arraybuffer';
    let ended: ExecStatus | undefined;
    ws.onopen = () => {
      setState('connected');
      term.focus();
    };
    ws.onmessage = (e: MessageEvent<ArrayBuffer>) => {
      const bytes = new Uint8Array(e.data);
      if (bytes[0] === ExecChannel.stdout || bytes[0] === ExecChannel.stderr) term.write(bytes.subarray(1));
      else if (bytes[0] === ExecChannel.status) ended = JSON.parse(new TextDecoder().decode(bytes.subarray(1))) as ExecStatus;
    };
    ws.onclose = () => {
      // A refused handshake (403, 409) reaches a browser only as a close without a status.
      setStatus(ended ?? { exitCode: null, error: 'the connection closed (refused, or lost); the task may have stopped' });
      setState('ended');
    };
    const input = term.onData((d) => ws.readyState === WebSocket.OPEN && ws.send(execFrame(ExecChannel.stdin, d)));
    const resized = term.onResize(({ cols, rows }) => ws.readyState === WebSocket.OPEN && ws.send(execFrame(ExecChannel.resize, JSON.stringify({ cols, rows }))));
    const observer = new ResizeObserver(() => fit.fit());
    observer.observe(el);
    return () => {
      observer.disconnect();
      input.dispose();
      resized.dispose();
      ws.onclose = null;
      ws.close();
      term.dispose();
      unadopt();
    };
  }, [attempt, path]);

  return (
    <section aria-labelledby="terminal-h" class="terminal-panel">
      <h2 id="terminal-h">
        Terminal{' '}
        <span class="muted" data-testid="terminal-state">
          {state === 'closed' ? '' : state === 'connecting' ? '(connecting…)' : state === 'connected' ? `(connected: ${SHELL.join(' ')})` : '(disconnected)'}
        </span>
      </h2>
      {state === 'ended' && status ? (
        <p data-testid="terminal-exit">
          {status.exitCode !== null ? `exited with code ${status.exitCode}` : status.signal ? `killed by ${status.signal}` : status.error}
        </p>
      ) : null}
      {state === 'closed' || state === 'ended' ? (
        <button type="button" onClick={() => setAttempt((n) => n + 1)}>
          {state === 'closed' ? 'Open terminal' : 'Start again'}
        </button>
      ) : null}
      <div class="terminal" data-testid="terminal" ref={box} hidden={attempt === 0} />
    </section>
  );
}
