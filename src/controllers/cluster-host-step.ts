// One host's part of a cluster operation: connect with the host's credentials, run its commands
// in order (the first non-zero exit fails the host, with the exit status and the last lines of
// output), and for a restart wait until the host is back: its Machine Ready under a new era (the
// agent started again) and its SSH answering. The reboot dropping the SSH connection is expected.
import { connectHost, type HostAccess } from '../hosts/connect.js';
import { SshError, type SshSession } from '../hosts/ssh.js';
import { isMachineReady, type Host, type Machine } from '../model/index.js';
import type { State } from '../state/state.js';

const POLL_MS = 250;
/** How many lines of a failed command's output go into the step's message. */
const TAIL_LINES = 8;

export interface HostStepOptions {
  state: State;
  access: HostAccess;
  commands: string[][];
  restart: boolean;
  deadline: number;
  signal: AbortSignal;
  /** Reports what the host is doing now (the step's message). */
  note(message: string): Promise<void>;
}

/** A host's failure, its message ready for the step and the operation's error. */
export class HostStepFailure extends Error {}

/** Runs the host's part; resolves with the step's final message, throws HostStepFailure. */
export async function runHostStep(host: Host, opts: HostStepOptions): Promise<string> {
  const machines = opts.state.resources<Machine>('machines');
  const machineId = host.status?.machine;
  const eraBefore = machineId ? machines.get(machineId)?.status?.era : undefined;
  const ssh = await connect(host, opts);
  const onAbort = () => ssh.close();
  opts.signal.addEventListener('abort', onAbort);
  try {
    for (const [i, argv] of opts.commands.entries()) {
      const shown = argv.join(' ');
      await opts.note(`running ${shown}`);
      const last = i === opts.commands.length - 1;
      let res;
      try {
        res = await ssh.exec(argv, { timeoutMs: Math.max(1, opts.deadline - Date.now()) });
      } catch (err) {
        if (opts.restart && last && err instanceof SshError && err.reason !== 'Timeout') break;
        throw new HostStepFailure(`${shown}: ${(err as Error).message}`);
      }
      checkAborted(opts.signal);
      // -1: the channel closed without an exit status, the connection gone (the reboot under way).
      if (res.code === -1 && opts.restart && last) break;
      if (res.code !== 0) throw new HostStepFailure(`${shown} exited with status ${res.code}${tail(res.stdout, res.stderr)}`);
    }
  } finally {
    opts.signal.removeEventListener('abort', onAbort);
    ssh.close();
  }
  if (!opts.restart) return `${opts.commands.map((c) => c.join(' ')).join('; ')}: exit status 0`;
  return waitForReturn(host, machineId, eraBefore, opts);
}

async function connect(host: Host, opts: HostStepOptions): Promise<SshSession> {
  try {
    return await connectHost(host, opts.access);
  } catch (err) {
    throw new HostStepFailure(`cannot connect over SSH: ${(err as Error).message}`);
  }
}

/** Waits for the restarted host: its agent back (Ready, new era), then SSH answering. */
async function waitForReturn(host: Host, machineId: string | undefined, eraBefore: string | undefined, opts: HostStepOptions): Promise<string> {
  const machines = opts.state.resources<Machine>('machines');
  const timeoutSeconds = () => `within the host timeout (params.hostTimeoutSeconds)`;
  if (machineId) {
    await opts.note(`restarting: waiting for machine ${machineId} to come back Ready with a new era`);
    for (;;) {
      const m = machines.get(machineId);
      if (m && isMachineReady(m) && m.status?.era && m.status.era !== eraBefore) break;
      if (Date.now() > opts.deadline) throw new HostStepFailure(`restarted, but machine ${machineId} did not come back Ready under a new era ${timeoutSeconds()}: is the drover agent started at boot (the host controller starts it again at its next health check)?`);
      await pause(opts.signal);
    }
  }
  await opts.note('restarting: waiting for SSH to answer');
  for (let lastError = ''; ; ) {
    try {
      const ssh = await connectHost(host, opts.access);
      ssh.close();
      break;
    } catch (err) {
      lastError = (err as Error).message;
    }
    if (Date.now() > opts.deadline) throw new HostStepFailure(`restarted, but SSH did not answer again ${timeoutSeconds()}: ${lastError}`);
    await pause(opts.signal);
  }
  return machineId ? `restarted: machine ${machineId} is back with a new era, SSH answers` : 'restarted: SSH answers (no linked machine to wait for)';
}

function tail(stdout: string, stderr: string): string {
  const lines = `${stdout}\n${stderr}`
    .split('\n')
    .map((l) => l.trimEnd())
    .filter(Boolean)
    .slice(-TAIL_LINES);
  return lines.length ? `; last output:\n${lines.join('\n').slice(-1000)}` : '; no output';
}

function checkAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new Error('the server stopped running controllers');
}

async function pause(signal: AbortSignal): Promise<void> {
  checkAborted(signal);
  await new Promise((r) => setTimeout(r, POLL_MS));
  checkAborted(signal);
}
