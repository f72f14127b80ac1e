// The agent's half of an interactive exec: GET /v1/tasks/UID/exec?command=…&tty=…&stdin=… as a
// WebSocket (from the server only), framed as src/model/exec-stream.ts says. The command runs
// in the task's environment, directory and user, as exec checks do. A tty is a real pseudo-
// terminal without a native module: util-linux's `script` makes one and runs the command in it.
// Whatever the command started goes when the session ends, by session id: a shell's children
// left its process group (job control), and a client that went away leaves nothing behind.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { WebSocketServer, type WebSocket } from 'ws';
import { EXEC_PROTOCOL, ExecChannel, execFrame, parseExecQuery, type ExecQuery, type ExecRequest, type ExecStatus } from '../model/exec-stream.js';
import { takeOverSocket } from '../net/upgrade.js';
import type { ExecContext } from './checks/task-checks.js';
import type { TaskRunner } from './task-runner.js';

/** Past this many bytes queued for the client, the command's output is not read until they are sent. */
const MAX_QUEUED_BYTES = 1024 * 1024;

export function registerExecSessions(app: FastifyInstance, runnerOf: (uid: string) => TaskRunner, machine: string, track: (res: ServerResponse, end: () => void) => void): void {
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (offered) => (offered.has(EXEC_PROTOCOL) ? EXEC_PROTOCOL : false) });
  app.get('/v1/tasks/:uid/exec', async (req, reply) => {
    const { uid } = req.params as { uid: string };
    let exec: ExecRequest;
    try {
      exec = parseExecQuery(req.query as ExecQuery);
    } catch (err) {
      throw Object.assign(err as Error, { statusCode: 400 });
    }
    const runner = runnerOf(uid);
    const task = runner.currentTask;
    if (!task || !runner.currentRun) throw Object.assign(new Error(`task ${runner.name ?? uid} has no running process on machine ${machine}`), { statusCode: 409 });
    const context = runner.execContext(task);
    const taken = takeOverSocket(req.raw, reply.raw);
    if (!taken) throw Object.assign(new Error('an exec session needs a WebSocket upgrade'), { statusCode: 400 });
    reply.hijack();
    taken.socket.once('close', () => reply.raw.emit('close'));
    wss.handleUpgrade(req.raw, taken.socket, taken.head, (ws) => {
      const session = runSession(ws, exec, context);
      track(reply.raw, () => session.end('the agent is shutting down; the command was killed'));
    });
  });
}

/** Runs the command for one WebSocket until either ends; `end` kills the command and says why. */
function runSession(ws: WebSocket, exec: ExecRequest, context: ExecContext): { end: (why: string) => void } {
  const child = spawnCommand(exec, context);
  let finished = false;
  const send = (channel: number, data: Uint8Array | string) => {
    if (ws.readyState === ws.OPEN) ws.send(execFrame(channel, data), drained);
  };
  // A command writing faster than the client reads waits (its pipe fills) instead of piling up here.
  const drained = () => {
    if (ws.bufferedAmount >= MAX_QUEUED_BYTES) return;
    child.stdout!.resume();
    child.stderr!.resume();
  };
  const finish = (status: ExecStatus) => {
    if (finished) return;
    finished = true;
    killSessions(child.pid);
    send(ExecChannel.status, JSON.stringify(status));
    ws.close(1000);
  };
  const output = (channel: number) => (d: Buffer) => {
    send(channel, d);
    if (ws.bufferedAmount >= MAX_QUEUED_BYTES) {
      child.stdout!.pause();
      child.stderr!.pause();
    }
  };
  child.stdout!.on('data', output(ExecChannel.stdout));
  child.stderr!.on('data', output(ExecChannel.stderr));
  child.stdin!.on('error', () => undefined); // input after the command exited
  if (!exec.stdin) child.stdin!.end();
  child.once('error', (err) => finish({ exitCode: null, error: `cannot run ${exec.tty ? 'script (util-linux, for the tty)' : exec.command[0]}: ${err.message}` }));
  child.once('close', (code, signal) => finish({ exitCode: code, signal }));
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary || data.length === 0) return;
    const payload = data.subarray(1);
    if (data[0] === ExecChannel.stdin && exec.stdin && child.stdin!.writable) {
      if (payload.length === 0) child.stdin!.end();
      else child.stdin!.write(payload);
    } else if (data[0] === ExecChannel.resize && exec.tty && child.pid) {
      try {
        const { cols, rows } = JSON.parse(payload.toString('utf8')) as { cols?: unknown; rows?: unknown };
        if (Number.isInteger(cols) && Number.isInteger(rows)) resizeTerminal(child.pid, cols as number, rows as number);
      } catch {
        // not JSON: a resize that cannot be read changes nothing
      }
    }
  });
  // The client went away (or the server relay did): nothing it started may stay.
  ws.once('close', () => {
    finished = true;
    killSessions(child.pid);
  });
  return {
    end: (why) => {
      killSessions(child.pid);
      finish({ exitCode: null, error: why });
    },
  };
}

function spawnCommand(exec: ExecRequest, context: ExecContext): ChildProcess {
  const options = { cwd: context.cwd, detached: true, stdio: 'pipe' as const, ...(context.credentials ? { uid: context.credentials.uid, gid: context.credentials.gid } : {}) };
  if (!exec.tty) return spawn(exec.command[0]!, exec.command.slice(1), { ...options, env: context.env });
  // script runs `$SHELL -c LINE` on a new pty; the size is set inside it, before the command starts.
  const line = `stty cols ${exec.cols} rows ${exec.rows} 2>/dev/null; exec ${exec.command.map(shellQuote).join(' ')}`;
  return spawn('script', ['-qfec', line, '/dev/null'], { ...options, env: { TERM: 'xterm-256color', ...context.env, SHELL: '/bin/sh' } });
}

function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

interface ProcStat {
  pid: number;
  ppid: number;
  sid: number;
  ttyNr: number;
}

function processes(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // Fields after the command name, which may hold spaces and parentheses: state ppid pgrp session tty_nr …
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.push({ pid: Number(name), ppid: Number(f[1]), sid: Number(f[3]), ttyNr: Number(f[4]) });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/**
 * Kills the session of `pid` (the detached command, or script) and the sessions its children
 * made (the shell script starts on the pty), with everything still in them.
 */
function killSessions(pid: number | undefined): void {
  if (!pid) return;
  const all = processes();
  const sids = new Set([pid, ...all.filter((p) => p.ppid === pid).map((p) => p.sid)]);
  for (const p of all) {
    if (!sids.has(p.sid) || p.pid === process.pid) continue;
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

/** Sets the pty's size (the kernel sends the command SIGWINCH); the pty is the one script's child runs on. */
function resizeTerminal(scriptPid: number, cols: number, rows: number): void {
  const shell = processes().find((p) => p.ppid === scriptPid && p.ttyNr !== 0);
  if (!shell) return;
  // tty_nr: major in bits 8–19, minor in bits 0–7 and 20–31; ptys are majors 136–143, 256 minors each.
  const major = (shell.ttyNr >> 8) & 0xfff;
  const minor = (shell.ttyNr & 0xff) | ((shell.ttyNr >> 12) & 0xfff00);
  if (major < 136 || major > 143) return;
  const clamp = (n: number) => Math.max(1, Math.min(1000, n));
  execFile('stty', ['-F', `/dev/pts/${(major - 136) * 256 + minor}`, 'cols', String(clamp(cols)), 'rows', String(clamp(rows))], () => undefined);
}
