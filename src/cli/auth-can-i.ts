// `drover auth can-i VERB KIND[/NAME] [-n NS | -A]`: asks the server whether the caller may do
// something (kubectl auth can-i). Prints yes or no; exits 0 for yes, 1 for no.
import type { Command } from 'commander';
import { clientFor } from './config.js';
import { examples } from './help.js';
import { resolveKind, type CliKind } from './kinds.js';
import { UsageError } from './output.js';

const SUBRESOURCES = new Set(['log', 'exec', 'kill', 'status', 'root', 'bind']);

export function registerAuthCommands(program: Command): void {
  const auth = program
    .command('auth')
    .description('inspect what you may do')
    .addHelpText(
      'after',
      examples(`
        drover auth can-i create services -n prod   # yes or no, from the server`),
    );
  auth
    .command('can-i')
    .description('whether you may use VERB on KIND (or KIND/NAME, or a subresource like tasks/log): prints yes or no, exits 0 or 1')
    .argument('<verb>', 'get, list, watch, create, update, patch or delete')
    .argument('<kind>', 'services, svc/web, tasks/log, tasks/root…')
    .addHelpText(
      'after',
      examples(`
        drover auth can-i create services -n prod
        drover auth can-i create tasks/root          # may my tasks run as root?
        drover auth can-i list services -A           # in every namespace?`),
    )
    .action(async (verb: string, kindArg: string, _opts: unknown, cmd: Command) => {
      const client = clientFor(cmd);
      const { kind, subresource, name } = parseTarget(kindArg);
      const flags = cmd.optsWithGlobals<{ allNamespaces?: boolean }>();
      const query: Record<string, string> = { verb, resource: subresource ? `${kind.plural}/${subresource}` : kind.plural };
      if (name) query.name = name;
      if (kind.namespaced && client.options.namespace !== undefined) query.namespace = client.options.namespace;
      if (flags.allNamespaces) query.allNamespaces = 'true';
      const res = await client.request<{ status: { allowed: boolean } }>('GET', '/api/v1/auth/can-i', { query });
      console.log(res.body.status.allowed ? 'yes' : 'no');
      if (!res.body.status.allowed) process.exitCode = 1;
    });
}

/** "services", "svc/web", "tasks/log" (a subresource), "tasks/log/NAME" is not a thing: NAME after a kind only. */
function parseTarget(arg: string): { kind: CliKind; subresource?: string; name?: string } {
  const [first, second, ...rest] = arg.split('/');
  if (rest.length) throw new UsageError(`expected KIND, KIND/NAME or KIND/SUBRESOURCE, got "${arg}"`);
  const kind = resolveKind(first!);
  if (second === undefined || second === '') return { kind };
  return SUBRESOURCES.has(second) ? { kind, subresource: second } : { kind, name: second };
}
