// The drover command line: builds the command tree (program.ts), runs it, and turns failures
// into exit codes — 0 done, 1 failed, 2 a usage mistake (with the help to read).
import { CommanderError, type Command } from 'commander';
import { printError } from './error-text.js';
import { helpHint } from './help.js';
import { UsageError } from './output.js';
import { buildProgram, commandWord, serverCommandsFor } from './program.js';

const program = await buildProgram({ serverCommands: serverCommandsFor(commandWord(process.argv)) });

// The command whose action is running, for the hint on its usage errors.
let running: Command = program;
program.hook('preAction', (_root, action) => {
  running = action;
});

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
  if (err instanceof UsageError) {
    process.stderr.write(`error: ${err.message} ${helpHint(running)}\n`);
    process.exit(2);
  }
  if (!(err as { reported?: boolean }).reported) printError(err);
  process.exit(1);
}
