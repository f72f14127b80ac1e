// The drover command line. One file per command group; this one only wires them together.
import { Command, CommanderError } from 'commander';
import { version } from '../version.js';
import { registerAgentCommand } from './agent.js';
import { registerServerCommands } from './server.js';

const program = new Command('drover')
  .description('drover: a cluster control plane — desired state, agents that converge machines on it, one API')
  .version(version, '-V, --version', 'print the version')
  .showHelpAfterError('(run drover --help for usage)')
  .exitOverride();

registerServerCommands(program);
registerAgentCommand(program);
program
  .command('version')
  .description('print the client version')
  .action(() => {
    console.log(`drover ${version} (node ${process.version})`);
  });

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Help and version exit 0; usage errors exit 2 (commander already printed the message).
    process.exit(err.exitCode === 0 ? 0 : 2);
  }
  console.error(`error: ${(err as Error).message}`);
  process.exit(1);
}
