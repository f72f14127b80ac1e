// `drover get KIND [NAME]`: tables (kubectl's habits), json/yaml/name output, and -w to stream
// changes as rows — saying on stderr when the server is lost and when it is back.
import type { Command } from 'commander';
import type { Client, Task } from '../client/client.js';
import type { AnyObject } from '../model/index.js';
import { clientFor } from './config.js';
import { ConnectionNotice } from './connection-notice.js';
import { examples } from './help.js';
import { columnsFor, isLiveTask, parseRef, resolveKind, resourceOf, taskOrder, withNamespaceColumn, type CliKind, type Columns, type TableContext } from './kinds.js';
import { columnWidths, formatRow, listOf, parseFormat, printDocument, printTable, toYaml, UsageError, type OutputFormat } from './output.js';
import { resolveMachineName } from './machine-names.js';
import { eventOrder, eventsFor } from './event-views.js';

interface GetOptions {
  selector?: string;
  fieldSelector?: string;
  output: string;
  watch?: boolean;
  noHeaders?: boolean;
  for?: string;
}

export function registerGetCommand(program: Command): void {
  program
    .command('get')
    .description('list resources or show one: get machines | services | tasks | operations | datasets [NAME], or get service/web')
    .argument('<kind>', 'machines (machine, mach, node), services (svc), tasks (task, ps), operations (op), datasets (ds), leases, endpoints (ep), events (ev), ingresses (ing), jobs, cronjobs (cj); or KIND/NAME')
    .argument('[name]', 'one object by name')
    .option('-l, --selector <selector>', 'label selector, e.g. app=web,tier!=db')
    .option('--field-selector <selector>', 'field selector, e.g. spec.machine=ID or status.phase=Running')
    .option('-o, --output <format>', 'table, wide, json, yaml or name', 'table')
    .option('-w, --watch', 'after the current state, print every change as it happens')
    .option('--no-headers', 'omit the table header')
    .option('--for <kind/name>', 'events: only those about this object, e.g. task/web-x7k2')
    .addHelpText(
      'after',
      examples(`
        drover get svc                           # NAME  READY  DESIRED  STATE  AGE
        drover get service/web -o yaml           # one object, as PUT accepts it back
        drover get tasks -l app=web -o wide      # with machine, pid, exit status, command
        drover get tasks --field-selector status.phase=Failed
        drover get machines -w                   # then a row per change
        drover get events --for task/web-x7k2    # why it restarted, why it is not ready`),
    )
    .action(async (kindArg: string, nameArg: string | undefined, opts: GetOptions, cmd: Command) => {
      const format = parseFormat(opts.output);
      let kind: CliKind;
      let name = nameArg;
      if (kindArg.includes('/')) {
        const ref = parseRef(kindArg);
        kind = ref.kind;
        name = ref.name;
      } else kind = resolveKind(kindArg);
      if (opts.for !== undefined) {
        if (kind.plural !== 'events') throw new UsageError(`--for works with events, not ${kind.plural}`);
        const about = parseRef(opts.for);
        const selector = eventsFor(about.kind.kind, about.name);
        opts.fieldSelector = opts.fieldSelector ? `${opts.fieldSelector},${selector}` : selector;
      }
      const client = clientFor(cmd);
      if (kind.plural === 'machines' && name) name = await resolveMachineName(client, name);
      if (opts.watch) return watchObjects(client, kind, name, opts, format);
      const res = resourceOf(client, kind);
      if (name) {
        const obj = await res.get(name);
        return printObjects(client, kind, [obj], format, false, opts);
      }
      const list = await res.listAll({ labelSelector: opts.selector, fieldSelector: opts.fieldSelector });
      let items = list.items;
      if (kind.plural === 'tasks') items = [...(items as Task[])].sort(taskOrder);
      if (kind.plural === 'events') items = [...items].sort(eventOrder);
      if (items.length === 0 && (format === 'table' || format === 'wide')) {
        console.error(`no ${kind.plural} found${opts.selector ? ` matching ${opts.selector}` : ''}`);
        return;
      }
      return printObjects(client, kind, items, format, true, opts);
    });
}

