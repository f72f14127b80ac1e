// `drover unit list|list-files|status|journal`: fleetctl's views of units — where they run, in
// systemd's words (ACTIVE/SUB), what was submitted, and their output.
import type { Command } from 'commander';
import { isUnitService, isUnitTemplateName, type Service, type Task } from '../model/index.js';
import { fleetDescription, shortUnitHash, unitHash, unitNameFromArg } from '../units/index.js';
import { clientFor } from './config.js';
import { ConnectionNotice } from './connection-notice.js';
import { examples } from './help.js';
import { isLiveTask, shortId } from './kinds.js';
import { colourState, printTable, toInt } from './output.js';
import { followLog, openLog, pipeLog } from './task-log.js';
import { machineLabel, placements } from './unit-wait.js';

const isTemplateService = (s: Service) => isUnitTemplateName(s.metadata.name);

export function registerUnitViewCommands(unit: Command): void {
  unit
    .command('list')
    .alias('list-units')
    .description('units and where they run: UNIT, MACHINE, ACTIVE, SUB (fleetctl list-units)')
    .option('--full', 'full machine IDs')
    .option('--no-legend', 'omit the header')
    .addHelpText(
      'after',
      examples(`
        drover unit list                        # UNIT  MACHINE  ACTIVE  SUB
        drover unit list --full --no-legend`),
    )
    .action(async (opts: { full?: boolean; legend: boolean }, cmd: Command) => {
      const client = clientFor(cmd);
      const services = (await client.services.listAll()).items.filter((s) => isUnitService(s) && !isTemplateService(s));
      const tasks = (await client.tasks.listAll()).items.filter(isLiveTask);
      const machines = new Map((await client.machines.listAll()).items.map((m) => [m.metadata.name, m]));
      const rows: string[][] = [];
      for (const s of services.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))) {
        const own = tasks.filter((t) => t.metadata.ownerReferences?.some((r) => r.uid === s.metadata.uid));
        if (own.length === 0 && s.spec.desiredState === 'inactive') continue; // fleetctl lists only scheduled units
        if (own.length === 0) rows.push([s.metadata.name, '-', 'inactive', 'dead']);
        for (const t of own) {
          const m = t.spec.machine ? machines.get(t.spec.machine) : undefined;
          const where = t.spec.machine ? `${opts.full ? t.spec.machine : shortId(t.spec.machine)}${m?.status?.address ? `/${m.status.address}` : ''}` : '-';
          const [active, sub] = unitStates(t);
          rows.push([s.metadata.name, where, active, sub]);
        }
      }
      if (!opts.legend) for (const r of rows) console.log(r.join('\t'));
      else printTable(['UNIT', 'MACHINE', 'ACTIVE', 'SUB'], rows, 2);
    });

  unit
    .command('list-files')
    .alias('list-unit-files')
    .description('submitted unit files: UNIT, HASH, DSTATE, STATE, TARGET (fleetctl list-unit-files)')
    .option('--full', 'full hashes and machine IDs')
    .addHelpText(
      'after',
      examples(`
        drover unit list-files                  # UNIT  HASH  DSTATE  STATE  TARGET  DESCRIPTION`),
    )
    .action(async (opts: { full?: boolean }, cmd: Command) => {
      const client = clientFor(cmd);
      const services = (await client.services.listAll()).items.filter(isUnitService);
      const tasks = (await client.tasks.listAll()).items.filter(isLiveTask);
      const rows = services
        .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))
        .map((s) => {
          const hash = unitHash(s.spec.template.unit ?? []);
          const own = tasks.filter((t) => t.metadata.ownerReferences?.some((r) => r.uid === s.metadata.uid));
          const dstate = fleetState(s.spec.desiredState ?? 'running');
          const state = isTemplateService(s) ? '-' : own.length === 0 ? 'inactive' : own.every((t) => t.status?.phase === 'Running') ? 'launched' : 'loaded';
          const target = isTemplateService(s) ? '-' : own.map((t) => (opts.full ? t.spec.machine : shortId(t.spec.machine)) ?? '-').join(',') || '-';
          return [s.metadata.name, opts.full ? hash : shortUnitHash(hash), dstate, state, target, fleetDescription(s.spec.template.unit ?? [])];
        });
      printTable(['UNIT', 'HASH', 'DSTATE', 'STATE', 'TARGET', 'DESCRIPTION'], rows, 3);
    });

  unit
    .command('status')
    .description('each unit\'s tasks with their phase, pid and last message')
    .argument('<units...>', 'unit names')
    .addHelpText(
      'after',
      examples(`
        drover unit status web.service`),
    )
    .action(async (args: string[], _opts: unknown, cmd: Command) => {
      const client = clientFor(cmd);
      const cache = new Map<string, string>();
      for (const arg of args) {
        const name = unitNameFromArg(arg);
        const svc = await client.services.find(name);
        if (!svc) throw new Error(`unit ${name} does not exist`);
        console.log(`● ${name}${fleetDescription(svc.spec.template.unit ?? []) ? ` - ${fleetDescription(svc.spec.template.unit ?? [])}` : ''}`);
        console.log(`   Desired: ${fleetState(svc.spec.desiredState ?? 'running')}`);
        for (const t of await placements(client, name)) {
          const [active, sub] = unitStates(t);
          console.log(`   ${await machineLabel(client, t.spec.machine, cache)}: ${colourState(active)} (${sub})${t.status?.pid ? ` pid ${t.status.pid}` : ''}${t.status?.message ? ` — ${t.status.message}` : ''}`);
        }
      }
    });

  unit
    .command('journal')
    .description('a unit\'s output (fleetctl journal)')
    .argument('<unit>', 'unit name')
    .option('-f, --follow', 'keep printing new output')
    .option('--lines <n>', 'last N lines', toInt, 10)
    .addHelpText(
      'after',
      examples(`
        drover unit journal web.service --lines 50
        drover unit journal -f web.service`),
    )
    .action(async (arg: string, opts: { follow?: boolean; lines: number }, cmd: Command) => {
      const client = clientFor(cmd);
      const name = unitNameFromArg(arg);
      const [task] = await placements(client, name);
      if (!task) throw new Error(`unit ${name} does not run anywhere`);
      if (opts.follow) await followLog(client, task.metadata.name, (line) => process.stdout.write(line), { tail: opts.lines, notice: new ConnectionNotice(() => client.server) });
      else await pipeLog(await openLog(client, task.metadata.name, { tail: opts.lines }), process.stdout);
    });
}

/** fleet's words for desired states. */
function fleetState(s: string): string {
  return s === 'running' ? 'launched' : s;
}

/** systemd ACTIVE and SUB of a task, as fleet shows them. */
function unitStates(t: Task): [string, string] {
  if (t.status?.unitState) return [t.status.unitState.active, t.status.unitState.sub];
  switch (t.status?.phase) {
    case 'Running':
      return ['active', 'running'];
    case 'Starting':
      return ['activating', 'start'];
    case 'Stopping':
      return ['deactivating', 'stop-sigterm'];
    case 'Failed':
      return ['failed', 'failed'];
    case 'Succeeded':
    case 'Stopped':
      return ['inactive', 'dead'];
    default:
      return ['inactive', 'dead'];
  }
}
