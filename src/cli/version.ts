// `drover version` (client and server) and `drover completion bash|zsh|fish`: static scripts
// listing the commands, their subcommands and options, generated from the command tree.
import type { Command } from 'commander';
import { version } from '../version.js';
import { clientFor, resolveServer } from './config.js';
import { UsageError } from './output.js';

export function registerVersionCommands(program: Command): void {
  program
    .command('version')
    .description('print the client version and, if reachable, the server\'s')
    .option('--client', 'only the client version (no request)')
    .option('-o, --output <format>', 'json for machine-readable output')
    .action(async (opts: { client?: boolean; output?: string }, cmd: Command) => {
      const client = { version, node: process.version };
      let server: { version: string; node: string; store: string } | undefined;
      let serverError: string | undefined;
      if (!opts.client) {
        try {
          server = await clientFor(cmd).version();
        } catch (err) {
          serverError = (err as Error).message;
        }
      }
      if (opts.output === 'json') {
        console.log(JSON.stringify({ client, ...(server ? { server } : {}), ...(serverError ? { serverError } : {}) }, null, 2));
      } else {
        console.log(`Client: drover ${version} (node ${process.version})`);
        if (server) console.log(`Server: drover ${server.version} (node ${server.node}, store ${server.store}) at ${resolveServer(cmd.optsWithGlobals()).server}`);
      }
      if (serverError) {
        process.stderr.write(`error: ${serverError}\n`);
        process.exitCode = 1;
      }
    });

  program
    .command('completion')
    .description('print a shell completion script: source <(drover completion bash)')
    .argument('<shell>', 'bash, zsh or fish')
    .action((shell: string) => {
      const tree = commandTree(program);
      if (shell === 'bash') process.stdout.write(bashScript(tree));
      else if (shell === 'zsh') process.stdout.write(`#compdef drover\nautoload -U +X bashcompinit && bashcompinit\n${bashScript(tree)}`);
      else if (shell === 'fish') process.stdout.write(fishScript(tree));
      else throw new UsageError(`completion supports bash, zsh and fish, not "${shell}"`);
    });
}

interface CommandNode {
  name: string;
  description: string;
  options: string[];
  subcommands: CommandNode[];
}

function commandTree(cmd: Command): CommandNode {
  return {
    name: cmd.name(),
    description: cmd.description(),
    options: cmd.options.flatMap((o) => [o.long, o.short].filter((f): f is string => !!f)),
    subcommands: cmd.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden).map(commandTree),
  };
}

const KINDS = 'machines services tasks operations';

function bashScript(root: CommandNode): string {
  const cases = root.subcommands
    .map((c) => {
      const words = [...c.subcommands.map((s) => s.name), ...c.options, ...(['get', 'describe', 'delete', 'wait'].includes(c.name) ? KINDS.split(' ') : [])];
      return `    ${c.name}) words="${words.join(' ')}" ;;`;
    })
    .join('\n');
  return `# drover bash completion: source <(drover completion bash)
_drover() {
  local cur cmd words
  cur="\${COMP_WORDS[COMP_CWORD]}"
  cmd=""
  for w in "\${COMP_WORDS[@]:1:COMP_CWORD-1}"; do
    case "$w" in -*) ;; *) cmd="$w"; break ;; esac
  done
  case "$cmd" in
    "") words="${root.subcommands.map((c) => c.name).join(' ')} ${root.options.join(' ')}" ;;
${cases}
    *) words="" ;;
  esac
  COMPREPLY=( $(compgen -W "$words" -- "$cur") )
  if [ \${#COMPREPLY[@]} -eq 0 ]; then COMPREPLY=( $(compgen -f -- "$cur") ); fi
}
complete -F _drover drover
`;
}

function fishScript(root: CommandNode): string {
  const q = (s: string) => `'${s.replace(/'/g, "\\'")}'`;
  const lines = ['# drover fish completion: drover completion fish | source', 'complete -c drover -f'];
  const top = root.subcommands.map((c) => c.name).join(' ');
  for (const c of root.subcommands) {
    lines.push(`complete -c drover -n "not __fish_seen_subcommand_from ${top}" -a ${c.name} -d ${q(c.description.split('\n')[0]!.slice(0, 80))}`);
    for (const s of c.subcommands) lines.push(`complete -c drover -n "__fish_seen_subcommand_from ${c.name}" -a ${s.name} -d ${q(s.description.slice(0, 80))}`);
    for (const o of c.options.filter((o) => o.startsWith('--'))) lines.push(`complete -c drover -n "__fish_seen_subcommand_from ${c.name}" -l ${o.slice(2)}`);
    if (['get', 'describe', 'delete', 'wait'].includes(c.name)) lines.push(`complete -c drover -n "__fish_seen_subcommand_from ${c.name}" -a ${q(KINDS)}`);
  }
  return lines.join('\n') + '\n';
}
