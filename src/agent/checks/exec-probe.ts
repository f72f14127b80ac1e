// An exec check: the command in the task's environment, working directory and user; healthy when
// it exits 0. It runs in a process group of its own, killed whole (SIGKILL) on timeout or when
// the checks stop, so a hung check never outlives its attempt.
import { spawn } from 'node:child_process';
import { OUTPUT_MAX, type ProbeResult } from './probe.js';

export interface ExecProbe {
  command: string[];
  env: Record<string, string>;
  cwd: string;
  credentials?: { uid: number; gid: number };
  timeoutMs: number;
  signal?: AbortSignal;
}

export function execProbe(p: ExecProbe): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const [cmd, ...args] = p.command;
    let output = '';
    const keep = (d: Buffer) => (output = (output + d.toString('utf8')).slice(-OUTPUT_MAX));
    const child = spawn(cmd!, args, { cwd: p.cwd, env: p.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'], ...(p.credentials ? { uid: p.credentials.uid, gid: p.credentials.gid } : {}) });
    let why: string | undefined;
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // gone already
      }
    };
    const stop = (reason: string) => {
      why ??= reason;
      killGroup();
    };
    const timer = setTimeout(() => stop(`timed out after ${p.timeoutMs / 1000}s`), p.timeoutMs);
    const onAbort = () => stop('the checks stopped');
    p.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const finish = (r: ProbeResult) => {
      clearTimeout(timer);
      p.signal?.removeEventListener('abort', onAbort);
      resolve(r);
    };
    child.once('error', (err) => finish({ ok: false, output: `cannot run ${cmd}: ${err.message}` }));
    child.once('close', (code, signal) => {
      // Whatever the command left in its group goes with it.
      killGroup();
      const text = output.trim();
      if (why) return finish({ ok: false, output: `${why}${text ? `: ${text}` : ''}` });
      if (code === 0) return finish({ ok: true, output: text });
      finish({ ok: false, output: `${code === null ? `killed by ${signal}` : `exit code ${code}`}${text ? `: ${text}` : ''}` });
    });
  });
}
