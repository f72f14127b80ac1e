// The drover command tree, built without side effects (main.ts parses and runs it; tests walk it).
import { Command } from 'commander';
import { version } from '../version.js';
import { registerApplyCommand } from './apply.js';
import { registerClusterCommands } from './cluster.js';
import { registerCredentialCommands } from './auth.js';
import { registerAuthCommands } from './auth-can-i.js';
import { registerCompletionCommands } from './completion.js';
import { registerConfigCommands } from './config.js';
import { registerDeleteCommand } from './delete.js';
import { registerDatasetCommands } from './dataset.js';
import { registerDescribeCommand } from './describe.js';
import { registerEditCommand } from './edit.js';
import { registerExecCommand } from './exec.js';
import { registerPortForwardCommand } from './port-forward.js';
import { registerProxyCommand } from './proxy.js';
import { registerGetCommand } from './get.js';
import { examples, pointUsageErrorsToHelp } from './help.js';
import { registerLogsCommand } from './logs.js';
import { registerJobCommands } from './job.js';
import { registerMachineCommands } from './machines.js';
import { registerMaintenanceCommands } from './maintenance.js';
import { registerSupportCommands } from './support.js';
import { registerOperationCommands } from './operation.js';
import { registerPackageCommands } from './package.js';
import { registerRolloutCommands } from './rollout.js';
import { registerRunCommands } from './run.js';
import { registerScaleCommand } from './scale.js';
import { registerSecretCommands } from './secret.js';
import { registerTopCommand } from './top.js';
import { registerUnitCommands } from './unit.js';
import { registerVersionCommand } from './version.js';
import { registerWaitCommand } from './wait.js';

// Commands that only talk to a server. The others (server, dev, agent, backup) load the whole
// control plane (fastify, SQLite, drivers): a client command skips them, so `drover get` starts
// in a fraction of the time.
const CLIENT_COMMANDS = new Set(['get', 'describe', 'apply', 'delete', 'edit', 'scale', 'exec', 'run', 'ps', 'kill', 'logs', 'rollout', 'wait', 'unit', 'machines', 'list-machines', 'label', 'cordon', 'uncordon', 'drain', 'top', 'config', 'version', 'completion', '__complete', 'auth', 'secret', 'dataset', 'cluster', 'operation', 'package', 'pkg', 'port-forward', 'proxy']);

type Register = (program: Command) => void;

// The server-side commands, each loaded only for its own word: an agent does not load the
// server (1.2 s of imports on a slow machine), and neither loads etcd's gRPC client for backup.
const SERVER_COMMANDS = new Map<string, () => Promise<Register>>([
  ['server', async () => (await import('./server.js')).registerServerCommands],
  ['dev', async () => (await import('./server.js')).registerServerCommands],
  ['agent', async () => (await import('./agent.js')).registerAgentCommand],
  ['backup', async () => (await import('./backup.js')).registerBackupCommands],
  ['restore', async () => (await import('./backup.js')).registerBackupCommands],
  ['cert', async () => (await import('./cert.js')).registerCertCommands],
  ['flocker', async () => (await import('./flocker.js')).registerFlockerCommands],
]);

/** The command word of an argv (the first operand that is not a global option's value). */
export function commandWord(argv: string[]): string | undefined {
  return argv.slice(2).find((a, i, all) => !a.startsWith('-') && !['--server', '--context', '--request-timeout'].includes(all[i - 1] ?? ''));
}

/**
 * Which server-side commands `word` needs: none for a client command, its own for a server-side
 * one, all of them otherwise (no word: the help lists them; a mistyped word: the suggestion may
 * be one of them; completion lists them all).
 */
export function serverCommandsFor(word: string | undefined): 'all' | 'none' | string {
  if (word === 'completion') return 'all';
  if (word && CLIENT_COMMANDS.has(word)) return 'none';
  if (word && SERVER_COMMANDS.has(word)) return word;
  return 'all';
}

export async function buildProgram(opts: { serverCommands: 'all' | 'none' | string }): Promise<Command> {
  const program = new Command('drover')
    .description('drover: a cluster control plane — desired state, agents that converge machines on it, one API')
    .version(version, '-V, --version', 'print the version')
    .option('--server <url[,url…]>', 'API server URL, or several separated by commas to fail over between (default: $DROVER_SERVER, then the current context, then http://127.0.0.1:8080)')
    .option('--context <name>', 'use this context from the config file')
    .option('--request-timeout <duration>', 'how long to wait for the server to answer a request, e.g. 10s (default: $DROVER_REQUEST_TIMEOUT, else 30s)')
    // Options before the command word belong to drover, after it to the command: `drover agent
    // --server URL` keeps its own --server. Client commands accept the connection options too (below).
    .enablePositionalOptions()
    .exitOverride()
    .addHelpText(
      'after',
      examples(`
        drover get svc                      # list services
        drover apply -f web.yaml            # create or update what a manifest describes
        drover logs -f service/web          # follow every task of a service
        drover <command> --help             # each command's options and examples`),
    );

  const own = SERVER_COMMANDS.get(opts.serverCommands);
  const loaders = opts.serverCommands === 'none' ? [] : own ? [own] : [...SERVER_COMMANDS.values()];
  // Two words share a module (server and dev, backup and restore): register each once.
  for (const register of new Set(await Promise.all(loaders.map((load) => load())))) register(program);
  registerGetCommand(program);
  registerDescribeCommand(program);
  registerApplyCommand(program);
  registerDeleteCommand(program);
  registerEditCommand(program);
  registerScaleCommand(program);
  registerSecretCommands(program);
  registerDatasetCommands(program);
  registerRunCommands(program);
  registerJobCommands(program);
  registerExecCommand(program);
  registerPortForwardCommand(program);
  registerProxyCommand(program);
  registerLogsCommand(program);
  registerRolloutCommands(program);
  registerWaitCommand(program);
  registerUnitCommands(program);
  registerMachineCommands(program);
  registerMaintenanceCommands(program);
  registerSupportCommands(program);
  registerClusterCommands(program);
  registerOperationCommands(program);
  registerPackageCommands(program);
  registerTopCommand(program);
  registerConfigCommands(program);
  registerAuthCommands(program);
  registerCredentialCommands(program);
  registerVersionCommand(program);
  registerCompletionCommands(program);

  for (const name of CLIENT_COMMANDS) {
    const cmd = program.commands.find((c) => c.name() === name);
    if (cmd) addConnectionOptions(cmd);
  }
  pointUsageErrorsToHelp(program);
  return program;
}

/**
 * --server, --context and --request-timeout on every client command, so they may come after the
 * command word; -n/--namespace and -A/--all-namespaces too (kubectl's), where no command option
 * uses the letters already.
 */
function addConnectionOptions(cmd: Command): void {
  if (cmd.commands.length) return cmd.commands.forEach(addConnectionOptions);
  if (!cmd.options.some((o) => o.short === '-n' || o.long === '--namespace')) cmd.option('-n, --namespace <namespace>', 'the namespace to act in (default: the context\'s, else "default")');
  if (!cmd.options.some((o) => o.short === '-A')) cmd.option('-A, --all-namespaces', 'list and watch across every namespace you may see');
  if (!cmd.options.some((o) => o.long === '--server')) cmd.option('--server <url>', 'API server URL (see drover --help)');
  if (!cmd.options.some((o) => o.long === '--context')) cmd.option('--context <name>', 'use this context from the config file');
  if (!cmd.options.some((o) => o.long === '--request-timeout')) cmd.option('--request-timeout <duration>', 'how long to wait for the server to answer, e.g. 10s (default 30s)');
}
