// `drover apply -f` and `drover delete`: manifests (YAML or JSON, several documents, a List, a
// directory of them, or stdin) made true idempotently, and objects removed by manifest or name.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { Command } from 'commander';
import { parseAllDocuments } from 'yaml';
import type { Client, Service } from '../client/client.js';
import type { AnyObject } from '../model/index.js';
import { clientFor } from './config.js';
import { kindOfManifest, parseRef, resolveKind, resourceOf, type CliKind } from './kinds.js';
import { resolveMachineName } from './machine-names.js';
import { colourState, parseDuration, ProgressLine, sleep, UsageError } from './output.js';

/** The template a service ran before its last change through the CLI: what `rollout undo` restores. */
export const PREVIOUS_TEMPLATE_ANNOTATION = 'drover.io/previous-template';

interface Manifest {
  kind: CliKind;
  object: AnyObject;
  source: string;
}

function filesIn(path: string): string[] {
  if (path === '-') return ['-'];
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new Error(`cannot read "${path}": no such file or directory`);
  }
  if (!st.isDirectory()) return [path];
  return readdirSync(path)
    .filter((n) => /\.(ya?ml|json)$/.test(n))
    .sort()
    .map((n) => join(path, n));
}

/** Every object in the files (a List's items are its objects), checked for kind and name. */
export function readManifests(paths: string[]): Manifest[] {
  const out: Manifest[] = [];
  for (const file of paths.flatMap(filesIn)) {
    const text = file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8');
    const docs = parseAllDocuments(text);
    const list = Array.isArray(docs) ? docs : [docs];
    list.forEach((doc, i) => {
      const where = `${file === '-' ? 'stdin' : file}${list.length > 1 ? ` (document ${i + 1})` : ''}`;
      if (doc.errors.length) throw new Error(`${where}: ${doc.errors[0]!.message.split('\n')[0]}`);
      const value = doc.toJS() as unknown;
      if (value === null || value === undefined) return;
      const objects = isList(value) ? (value as { items: unknown[] }).items : [value];
      for (const o of objects) out.push(checkManifest(o, where));
    });
  }
  return out;
}

function isList(v: unknown): boolean {
  return typeof v === 'object' && v !== null && typeof (v as { kind?: unknown }).kind === 'string' && (v as { kind: string }).kind.endsWith('List') && Array.isArray((v as { items?: unknown }).items);
}

function checkManifest(o: unknown, where: string): Manifest {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new Error(`${where}: expected an object with kind, metadata.name and spec`);
  const obj = o as AnyObject;
  if (typeof obj.kind !== 'string') throw new Error(`${where}: kind is missing; add e.g. "kind: Service"`);
  const kind = kindOfManifest(obj.kind);
  if (!kind) throw new Error(`${where}: unknown kind "${obj.kind}"; use Machine, Service, Task or Operation`);
  if (typeof obj.metadata?.name !== 'string' || !obj.metadata.name) throw new Error(`${where}: metadata.name is missing`);
  return { kind, object: obj, source: where };
}

export type ApplyOutcome = 'created' | 'configured' | 'unchanged';

/**
 * Create or replace the spec side. Labels in the manifest replace the object's labels (when the
 * manifest has any); annotations are merged, so the CLI's own (the previous template) survive.
 * "unchanged" is the server's word: a PUT that changes nothing keeps the revision.
 */
export async function applyObject(client: Client, kind: CliKind, obj: AnyObject): Promise<{ outcome: ApplyOutcome; object: AnyObject }> {
  const res = resourceOf(client, kind);
  const current = await res.find(obj.metadata.name);
  const body: AnyObject = { ...obj, apiVersion: obj.apiVersion ?? 'drover/v1', metadata: { ...obj.metadata } };
  delete (body as { status?: unknown }).status;
  for (const k of ['uid', 'revision', 'generation', 'createdAt', 'updatedAt', 'deletionTimestamp'] as const) delete body.metadata[k];
  if (current) {
    body.metadata.labels = obj.metadata.labels ?? current.metadata.labels;
    const annotations = { ...current.metadata.annotations, ...obj.metadata.annotations };
    if (Object.keys(annotations).length) body.metadata.annotations = annotations;
    body.metadata.ownerReferences ??= current.metadata.ownerReferences;
    if (kind.plural === 'machines' && body.spec === undefined) body.spec = current.spec;
  }
  const { object, created } = await res.replace(body as AnyObject & { metadata: { name: string } });
  if (created) return { outcome: 'created', object };
  // Not the revision: a status write between our GET and PUT would bump it.
  const isSame = object.metadata.generation === current!.metadata.generation && sameJson(object.metadata.labels, current!.metadata.labels) && sameJson(object.metadata.annotations, current!.metadata.annotations);
  if (isSame) return { outcome: 'unchanged', object };
  if (kind.plural === 'services') await rememberTemplate(client, current as Service, object as Service);
  return { outcome: 'configured', object };
}

