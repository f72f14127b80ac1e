// `drover machine maintain`: open (or clear) a machine's maintenance window. The server's
// maintenance controller drains the machine when the window opens and lets tasks back when it ends.
import type { Command } from 'commander';
import type { MaintenanceWindow } from '../model/index.js';
import { clientFor } from './config.js';
import { examples } from './help.js';
import { resolveMachineName } from './machine-names.js';
import { parseDuration, UsageError } from './output.js';

interface MaintainFlags {
  start?: string;
  end?: string;
  for?: string;
  reason?: string;
  clear?: boolean;
}

export function registerMaintenanceCommands(program: Command): void {
  program
    .command('machine')
    .description('change one machine (see also: machines, cordon, drain)')
    .addHelpText(
      'after',
      examples(`
        drover machine maintain 1a2b3c4d --for 2h --reason "kernel upgrade"`),
    )
    .command('maintain')
    .description('put a machine under maintenance: drained at the start, no tasks placed there until the end')
    .argument('<machine>', 'machine ID (or unique prefix, or hostname)')
    .option('--start <time>', 'when the window opens: an RFC 3339 time or a duration from now like 10m (default: now)')
    .option('--end <time>', 'when it closes: an RFC 3339 time or a duration from now (default: when cleared)')
    .option('--for <duration>', 'how long it lasts from its start (instead of --end), e.g. 2h')
    .option('--reason <text>', 'why, shown with the machine')
    .option('--clear', 'remove the window: the machine takes tasks again now')
    .addHelpText(
      'after',
      examples(`
        drover machine maintain 1a2b3c4d --for 2h --reason "kernel upgrade"
        drover machine maintain 1a2b3c4d --start 2026-01-02T22:00:00Z --end 2026-01-03T02:00:00Z
        drover machine maintain 1a2b3c4d --clear`),
    )
    .action(async (arg: string, opts: MaintainFlags, cmd: Command) => {
      const client = clientFor(cmd);
      const name = await resolveMachineName(client, arg.replace(/^(machines?|node)\//, ''));
      if (opts.clear) {
        if (opts.start || opts.end || opts.for || opts.reason) throw new UsageError('--clear takes no other flag');
        await client.machines.patch(name, { spec: { maintenance: null } });
        return void console.log(`machine/${name} maintenance cleared`);
      }
      const window = maintenanceWindow(opts, Date.now());
      await client.machines.patch(name, { spec: { maintenance: window } });
      console.log(`machine/${name} under maintenance from ${window.start} until ${window.end ?? 'cleared'}`);
    });
}

/** The window the flags ask for, its times absolute. */
export function maintenanceWindow(opts: MaintainFlags, now: number): MaintenanceWindow {
  if (opts.end && opts.for) throw new UsageError('--end and --for both say when the window closes: give one');
  const start = opts.start ? timeFlag(opts.start, '--start', now) : now;
  const end = opts.end ? timeFlag(opts.end, '--end', now) : opts.for ? start + parseDuration(opts.for, '--for') : undefined;
  if (end !== undefined && end <= start) throw new UsageError(`the window must end after it starts (${new Date(start).toISOString()})`);
  return { start: new Date(start).toISOString(), ...(end !== undefined ? { end: new Date(end).toISOString() } : {}), ...(opts.reason ? { reason: opts.reason } : {}) };
}

function timeFlag(v: string, flag: string, now: number): number {
  if (/^\d{4}-\d\d-\d\dT/.test(v)) {
    const t = Date.parse(v);
    if (Number.isNaN(t)) throw new UsageError(`${flag} must be an RFC 3339 time or a duration, got "${v}"`);
    return t;
  }
  return now + parseDuration(v, flag);
}
