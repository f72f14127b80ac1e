// The drover command line. One file per command group; this one only wires them together.
import { Command, CommanderError } from 'commander';
import { version } from '../version.js';
import { registerApplyCommands } from './apply.js';
import { registerConfigCommands } from './config.js';
import { registerDescribeCommand } from './describe.js';
import { registerGetCommand } from './get.js';
import { registerLogsCommand } from './logs.js';
import { registerMachineCommands } from './machines.js';
import { UsageError } from './output.js';
import { registerRolloutCommands } from './rollout.js';
import { registerRunCommands } from './run.js';
import { registerTopCommand } from './top.js';
import { registerUnitCommands } from './unit.js';
import { registerVersionCommands } from './version.js';

const program = new Command('drover')
  .description('drover: a cluster control plane — desired state, agents that converge machines on it, one API')
  .version(version, '-V, --version', 'print the version')
  .option('--server <url[,url…]>', 'API server URL, or several separated by commas to fail over between (default: $DROVER_SERVER, then the current context, then http://127.0.0.1:8080)')
  .option('--context <name>', 'use this context from the config file')
  // Options before the command word belong to drover, after it to the command: `drover agent
  // --server URL` keeps its own --server. Client commands accept --server/--context too (below).
  .enablePositionalOptions()
  .showHelpAfterError('(run drover --help for usage)')
  .exitOverride();

// The server and agent commands load the whole control plane (fastify, SQLite, drivers): a
// client command skips them, so `drover get` starts in a fraction of the time.
const CLIENT_COMMANDS = new Set(['get', 'describe', 'apply', 'delete', 'run', 'ps', 'kill', 'logs', 'rollout', 'wait', 'unit', 'machines', 'list-machines', 'label', 'cordon', 'uncordon', 'drain', 'top', 'config', 'version', 'completion']);
const commandWord = process.argv.slice(2).find((a, i, all) => !a.startsWith('-') && !['--server', '--context'].includes(all[i - 1] ?? ''));
if (!commandWord || !CLIENT_COMMANDS.has(commandWord) || commandWord === 'completion') {
  const { registerServerCommands } = await import('./server.js');
  const { registerAgentCommand } = await import('./agent.js');
  registerServerCommands(program);
  registerAgentCommand(program);
  (await import('./backup.js')).registerBackupCommands(program);
}
registerGetCommand(program);
registerDescribeCommand(program);
registerApplyCommands(program);
registerRunCommands(program);
registerLogsCommand(program);
registerRolloutCommands(program);
registerUnitCommands(program);
registerMachineCommands(program);
registerTopCommand(program);
registerConfigCommands(program);
registerVersionCommands(program);

for (const name of CLIENT_COMMANDS) {
  const cmd = program.commands.find((c) => c.name() === name);
  if (cmd) addConnectionOptions(cmd);
}

/** --server and --context on every client command, so they may come after the command word. */
function addConnectionOptions(cmd: Command): void {
  if (cmd.commands.length) return cmd.commands.forEach(addConnectionOptions);
  if (!cmd.options.some((o) => o.long === '--server')) cmd.option('--server <url>', 'API server URL (see drover --help)');
  if (!cmd.options.some((o) => o.long === '--context')) cmd.option('--context <name>', 'use this context from the config file');
}

// A reader that goes away (drover get -w | head) is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Help and version exit 0; usage errors exit 2 (commander already printed the message).
    process.exit(err.exitCode === 0 ? 0 : 2);
  }
  if (!(err as { reported?: boolean }).reported) console.error(`error: ${(err as Error).message}`);
  process.exit(err instanceof UsageError ? 2 : 1);
}
