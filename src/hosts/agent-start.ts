// Starting a drover agent on a host over SSH: detached (setsid, nohup, output to a log file in
// its data dir), at most one per data dir (a pid file says whether it already runs), pointed at
// this server. The join token goes in through the environment, not argv: other users of the
// host can read any process's arguments in ps.
import { HOST_LABEL } from '../model/index.js';
import { shellCommand, shellWord } from './quote.js';
import { SshError, type SshSession } from './ssh.js';

export interface AgentLaunch {
  /** The agent program and its leading arguments, e.g. [node, /opt/drover/bin/drover.js, agent]. */
  command: string[];
  /** The agent's data dir on the host. */
  dataDir: string;
  /** URL the host reaches this server at. */
  server: string;
  machineId: string;
  /** The Host's name, put on the Machine as the drover.io/host label. */
  host: string;
  /** Address the agent's API listens on (the host's address: the server reaches the agent there). */
  listenAddress: string;
  joinToken?: string;
  /** PEM of the cluster CA, when the server speaks https. */
  ca?: string;
  timeoutMs: number;
}

/** The host's machine id (/etc/machine-id), which names its Machine. */
export async function readMachineId(ssh: SshSession, timeoutMs: number): Promise<string> {
  const id = (await ssh.check(['cat', '/etc/machine-id'], { timeoutMs })).trim().toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(id)) throw new SshError('CommandFailed', `/etc/machine-id on the host holds "${id.slice(0, 40)}", not a 32-hex machine id: run systemd-machine-id-setup there, or set spec.machineId`);
  return id;
}

/** Starts the agent unless one already runs from the data dir; says which happened. */
export async function startAgent(ssh: SshSession, launch: AgentLaunch): Promise<'started' | 'running'> {
  const dir = launch.dataDir;
  await ssh.check(['mkdir', '-p', '-m', '0700', dir], { timeoutMs: launch.timeoutMs });
  const caFile = `${dir}/server-ca.crt`;
  if (launch.ca) await ssh.check(['sh', '-c', 'cat > "$1"', 'sh', caFile], { timeoutMs: launch.timeoutMs, stdin: launch.ca });
  const listen = launch.listenAddress.includes(':') ? `[${launch.listenAddress}]:0` : `${launch.listenAddress}:0`;
  const agent = shellCommand([
    'setsid',
    'nohup',
    ...launch.command,
    '--server', launch.server,
    '--data', dir,
    '--id', launch.machineId,
    '--listen', listen,
    '--labels', `${HOST_LABEL}=${launch.host}`,
    ...(launch.ca ? ['--ca-file', caFile] : []),
  ]);
  const pid = shellWord(`${dir}/agent.pid`);
  const log = shellWord(`${dir}/agent.log`);
  const env = launch.joinToken ? `DROVER_JOIN_TOKEN=${shellWord(launch.joinToken)} ` : '';
  // Every descriptor goes to a file: an SSH channel stays open while anything holds its pipes.
  const script = `if [ -f ${pid} ] && kill -0 "$(cat ${pid})" 2>/dev/null; then echo running; else ${env}${agent} >>${log} 2>&1 </dev/null & echo $! >${pid}; echo started; fi`;
  const res = await ssh.script(script, 'starting the drover agent', { timeoutMs: launch.timeoutMs });
  if (res.code !== 0) throw new SshError('CommandFailed', `starting the drover agent failed with exit status ${res.code}: ${res.stderr.trim().slice(0, 500) || 'no output'}`);
  return res.stdout.trim() === 'running' ? 'running' : 'started';
}