/** A kind's columns; with NAMESPACE first for a namespaced kind listed across namespaces (-A). */
function tableColumns(client: Client, kind: CliKind, format: OutputFormat): Columns {
  const cols = columnsFor(kind, format === 'wide');
  return kind.namespaced && client.options.namespace === undefined ? withNamespaceColumn(cols) : cols;
}

async function tableContext(client: Client, kind: CliKind): Promise<TableContext> {
  const ctx: TableContext = { now: Date.now() };
  if (kind.plural === 'machines') {
    const counts = new Map<string, number>();
    // A machine runs the tasks of every namespace.
    for (const t of (await client.resource<Task>('tasks').listAll()).items) {
      if (t.spec.machine && isLiveTask(t)) counts.set(t.spec.machine, (counts.get(t.spec.machine) ?? 0) + 1);
    }
    ctx.tasksPerMachine = counts;
  }
  return ctx;
}

export async function printObjects(client: Client, kind: CliKind, items: AnyObject[], format: OutputFormat, isList: boolean, opts: { noHeaders?: boolean } = {}): Promise<void> {
  if (format === 'json' || format === 'yaml') return printDocument(isList ? listOf(kind.kind, items) : items[0], format);
  if (format === 'name') {
    for (const o of items) console.log(`${kind.singular}/${o.metadata.name}`);
    return;
  }
  const cols = tableColumns(client, kind, format);
  const ctx = await tableContext(client, kind);
  const rows = items.map((o) => cols.row(o, ctx));
  if (opts.noHeaders) {
    const widths = columnWidths(rows);
    for (const r of rows) console.log(formatRow(r, widths, cols.colour));
  } else printTable(cols.header, rows, cols.colour);
}

async function watchObjects(client: Client, kind: CliKind, name: string | undefined, opts: GetOptions, format: OutputFormat): Promise<void> {
  const res = resourceOf(client, kind);
  const cols = tableColumns(client, kind, format);
  let ctx = await tableContext(client, kind);
  const initial: AnyObject[] = [];
  let widths: number[] | undefined;
  let isSynced = false; // the initial state (up to the first BOOKMARK) has been printed
  const emit = (obj: AnyObject, type: string) => {
    if (format === 'json') return void process.stdout.write(JSON.stringify({ type, object: obj }) + '\n');
    if (format === 'yaml') return void process.stdout.write(`---\n${toYaml({ type, object: obj })}`);
    if (format === 'name') return void console.log(`${kind.singular}/${obj.metadata.name}`);
    const row = cols.row(obj, { ...ctx, now: Date.now() });
    if (type === 'DELETED') row[cols.colour >= 0 ? cols.colour : row.length - 1] = 'Deleted';
    widths ??= columnWidths([cols.header, row]);
    console.log(formatRow(row, widths, cols.colour));
  };
  const notice = new ConnectionNotice(() => client.server);
  const watch = res.watch({ name, labelSelector: opts.selector, fieldSelector: opts.fieldSelector, failFirstConnect: true, onDisconnect: notice.lost, onReconnect: notice.resumed });
  for await (const ev of watch) {
    if (ev.type === 'BOOKMARK') {
      if (!isSynced) {
        isSynced = true;
        if (format === 'table' || format === 'wide') {
          if (kind.plural === 'tasks') initial.sort((a, b) => taskOrder(a as Task, b as Task));
          if (kind.plural === 'events') initial.sort(eventOrder);
          const rows = initial.map((o) => cols.row(o, ctx));
          widths = columnWidths([cols.header, ...rows]);
          if (!opts.noHeaders) console.log(formatRow(cols.header, widths));
          for (const r of rows) console.log(formatRow(r, widths, cols.colour));
        } else for (const o of initial) emit(o, 'ADDED');
        initial.length = 0;
      }
      continue;
    }
    if (!isSynced) {
      initial.push(ev.object);
      continue;
    }
    // The TASKS column: counted again per change (kept as it was if the count cannot be had).
    if (kind.plural === 'machines') ctx = await tableContext(client, kind).catch(() => ctx);
    emit(ev.object, ev.type);
  }
}
