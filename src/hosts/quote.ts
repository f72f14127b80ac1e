// SSH runs one command string through the remote user's shell: every argument is quoted here,
// so an address, a path or a token can never become shell syntax.

/** `arg` as one POSIX shell word: bare when it is only safe characters, else in single quotes. */
export function shellWord(arg: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** A command line of quoted words: what the remote shell splits back into exactly `args`. */
export function shellCommand(args: readonly string[]): string {
  if (args.length === 0) throw new Error('a command needs at least its program');
  return args.map(shellWord).join(' ');
}
