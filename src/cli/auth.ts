// `drover token`, `drover user`: credentials, through the API (an administrator's context).
import type { Command } from 'commander';
import type { TokenView, UserView } from '../model/index.js';
import { clientFor } from './config.js';
import { examples } from './help.js';
import { age, parseDuration, printTable, UsageError } from './output.js';

const collect = (v: string, prev: string[]) => [...prev, v];

export function registerCredentialCommands(program: Command): void {
  const token = program
    .command('token')
    .description('bearer tokens: create (printed once), list, revoke')
    .addHelpText(
      'after',
      examples(`
        drover token create --user ann --group ops --ttl 24h
        drover token create --agent          # a join token for drover agent --join-token
        drover token list
        drover token revoke 3f2a9c1d0e4b5a67`),
    );
  token
    .command('create')
    .description('create a token and print it (only its hash is kept: it cannot be shown again)')
    .addHelpText('after', examples(`
        drover token create --user ann --group ops --ttl 24h > ann.token
        drover token create --agent          # a join token for drover agent --join-token`))
    .option('--user <name>', 'the user the token authenticates as (default: yourself)')
    .option('--group <group>', 'a group of that user (repeatable)', collect, [])
    .option('--ttl <duration>', 'expire after this long, e.g. 24h or 30d (default: never; --agent: 24h)')
    .option('--agent', 'a join token: an agent exchanges it for its own certificate on first start')
    .option('--description <text>', 'what the token is for')
    .action(async (opts: { user?: string; group: string[]; ttl?: string; agent?: boolean; description?: string }, cmd: Command) => {
      if (opts.agent && (opts.user || opts.group.length)) throw new UsageError('--agent makes a join token: it has no --user or --group (the agent gets its own identity)');
      const ttlMs = opts.ttl ? parseDuration(opts.ttl, '--ttl') : opts.agent ? 24 * 3_600_000 : undefined;
      if (ttlMs !== undefined && ttlMs <= 0) throw new UsageError(`--ttl must be longer than 0, got "${opts.ttl}"`);
      const body = {
        ...(opts.agent ? { user: 'system:bootstrap', purpose: 'join' } : {}),
        ...(opts.user ? { user: opts.user, groups: opts.group } : opts.group.length ? { groups: opts.group } : {}),
        ...(ttlMs !== undefined ? { ttlSeconds: Math.round(ttlMs / 1000) } : {}),
        ...(opts.description ? { description: opts.description } : {}),
      };
      const res = await clientFor(cmd).request<TokenView & { token: string }>('POST', '/api/v1/tokens', { body });
      console.log(res.body.token);
      const t = res.body;
      process.stderr.write(
        opts.agent
          ? `join token ${t.name}${t.expiresAt ? `, expires ${t.expiresAt}` : ''}: drover agent --server URL --join-token <token> --ca-file <the server's pki/ca.crt>\n`
          : `token ${t.name} for user "${t.user}"${t.groups.length ? ` (groups ${t.groups.join(', ')})` : ''}${t.expiresAt ? `, expires ${t.expiresAt}` : ''}; it is not shown again\n`,
      );
    });
  token
    .command('list')
    .description('list tokens (never their secrets)')
    .addHelpText('after', examples(`
        drover token list`))
    .action(async (_opts, cmd: Command) => {
      const list = (await clientFor(cmd).request<{ items: TokenView[] }>('GET', '/api/v1/tokens')).body.items;
      printTable(
        ['NAME', 'USER', 'GROUPS', 'EXPIRES', 'PURPOSE', 'AGE'],
        list.map((t) => [t.name, t.user, t.groups.join(',') || '-', t.expiresAt ?? 'never', t.purpose ?? '-', age(t.createdAt)]),
      );
    });
  token
    .command('revoke <name...>')
    .description('revoke tokens by name (the first part of drover token list): they are refused from now on')
    .addHelpText('after', examples(`
        drover token revoke 3f2a9c1d0e4b5a67`))
    .action(async (names: string[], _opts, cmd: Command) => {
      const client = clientFor(cmd);
      for (const name of names) {
        await client.request('DELETE', `/api/v1/tokens/${encodeURIComponent(name)}`);
        console.log(`token ${name} revoked`);
      }
    });

  const user = program
    .command('user')
    .description('users who log in with a password (HTTP basic): add, passwd, delete, list')
    .addHelpText(
      'after',
      examples(`
        drover user add ann --group ops < pass.txt   # the password is the first line of stdin
        drover user passwd ann < newpass.txt
        drover user list
        drover user delete ann`),
    );
  user
    .command('add <name>')
    .description('add a user; the password is the first line of stdin')
    .addHelpText('after', examples(`
        drover user add ann --group ops < pass.txt`))
    .option('--group <group>', 'a group of the user (repeatable)', collect, [])
    .action(async (name: string, opts: { group: string[] }, cmd: Command) => {
      const password = await readPassword();
      await clientFor(cmd).request<UserView>('POST', '/api/v1/users', { body: { name, password, groups: opts.group } });
      console.log(`user ${name} added`);
    });
  user
    .command('passwd <name>')
    .description('set a user\'s password (the first line of stdin)')
    .addHelpText('after', examples(`
        drover user passwd ann < newpass.txt
        drover user passwd ann --group ops --group dev < newpass.txt`))
    .option('--group <group>', 'replace the user\'s groups (repeatable)', collect, [])
    .action(async (name: string, opts: { group: string[] }, cmd: Command) => {
      const password = await readPassword();
      await clientFor(cmd).request<UserView>('PUT', `/api/v1/users/${encodeURIComponent(name)}/password`, { body: { password, ...(opts.group.length ? { groups: opts.group } : {}) } });
      console.log(`password of ${name} changed`);
    });
  user
    .command('delete <name...>')
    .description('delete users')
    .addHelpText('after', examples(`
        drover user delete ann`))
    .action(async (names: string[], _opts, cmd: Command) => {
      const client = clientFor(cmd);
      for (const name of names) {
        await client.request('DELETE', `/api/v1/users/${encodeURIComponent(name)}`);
        console.log(`user ${name} deleted`);
      }
    });
  user
    .command('list')
    .description('list users (never their password hashes)')
    .addHelpText('after', examples(`
        drover user list`))
    .action(async (_opts, cmd: Command) => {
      const list = (await clientFor(cmd).request<{ items: UserView[] }>('GET', '/api/v1/users')).body.items;
      printTable(['NAME', 'GROUPS', 'AGE'], list.map((u) => [u.name, u.groups.join(',') || '-', age(u.createdAt)]));
    });
}

/** The first line of stdin (a prompt on the terminal; the password is echoed there: pipe it in to avoid that). */
async function readPassword(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('password: ');
  let text = '';
  for await (const chunk of process.stdin) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  const password = text.split('\n')[0]!.replace(/\r$/, '');
  if (!password) throw new UsageError('no password on stdin: pipe it in, e.g. echo "$PASSWORD" | drover user add NAME');
  return password;
}