function sameJson(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(a ?? {}, b ?? {});
}

/** After a template change, record the old template for `rollout undo`. */
export async function rememberTemplate(client: Client, before: Service, after: Service): Promise<void> {
  if (JSON.stringify(before.spec.template) === JSON.stringify(after.spec.template)) return;
  await client.services.patch(after.metadata.name, { metadata: { annotations: { [PREVIOUS_TEMPLATE_ANNOTATION]: JSON.stringify(before.spec.template) } } });
}

export function registerApplyCommands(program: Command): void {
  program
    .command('apply')
    .description('create or update objects from manifests (YAML or JSON, several documents per file); prints created, configured or unchanged')
    .requiredOption('-f, --filename <path...>', 'file, directory of .yaml/.yml/.json files, or - for stdin')
    .option('-o, --output <format>', 'name: print only kind/name')
    .action(async (opts: { filename: string[]; output?: string }, cmd: Command) => {
      const manifests = readManifests(opts.filename);
      if (manifests.length === 0) throw new Error(`no objects found in ${opts.filename.join(', ')}`);
      const client = clientFor(cmd);
      for (const m of manifests) {
        const { outcome } = await applyObject(client, m.kind, m.object);
        console.log(opts.output === 'name' ? `${m.kind.singular}/${m.object.metadata.name}` : `${m.kind.singular}/${m.object.metadata.name} ${colourState(outcome)}`);
      }
    });

  program
    .command('delete')
    .description('delete objects: delete KIND NAME..., delete KIND/NAME, delete -l SELECTOR KIND, or delete -f FILE')
    .argument('[kind]', 'machines, services, tasks, operations (or KIND/NAME)')
    .argument('[names...]', 'names to delete')
    .option('-f, --filename <path...>', 'delete the objects these manifests name')
    .option('-l, --selector <selector>', 'delete every object of the kind whose labels match')
    .option('--ignore-not-found', 'an object that does not exist is not an error')
    .option('--wait', 'wait until the objects are really gone (tasks: their processes have stopped)')
    .option('--timeout <duration>', 'with --wait, how long to wait', '60s')
    .action(async (kindArg: string | undefined, names: string[], opts: { filename?: string[]; selector?: string; ignoreNotFound?: boolean; wait?: boolean; timeout: string }, cmd: Command) => {
      const targets: { kind: CliKind; name: string }[] = [];
      const client = clientFor(cmd);
      if (opts.filename) {
        if (kindArg) throw new UsageError('give either -f FILE or KIND NAME, not both');
        for (const m of readManifests(opts.filename)) targets.push({ kind: m.kind, name: m.object.metadata.name });
      } else if (kindArg?.includes('/')) {
        for (const a of [kindArg, ...names]) targets.push(parseRef(a));
      } else if (kindArg) {
        const kind = resolveKind(kindArg);
        if (opts.selector) {
          if (names.length) throw new UsageError('give either names or -l SELECTOR, not both');
          for (const o of (await resourceOf(client, kind).listAll({ labelSelector: opts.selector })).items) targets.push({ kind, name: o.metadata.name });
        } else {
          if (names.length === 0) throw new UsageError(`delete ${kindArg} needs NAME..., -l SELECTOR, or use -f FILE`);
          for (const n of names) targets.push({ kind, name: kind.plural === 'machines' ? await resolveMachineName(client, n) : n });
        }
      } else throw new UsageError('delete needs KIND NAME..., KIND/NAME or -f FILE');

      const timeoutMs = parseDuration(opts.timeout, '--timeout');
      let failed: Error | undefined;
      for (const t of targets) {
        try {
          await resourceOf(client, t.kind).delete(t.name);
          console.log(`${t.kind.singular}/${t.name} deleted`);
        } catch (err) {
          if ((err as { code?: number }).code === 404 && opts.ignoreNotFound) continue;
          if ((err as { code?: number }).code === 404 && targets.length > 1) {
            console.error(`error: ${(err as Error).message}`);
            failed = err as Error;
            continue;
          }
          throw err;
        }
      }
      if (opts.wait) {
        const progress = new ProgressLine();
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const left: string[] = [];
          for (const t of targets) if (await resourceOf(client, t.kind).find(t.name)) left.push(`${t.kind.singular}/${t.name}`);
          if (left.length === 0) break;
          if (Date.now() > deadline) throw new Error(`timed out after ${opts.timeout} waiting for ${left.join(', ')} to be deleted`);
          progress.update(`waiting for ${left.length} object${left.length === 1 ? '' : 's'} to be gone: ${left.slice(0, 3).join(', ')}`);
          await sleep(200);
        }
        progress.done();
      }
      if (failed) throw Object.assign(new Error('some objects were not deleted'), { reported: true });
    });
}
