// `drover edit KIND/NAME`: the object in $EDITOR as YAML, written back on save with the revision
// it was read at (so a change made meanwhile is a conflict, not lost). When the server refuses
// the edit, the file opens again with the errors as comments at the top, as kubectl does; an
// unchanged or emptied file cancels.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { Command } from 'commander';
import { parse } from 'yaml';
import { ApiError } from '../client/index.js';
import type { Client, Service } from '../client/client.js';
import type { AnyObject } from '../model/index.js';
import { rememberTemplate } from './apply-object.js';
import { clientFor } from './config.js';
import { errorLines } from './error-text.js';
import { examples } from './help.js';
import { parseRef, resolveKind, resourceOf, type CliKind } from './kinds.js';
import { resolveMachineName } from './machine-names.js';
import { toJson, toYaml, UsageError } from './output.js';

const HEADER = `# Please edit the object below. Lines beginning with a '#' will be ignored,
# and an empty file will abort the edit. If an error occurs while saving, this file will be
# reopened with the relevant failures.
#
`;

/** The editor command: DROVER_EDITOR, then EDITOR, then VISUAL, then vi. */
export function editorCommand(env: NodeJS.ProcessEnv = process.env): string {
  return env.DROVER_EDITOR || env.EDITOR || env.VISUAL || 'vi';
}

function runEditor(file: string): void {
  const editor = editorCommand();
  // Through the shell: EDITOR is often a command with arguments ("code --wait").
  const r = spawnSync('/bin/sh', ['-c', `${editor} "$1"`, 'sh', file], { stdio: 'inherit' });
  if (r.error) throw new Error(`cannot start the editor "${editor}": ${r.error.message}; set EDITOR to one that exists`);
  if (r.status !== 0) throw new Error(`the editor "${editor}" exited with ${r.status ?? r.signal}; nothing was changed`);
}

const withoutComments = (text: string) =>
  text
    .split('\n')
    .filter((l) => !l.trimStart().startsWith('#'))
    .join('\n');

function errorHeader(ref: string, lines: string[]): string {
  return `${HEADER}# ${ref} was not saved:\n${lines.map((l) => `# ${l}`).join('\n')}\n#\n`;
}

const sameMeta = (a: AnyObject, b: AnyObject, key: 'labels' | 'annotations') => isDeepStrictEqual(a.metadata[key] ?? {}, b.metadata[key] ?? {});

type Parsed = { object: AnyObject } | { problem: string };

function parseEdited(text: string, original: AnyObject): Parsed {
  let value: unknown;
  try {
    value = parse(text);
  } catch (err) {
    return { problem: `not valid YAML: ${(err as Error).message.split('\n')[0]}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { problem: 'expected one object with apiVersion, kind, metadata and spec' };
  const obj = value as AnyObject;
  if (obj.kind !== original.kind) return { problem: `kind cannot change (was ${original.kind}, now ${String(obj.kind)}); create a new object with drover apply` };
  if (obj.metadata?.name !== original.metadata.name) return { problem: `metadata.name cannot change (was "${original.metadata.name}", now "${String(obj.metadata?.name)}"); create a new object with drover apply` };
  return { object: obj };
}

async function edit(client: Client, kind: CliKind, name: string, format: 'yaml' | 'json'): Promise<void> {
  const res = resourceOf(client, kind);
  const original = await res.get(name);
  const ref = `${kind.singular}/${name}`;
  const dir = mkdtempSync(join(tmpdir(), 'drover-edit-'));
  const file = join(dir, `${kind.singular}-${name.replace(/[^A-Za-z0-9._-]/g, '_')}.${format}`);
  let shown = HEADER + (format === 'json' ? toJson(original) : toYaml(original));
  let isKept = false;
  try {
    for (let round = 0; ; round++) {
      writeFileSync(file, shown, { mode: 0o600 });
      runEditor(file);
      const text = withoutComments(readFileSync(file, 'utf8'));
      if (!text.trim()) return void console.log('Edit cancelled, no changes made');
      const parsed = parseEdited(text, original);
      if ('object' in parsed && isDeepStrictEqual(parsed.object, original)) return void console.log('Edit cancelled, no changes made');
      if (round > 0 && text === withoutComments(shown)) {
        isKept = true;
        throw new Error(`edit cancelled: ${ref} is still not valid and the file was saved unchanged; your version is in ${file}`);
      }
      if ('problem' in parsed) {
        shown = errorHeader(ref, [parsed.problem]) + text;
        continue;
      }
      try {
        const { object } = await res.replace(parsed.object as AnyObject & { metadata: { name: string } }, { ifMatch: original.metadata.revision });
        // Not the revision: the status side (which edit cannot change) moves it too.
        const isChanged = object.metadata.generation !== original.metadata.generation || !sameMeta(object, original, 'labels') || !sameMeta(object, original, 'annotations');
        if (kind.plural === 'services') await rememberTemplate(client, original as Service, object as Service);
        console.log(`${ref} ${isChanged ? 'edited' : 'unchanged'}`);
        return;
      } catch (err) {
        if (err instanceof ApiError && err.code === 412) {
          isKept = true;
          throw new Error(`${ref} was changed by someone else after you opened it (revision ${original.metadata.revision}); nothing was saved; your version is in ${file}: run drover edit ${ref} again`);
        }
        if (!(err instanceof ApiError) || ![400, 409, 422].includes(err.code)) {
          isKept = true;
          throw Object.assign(err as Error, { message: `${(err as Error).message}; your version is in ${file}` });
        }
        shown = errorHeader(ref, errorLines(err)) + text;
      }
    }
  } finally {
    if (!isKept) rmSync(dir, { recursive: true, force: true });
  }
}

export function registerEditCommand(program: Command): void {
  program
    .command('edit')
    .description('edit an object in $EDITOR (then $VISUAL, then vi) and save it back; refused edits reopen with the errors')
    .argument('<target>', 'KIND/NAME, or KIND followed by NAME')
    .argument('[name]', 'the object\'s name, after a kind')
    .option('-o, --output <format>', 'yaml or json: the format to edit in', 'yaml')
    .addHelpText(
      'after',
      examples(`
        drover edit service/web
        drover edit svc web -o json
        EDITOR='code --wait' drover edit machine/1a2b3c4d`),
    )
    .action(async (target: string, nameArg: string | undefined, opts: { output: string }, cmd: Command) => {
      if (opts.output !== 'yaml' && opts.output !== 'json') throw new UsageError(`-o must be yaml or json, got "${opts.output}"`);
      const ref = target.includes('/') ? parseRef(target) : { kind: resolveKind(target), name: nameArg };
      if (!ref.name) throw new UsageError(`edit needs a name: drover edit ${ref.kind.singular}/NAME`);
      const client = clientFor(cmd);
      const name = ref.kind.plural === 'machines' ? await resolveMachineName(client, ref.name) : ref.name;
      await edit(client, ref.kind, name, opts.output);
    });
}
