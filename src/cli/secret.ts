// `drover secret create|get|rotate-key`: secrets from literals and files, shown without their
// values unless --show-values (which the server allows only to those with secrets/values).
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { AnyObject } from '../model/index.js';
import { clientFor } from './config.js';
import { examples } from './help.js';
import { columnsFor, resolveKind } from './kinds.js';
import { listOf, parseFormat, printable, printDocument, printTable, UsageError, type OutputFormat } from './output.js';

const collect = (v: string, all: string[]) => [...all, v];

/** "key=value" pairs and "key=path" files → the secret's data; a key given twice is a mistake. */
export function secretData(literals: string[], files: string[], readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): Record<string, string> {
  const data: Record<string, string> = {};
  const add = (flag: string, arg: string, value: (rest: string) => string) => {
    const eq = arg.indexOf('=');
    if (eq <= 0) throw new UsageError(`${flag} takes KEY=${flag === '--from-file' ? 'PATH' : 'VALUE'}, got "${arg}"`);
    const key = arg.slice(0, eq);
    if (Object.hasOwn(data, key)) throw new UsageError(`key "${key}" is given twice`);
    data[key] = value(arg.slice(eq + 1));
  };
  for (const l of literals) add('--from-literal', l, (v) => v);
  for (const f of files) {
    add('--from-file', f, (path) => {
      try {
        return readFile(path);
      } catch (err) {
        throw new UsageError(`--from-file: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
    });
  }
  return data;
}

export function registerSecretCommands(program: Command): void {
  const secret = program
    .command('secret')
    .description('create, show and re-key secrets (values tasks get as env variables or files)')
    .addHelpText(
      'after',
      examples(`
        drover secret create db --from-literal password=hunter2
        drover secret get db --show-values
        drover delete secret db`),
    );

  secret
    .command('create')
    .description('create a secret from literal values and files')
    .argument('<name>', "the secret's name")
    .option('--from-literal <key=value>', 'a key and its value (repeatable)', collect, [])
    .option('--from-file <key=path>', 'a key and the file whose content is its value (repeatable)', collect, [])
    .addHelpText(
      'after',
      examples(`
        drover secret create db --from-literal user=app --from-literal password=hunter2
        drover secret create tls --from-file cert=server.crt --from-file key=server.key`),
    )
    .action(async (name: string, opts: { fromLiteral: string[]; fromFile: string[] }, cmd: Command) => {
      const data = secretData(opts.fromLiteral, opts.fromFile);
      if (!Object.keys(data).length) throw new UsageError('give at least one --from-literal KEY=VALUE or --from-file KEY=PATH');
      await clientFor(cmd).resource('secrets').create({ metadata: { name }, spec: { data } });
      console.log(`secret/${name} created`);
    });

  secret
    .command('get')
    .description('list secrets, or show one; values only with --show-values')
    .argument('[name]', "a secret's name (default: every secret)")
    .option('--show-values', 'show the values (needs the secrets/values permission)')
    .option('-o, --output <format>', 'table, json or yaml', parseFormat, 'table' as OutputFormat)
    .addHelpText(
      'after',
      examples(`
        drover secret get                       # names and keys
        drover secret get db --show-values      # key=value lines (control characters escaped)
        drover secret get db --show-values -o json   # the exact values`),
    )
    .action(async (name: string | undefined, opts: { showValues?: boolean; output: OutputFormat }, cmd: Command) => {
      const client = clientFor(cmd);
      const query = opts.showValues ? { showValues: true } : {};
      const items = name
        ? [(await client.request<AnyObject>('GET', `/api/v1/secrets/${encodeURIComponent(name)}`, { query })).body]
        : (await client.request<{ items: AnyObject[] }>('GET', '/api/v1/secrets', { query })).body.items;
      if (opts.output === 'json' || opts.output === 'yaml') return printDocument(name ? items[0] : listOf('Secret', items), opts.output);
      if (name && opts.showValues) {
        for (const [k, v] of Object.entries((items[0]!.spec as { data?: Record<string, string> }).data ?? {})) console.log(`${printable(k)}=${printable(v)}`);
        return;
      }
      const columns = columnsFor(resolveKind('secrets'), false);
      printTable(columns.header, items.map((o) => columns.row(o, { now: Date.now() })));
    });

  secret
    .command('rotate-key')
    .description('seal every secret under a new key, then retire the old keys')
    .addHelpText(
      'after',
      examples(`
        drover secret rotate-key     # the server adds a key to its key file, re-encrypts, retires the old ones`),
    )
    .action(async (_opts: unknown, cmd: Command) => {
      const r = await clientFor(cmd).rotateSecretKey();
      console.log(`secrets sealed under ${r.keyId}: ${r.resealed} re-encrypted${r.retiredKeys.length ? `; retired ${r.retiredKeys.join(', ')}` : ''}`);
    });
}
