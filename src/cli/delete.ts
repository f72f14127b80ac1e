// `drover delete`: objects removed by name, by selector, all of a kind, or as manifests name
// them; --wait returns only when they are really gone — a task when its agent has stopped it, a
// service when its tasks are gone too. The server removes a service at once and its tasks after
// (its controller deletes them, their agents stop them): waiting for the service alone returned
// while its tasks still ran.
import type { Command } from 'commander';
import type { Client } from '../client/client.js';
import type { AnyObject } from '../model/index.js';
import { clientFor } from './config.js';
import { printError } from './error-text.js';
import { examples } from './help.js';
import { parseRef, resolveKind, resourceOf, type CliKind } from './kinds.js';
import { resolveMachineName } from './machine-names.js';
import { readManifests, requireNoProblems } from './manifests.js';
import { parseDuration, ProgressLine, sleep, UsageError } from './output.js';

interface DeleteOptions {
  filename?: string[];
  selector?: string;
  all?: boolean;
  ignoreNotFound?: boolean;
  wait?: boolean;
  timeout: string;
}

interface Target {
  kind: CliKind;
  name: string;
  /** The object's namespace when it names one (a manifest's, a listed object's). */
  namespace?: string;
}

export function registerDeleteCommand(program: Command): void {
  program
    .command('delete')
    .description('delete objects: delete KIND NAME..., delete KIND/NAME, delete KIND --all, delete -l SELECTOR KIND, or delete -f FILE')
    .argument('[kind]', 'machines, services, tasks, operations (or KIND/NAME)')
    .argument('[names...]', 'names to delete')
    .option('-f, --filename <path...>', 'delete the objects these manifests name')
    .option('-l, --selector <selector>', 'delete every object of the kind whose labels match')
    .option('--all', 'delete every object of the kind (with -l, every one that matches)')
    .option('--ignore-not-found', 'an object that does not exist is not an error')
    .option('--wait', 'wait until the objects are really gone: tasks stopped, and a deleted service\'s tasks gone too')
    .option('--timeout <duration>', 'with --wait, how long to wait', '60s')
    .addHelpText(
      'after',
      examples(`
        drover delete svc web                    # service/web deleted
        drover delete task/hello task/bye
        drover delete svc --all                  # every service, each reported
        drover delete tasks --all -l app=batch   # every task labelled app=batch
        drover delete -f manifests/ --wait       # and wait until their tasks have stopped`),
    )
    .action(async (kindArg: string | undefined, names: string[], opts: DeleteOptions, cmd: Command) => {
      const timeoutMs = parseDuration(opts.timeout, '--timeout');
      const client = clientFor(cmd);
      const targets = await chooseTargets(client, kindArg, names, opts);
      if (targets.length === 0) {
        console.error(`no ${kindArg ? resolveKind(kindArg).plural : 'objects'} found${opts.selector ? ` matching ${opts.selector}` : ''}`);
        return;
      }
      let failures = 0;
      const deleted: AnyObject[] = [];
      for (const t of targets) {
        try {
          deleted.push(await resourceOf(client, t.kind, t.namespace).delete(t.name));
          console.log(`${t.kind.singular}/${t.name} deleted`);
        } catch (err) {
          if ((err as { code?: number }).code !== 404) throw err;
          if (opts.ignoreNotFound) continue;
          if (targets.length === 1) throw err;
          printError(err);
          failures++;
        }
      }
      if (opts.wait) await waitGone(client, deleted, timeoutMs, opts.timeout);
      if (failures) throw Object.assign(new Error('some objects were not deleted'), { reported: true });
    });
}

async function chooseTargets(client: Client, kindArg: string | undefined, names: string[], opts: DeleteOptions): Promise<Target[]> {
  if (opts.filename) {
    if (kindArg) throw new UsageError('give either -f FILE or KIND NAME, not both');
    return requireNoProblems(readManifests(opts.filename)).map((m) => ({ kind: m.kind, name: m.object.metadata.name, namespace: m.object.metadata.namespace }));
  }
  if (!kindArg) throw new UsageError('delete needs KIND NAME..., KIND/NAME, KIND --all or -f FILE');
  if (kindArg.includes('/')) {
    if (opts.all || opts.selector) throw new UsageError('give either KIND/NAME or --all / -l SELECTOR, not both');
    return [kindArg, ...names].map((a) => parseRef(a));
  }
  const kind = resolveKind(kindArg);
  if (opts.all || opts.selector) {
    if (names.length) throw new UsageError(`give either names or ${opts.all ? '--all' : '-l SELECTOR'}, not both`);
    // With -A the list spans namespaces: each object is deleted in its own.
    return (await resourceOf(client, kind).listAll({ labelSelector: opts.selector })).items.map((o) => ({ kind, name: o.metadata.name, namespace: o.metadata.namespace }));
  }
  if (names.length === 0) throw new UsageError(`delete ${kindArg} needs NAME..., --all, -l SELECTOR, or use -f FILE`);
  const out: Target[] = [];
  for (const n of names) out.push({ kind, name: kind.plural === 'machines' ? await resolveMachineName(client, n) : n });
  return out;
}

const SERVICE = { kind: 'Service', plural: 'services', singular: 'service', namespaced: true };

/** Until every deleted object is gone (by uid: a recreated one of the same name does not count), and every deleted service's tasks too. */
async function waitGone(client: Client, deleted: AnyObject[], timeoutMs: number, timeoutText: string): Promise<void> {
  const progress = new ProgressLine();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left: string[] = [];
    for (const obj of deleted) {
      const kind = resolveKind(obj.kind);
      const now = await resourceOf(client, kind, obj.metadata.namespace).find(obj.metadata.name);
      if (now?.metadata.uid === obj.metadata.uid) left.push(`${kind.singular}/${obj.metadata.name}`);
      if (kind.plural === SERVICE.plural) {
        const tasks = await ownedTasks(client, obj);
        if (tasks.length) left.push(`${tasks.length} task${tasks.length === 1 ? '' : 's'} of service/${obj.metadata.name}`);
      }
    }
    if (left.length === 0) break;
    if (Date.now() > deadline) {
      progress.done();
      throw new Error(`timed out after ${timeoutText} waiting for ${left.join(', ')} to be gone`);
    }
    progress.update(`waiting for ${left.slice(0, 3).join(', ')}${left.length > 3 ? ` and ${left.length - 3} more` : ''} to be gone`);
    await sleep(200);
  }
  progress.done();
}

/** The tasks a (deleted) service owned: by its uid, since a new service of that name owns others. */
async function ownedTasks(client: Client, svc: AnyObject): Promise<AnyObject[]> {
  const named = await client.tasks.in(svc.metadata.namespace).listAll({ fieldSelector: `metadata.owner=${svc.metadata.name}` });
  return named.items.filter((t) => t.metadata.ownerReferences?.some((r) => r.uid === svc.metadata.uid));
}
