// The xterm.js half of the task terminal (pages/terminal.tsx loads it on first use): a terminal
// in `el` on the task's exec WebSocket, until the returned function closes both.
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import { ExecChannel, execFrame, execProtocols, execQueryString, type ExecStatus } from '../../model/exec-stream.js';
import { adoptInlineStyles } from '../adopted-styles.js';

export interface TerminalEvents {
  connected(): void;
  ended(status: ExecStatus): void;
}

export function openTerminalSession(el: HTMLElement, path: string, authorization: string | undefined, command: string[], on: TerminalEvents): () => void {
  const unadopt = adoptInlineStyles(el);
  const term = new Terminal({ cursorBlink: true, fontSize: 14, scrollback: 5000 });
  const fit = new FitAddon();
  term.loadAddon(fit);
  term.open(el);
  fit.fit();
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const query = execQueryString({ command, tty: true, stdin: true, cols: term.cols, rows: term.rows });
  const ws = new WebSocket(`${scheme}//${location.host}${path}?${query}`, execProtocols(authorization));
  ws.binaryType = 'arraybuffer';
  let ended: ExecStatus | undefined;
  ws.onopen = () => {
    on.connected();
    term.focus();
  };
  ws.onmessage = (e: MessageEvent<ArrayBuffer>) => {
    const bytes = new Uint8Array(e.data);
    if (bytes[0] === ExecChannel.stdout || bytes[0] === ExecChannel.stderr) term.write(bytes.subarray(1));
    else if (bytes[0] === ExecChannel.status) ended = JSON.parse(new TextDecoder().decode(bytes.subarray(1))) as ExecStatus;
  };
  ws.onclose = () => {
    // A refused handshake (403, 409) reaches a browser only as a close without a status.
    on.ended(ended ?? { exitCode: null, error: 'the connection closed (refused, or lost); the task may have stopped' });
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
}
