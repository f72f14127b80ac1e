// Help that teaches by example, and usage errors that say where to look: every command's --help
// ends with a few real invocations, and a usage mistake names the help of the command it was
// made in ("error: … (run drover get --help for usage)").
import type { Command } from 'commander';

/** An "Examples:" section for the end of a command's help: `.addHelpText('after', examples(`…`))`. */
export function examples(text: string): string {
  const lines = text
    .trim()
    .split('\n')
    .map((l) => (l.trim() ? `  ${l.trim()}` : ''));
  return `\nExamples:\n${lines.join('\n')}`;
}

/** "drover rollout status": the words that run the command. */
export function commandPath(cmd: Command): string {
  const words: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) words.unshift(c.name());
  return words.join(' ');
}

/** The hint appended to a usage error made in `cmd`. */
export function helpHint(cmd: Command): string {
  return `(run ${commandPath(cmd)} --help for usage)`;
}

/** Every command in the tree, the root first. */
export function allCommands(root: Command): Command[] {
  return [root, ...root.commands.flatMap(allCommands)];
}

/**
 * Commander's own usage errors (unknown option, missing argument, bad value) end with the hint
 * of the command they were made in, on the same line.
 */
export function pointUsageErrorsToHelp(root: Command): void {
  for (const cmd of allCommands(root)) {
    cmd.showHelpAfterError(false);
    cmd.configureOutput({ outputError: (text, write) => write(`${text.trimEnd()} ${helpHint(cmd)}\n`) });
  }
}
