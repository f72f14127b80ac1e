// A separate "machine" for SSH tests: a network namespace with its own address on a veth pair
// (10.250.X.2, the host side 10.250.X.1, a default route back through it) running Debian's sshd
// with host keys and authorized_keys generated for the test. close() kills sshd and whatever
// runs in the namespace (the agents the tests bootstrapped), then deletes the namespace.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { tempDir, until } from '../helpers.js';

const SSHD = '/usr/sbin/sshd';

function run(args: string[]): { ok: boolean; out: string } {
  const res = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8' });
  return { ok: res.status === 0, out: `${res.stdout ?? ''}${res.stderr ?? ''}${res.error ? res.error.message : ''}`.trim() };
}

function must(args: string[]): string {
  const res = run(args);
  if (!res.ok) throw new Error(`${args.join(' ')} failed: ${res.out}`);
  return res.out;
}

/** Why SSH hosts in network namespaces cannot be made here, or undefined when they can. */
export function netnsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'network namespaces need root';
  const probe = `drvprobe${process.pid}`;
  const res = run(['ip', 'netns', 'add', probe]);
  if (!res.ok) return `cannot create a network namespace (ip netns add: ${res.out})`;
  run(['ip', 'netns', 'del', probe]);
  if (!run([SSHD, '-V']).out.includes('OpenSSH')) return `${SSHD} is missing: apt-get install openssh-server`;
  return undefined;
}

export interface NetnsHost {
  /** The namespace side's address: what a Host's spec.address is. */
  address: string;
  /** The host side's address: where the namespace reaches the test's server. */
  gateway: string;
  /** The private key authorized for root (OpenSSH format). */
  clientKey: string;
  hostKeyFingerprint(): string;
  /** How a script inside the namespace starts this host's sshd again (as a daemon): what a reboot would. */
  sshdDaemonCommand: string[];
  /** Where the running sshd writes its pid. */
  sshdPidFile: string;
  /** Stops sshd (the namespace and what runs in it stay). */
  stopSshd(): Promise<void>;
  /** Starts sshd again; with newHostKey, under a freshly generated host key. */
  startSshd(opts?: { newHostKey?: boolean }): Promise<void>;
  close(): Promise<void>;
}

export async function startNetnsHost(index: number): Promise<NetnsHost> {
  const subnet = 10 + ((process.pid * 7 + index) % 240);
  const ns = `drv${process.pid}n${index}`;
  const outer = `dv${process.pid % 100000}h${index}`;
  const inner = `dv${process.pid % 100000}n${index}`;
  const address = `10.250.${subnet}.2`;
  const gateway = `10.250.${subnet}.1`;
  const dir = tempDir('drover-sshd-');
  let sshd: ChildProcess | undefined;
  const teardown = async () => {
    await stop();
    // Whatever runs in the namespace was started by this test through sshd (the agents).
    for (const pid of run(['ip', 'netns', 'pids', ns]).out.split('\n').filter((p) => /^\d+$/.test(p))) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    run(['ip', 'netns', 'del', ns]);
    run(['ip', 'link', 'del', outer]);
    rmSync(dir, { recursive: true, force: true });
  };
  const stop = async () => {
    const child = sshd;
    sshd = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  const newHostKey = () => {
    rmSync(join(dir, 'host_key'), { force: true });
    rmSync(join(dir, 'host_key.pub'), { force: true });
    must(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_key')]);
  };
  const start = async (opts: { newHostKey?: boolean } = {}) => {
    if (opts.newHostKey) newHostKey();
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    sshd = spawn('ip', ['netns', 'exec', ns, SSHD, '-D', '-f', join(dir, 'sshd_config'), '-E', join(dir, 'sshd.log')], { stdio: 'ignore' });
    const child = sshd;
    await until(
      () =>
        child.exitCode === null &&
        new Promise<boolean>((resolve) => {
          const s = connect({ host: address, port: 22 }, () => (s.destroy(), resolve(true)));
          s.once('error', () => resolve(false));
        }),
      () => `sshd in ${ns} to listen on ${address}:22 (exit ${child.exitCode}; log: ${safeRead(join(dir, 'sshd.log'))})`,
      10_000,
    );
  };
  try {
    must(['ip', 'netns', 'add', ns]);
    must(['ip', 'link', 'add', outer, 'type', 'veth', 'peer', 'name', inner]);
    must(['ip', 'link', 'set', inner, 'netns', ns]);
    must(['ip', 'addr', 'add', `${gateway}/24`, 'dev', outer]);
    must(['ip', 'link', 'set', outer, 'up']);
    must(['ip', 'netns', 'exec', ns, 'ip', 'addr', 'add', `${address}/24`, 'dev', inner]);
    must(['ip', 'netns', 'exec', ns, 'ip', 'link', 'set', inner, 'up']);
    must(['ip', 'netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
    must(['ip', 'netns', 'exec', ns, 'ip', 'route', 'add', 'default', 'via', gateway]);
    newHostKey();
    must(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'drover-test', '-f', join(dir, 'client')]);
    writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client.pub')));
    writeFileSync(
      join(dir, 'sshd_config'),
      [
        `ListenAddress ${address}:22`,
        `HostKey ${join(dir, 'host_key')}`,
        `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        `PidFile ${join(dir, 'sshd.pid')}`,
        'UsePAM no',
        'StrictModes no',
        'PermitRootLogin prohibit-password',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'Subsystem sftp internal-sftp',
        'LogLevel ERROR',
        '',
      ].join('\n'),
    );
    await start();
  } catch (err) {
    await teardown();
    throw err;
  }
  return {
    address,
    gateway,
    clientKey: readFileSync(join(dir, 'client'), 'utf8'),
    sshdDaemonCommand: [SSHD, '-f', join(dir, 'sshd_config'), '-E', join(dir, 'sshd.log')],
    sshdPidFile: join(dir, 'sshd.pid'),
    hostKeyFingerprint: () => must(['ssh-keygen', '-l', '-E', 'sha256', '-f', join(dir, 'host_key.pub')]).split(/\s+/)[1]!,
    stopSshd: stop,
    startSshd: start,
    close: teardown,
  };
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim().slice(-500);
  } catch {
    return 'none';
  }
}
