// `drover exec -it TASK -- CMD`: the task's interactive exec session (a WebSocket, framed as
// src/model/exec-stream.ts says) on our terminal. Our terminal goes raw, so every key (Ctrl-C
// included) reaches the remote command; its size follows ours (SIGWINCH); it is restored
// however the session ends, and the remote exit code becomes ours.
import { constants } from 'node:os';
import type { Client } from '../client/client.js';
import { openExecSession } from '../client/exec-session.js';
import { ExecChannel, execFrame, type ExecStatus } from '../model/exec-stream.js';

/** A shell's exit code for how the remote command ended. */
export function exitCodeOf(status: ExecStatus): number {
  if (typeof status.exitCode === 'number') return status.exitCode;
  const n = status.signal ? constants.signals[status.signal as NodeJS.Signals] : undefined;
  return n ? 128 + n : 1;
}

export async function execInteractive(client: Client, task: string, command: string[], withStdin: boolean): Promise<number> {
  const size = () => ({ cols: process.stdout.columns || 80, rows: process.stdout.rows || 24 });
  const ws = await openExecSession(client, task, { command, tty: true, stdin: withStdin, ...size() });
  const stdin = process.stdin;
  const isRaw = withStdin && stdin.isTTY;
  const send = (channel: number, data?: Uint8Array | string) => ws.readyState === ws.OPEN && ws.send(execFrame(channel, data));
  const onInput = (d: Buffer) => send(ExecChannel.stdin, d);
  const onEnd = () => send(ExecChannel.stdin);
  const onResize = () => send(ExecChannel.resize, JSON.stringify(size()));
  if (isRaw) stdin.setRawMode(true);
  if (withStdin) {
    stdin.on('data', onInput);
    stdin.once('end', onEnd);
    stdin.resume();
  }
  process.on('SIGWINCH', onResize);
  const restore = () => {
    process.off('SIGWINCH', onResize);
    stdin.off('data', onInput);
    stdin.off('end', onEnd);
    stdin.pause();
    if (isRaw) stdin.setRawMode(false);
  };
  return new Promise((resolve, reject) => {
    let status: ExecStatus | undefined;
    ws.on('message', (d: Buffer) => {
      if (d[0] === ExecChannel.stdout) process.stdout.write(d.subarray(1));
      else if (d[0] === ExecChannel.stderr) process.stderr.write(d.subarray(1));
      else if (d[0] === ExecChannel.status) status = JSON.parse(d.subarray(1).toString('utf8')) as ExecStatus;
    });
    ws.once('error', () => undefined); // the close that follows says it
    ws.once('close', () => {
      restore();
      if (!status) return reject(new Error(`the connection to ${client.server} ended before the command in task "${task}" finished; its exit code is unknown`));
      if (status.error) process.stderr.write(`drover: ${status.error}\n`);
      resolve(exitCodeOf(status));
    });
  });
}
