// `drover completion bash|zsh|fish`: scripts generated from the command tree (commands, their
// subcommands and options), which complete object names by asking the server through the
// hidden `drover __complete KIND` — quietly nothing when the server cannot be reached.
import type { Command } from 'commander';
import { clientFor } from './config.js';
import { examples } from './help.js';
import { kindPlurals, kindWords, resolveKind, resourceOf } from './kinds.js';
import { UsageError } from './output.js';

// A completion that makes the shell wait is worse than none.
const COMPLETION_TIMEOUT_MS = 2_000;

export function registerCompletionCommands(program: Command): void {
  program
    .command('completion')
    .description('print a shell completion script: source <(drover completion bash)')
    .argument('<shell>', 'bash, zsh or fish')
    .addHelpText(
      'after',
      examples(`
        drover completion bash > ~/.local/share/bash-completion/completions/drover
        source <(drover completion bash)                # this shell only
        drover completion zsh > "\${fpath[1]}/_drover"   # zsh
        drover completion fish | source                  # fish
        drover get svc <TAB>                             # completes service names from the server`),
    )
    .action((shell: string) => {
      const tree = commandTree(program);
      if (shell === 'bash') process.stdout.write(bashScript(tree));
      else if (shell === 'zsh') process.stdout.write(`#compdef drover\nautoload -U +X bashcompinit && bashcompinit\n${bashScript(tree)}`);
      else if (shell === 'fish') process.stdout.write(fishScript(tree));
      else throw new UsageError(`completion supports bash, zsh and fish, not "${shell}"`);
    });

  program
    .command('__complete', { hidden: true })
    .description('print the names of the objects of a kind, for shell completion')
    .argument('<kind>', 'a kind, as in drover get KIND')
    .action(async (kindArg: string, _opts: unknown, cmd: Command) => {
      try {
        const kind = resolveKind(kindArg);
        const client = clientFor(cmd, { defaultTimeoutMs: COMPLETION_TIMEOUT_MS });
        for (const o of (await resourceOf(client, kind).listAll()).items) process.stdout.write(`${o.metadata.name}\n`);
      } catch {
        // an unknown kind or an unreachable server: nothing to offer, and nothing to say
      }
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

// Where object names are completed, and of which kind: after a kind word (get svc <TAB>), after
// KIND/ (get svc/<TAB>), or always one kind (logs <TAB> completes tasks).
const AFTER_KIND = ['get', 'describe', 'delete', 'edit', 'wait', 'label', 'scale'];
const FIXED_KIND: Record<string, string> = { logs: 'tasks', exec: 'tasks', kill: 'tasks', rollout: 'services', cordon: 'machines', uncordon: 'machines', drain: 'machines' };

function bashScript(root: CommandNode): string {
  const cases = root.subcommands
    .map((c) => {
      const words = [...c.subcommands.map((s) => s.name), ...c.options, ...(AFTER_KIND.includes(c.name) ? kindPlurals() : [])];
      return `    ${c.name}) words="${words.join(' ')}" ;;`;
    })
    .join('\n');
  const fixed = Object.entries(FIXED_KIND)
    .map(([cmd, kind]) => `    ${cmd}) ${cmd === 'rollout' ? '[ -n "$sub" ] && ' : '[ -z "$sub" ] && '}{ _drover_names ${kind} "$cur"; return; } ;;`)
    .join('\n');
  return `# drover bash completion: source <(drover completion bash)
_drover_is_kind() {
  case "$1" in ${kindWords().join('|')}) return 0 ;; esac
  return 1
}
# Object names from the server the command line points at (nothing if it cannot be reached).
_drover_names() {
  local names
  names="$(drover "\${_drover_conn[@]}" __complete "$1" 2>/dev/null)"
  COMPREPLY=( $(compgen -P "$3" -W "$names" -- "$2") )
}
_drover() {
  local cur cmd sub words w i
  local -a _drover_conn
  cur="\${COMP_WORDS[COMP_CWORD]}"
  cmd=""; sub=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    case "$w" in
      --server|--context|--request-timeout) _drover_conn+=("$w" "\${COMP_WORDS[i+1]}"); ((i++)) ;;
      -*) ;;
      *) if [ -z "$cmd" ]; then cmd="$w"; elif [ -z "$sub" ]; then sub="$w"; fi ;;
    esac
  done
  case "$cmd" in
    ${AFTER_KIND.join('|')})
      if [[ "$cur" == */* ]] && _drover_is_kind "\${cur%%/*}"; then _drover_names "\${cur%%/*}" "\${cur#*/}" "\${cur%%/*}/"; return; fi
      if [ -n "$sub" ] && [[ "$sub" != */* ]] && _drover_is_kind "$sub"; then _drover_names "$sub" "$cur"; return; fi ;;
${fixed}
  esac
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
    if (AFTER_KIND.includes(c.name)) {
      lines.push(`complete -c drover -n "__fish_seen_subcommand_from ${c.name}" -a ${q(kindPlurals().join(' '))}`);
      // The word after the kind: that kind's names.
      lines.push(`complete -c drover -n "__fish_seen_subcommand_from ${c.name}; and test (count (commandline -opc)) -eq 3" -a "(drover __complete (commandline -opc)[3] 2>/dev/null)"`);
    }
    const kind = FIXED_KIND[c.name];
    if (kind) lines.push(`complete -c drover -n "__fish_seen_subcommand_from ${c.name}" -a "(drover __complete ${kind} 2>/dev/null)"`);
  }
  return lines.join('\n') + '\n';
}
