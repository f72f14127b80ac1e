// `drover create job|cronjob NAME -- CMD ARGS…` and `drover job run-now CRONJOB`: batch work from
// the command line. The server validates (schedule, time zone, restart policy); flags only build
// the object.
import type { Command } from 'commander';
import { jobFor, SCHEDULED_AT_ANNOTATION, type CronJobSpec, type JobSpec } from '../model/index.js';
import { clientFor } from './config.js';
import { examples } from './help.js';
import { toInt, UsageError } from './output.js';

const collect = (v: string, prev: string[]) => [...prev, v];

interface JobFlags {
  env: string[];
  workdir?: string;
  restart: string;
  completions?: number;
  parallelism?: number;
  backoffLimit?: number;
  activeDeadline?: number;
}

function withJobFlags(cmd: Command): Command {
  return cmd
    .argument('<name>', 'its name')
    .argument('[command...]', 'after --: the program and its arguments')
    .option('-e, --env <NAME=VALUE>', 'environment variable (repeatable)', collect, [])
    .option('-w, --workdir <dir>', 'working directory')
    .option('--restart <policy>', 'never (default: a failed run is retried as a new task) or on-failure (restarted in place)', 'never')
    .option('--completions <n>', 'successful runs needed (default 1)', toInt)
    .option('--parallelism <n>', 'runs at once (default 1)', toInt)
    .option('--backoff-limit <n>', 'failed runs tolerated before the job fails (default 6)', toInt)
    .option('--active-deadline <seconds>', 'fail the job, killing its runs, this long after it started', toInt);
}

function jobSpec(commandArgs: string[], opts: JobFlags): JobSpec {
  const dash = process.argv.indexOf('--');
  const command = dash >= 0 ? process.argv.slice(dash + 1) : commandArgs;
  if (command.length === 0) throw new UsageError('give the command to run after --, e.g. drover create job backup -- ./backup.sh');
  if (opts.restart !== 'never' && opts.restart !== 'on-failure') throw new UsageError(`--restart must be never or on-failure, got "${opts.restart}"`);
  const env: Record<string, string> = {};
  for (const v of opts.env) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new UsageError(`--env takes NAME=VALUE, got "${v}"`);
    env[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return {
    template: { command, restartPolicy: opts.restart, ...(opts.env.length ? { env } : {}), ...(opts.workdir ? { workingDir: opts.workdir } : {}) },
    ...(opts.completions !== undefined ? { completions: opts.completions } : {}),
    ...(opts.parallelism !== undefined ? { parallelism: opts.parallelism } : {}),
    ...(opts.backoffLimit !== undefined ? { backoffLimit: opts.backoffLimit } : {}),
    ...(opts.activeDeadline !== undefined ? { activeDeadlineSeconds: opts.activeDeadline } : {}),
  };
}

export function registerJobCommands(program: Command): void {
  const create = program
    .command('create')
    .description('create a job or a cronjob from flags (drover apply takes manifests)')
    .addHelpText(
      'after',
      examples(`
        drover create job backup -- ./backup.sh
        drover create cronjob nightly --schedule '0 3 * * *' -- ./backup.sh`),
    );
  withJobFlags(create.command('job').description('run a command to completion: drover create job NAME [options] -- CMD ARGS...'))
    .addHelpText(
      'after',
      examples(`
        drover create job backup -- ./backup.sh
        drover create job render --completions 10 --parallelism 3 -- ./render-frame.sh
        drover create job flaky --backoff-limit 2 --active-deadline 600 -- ./fetch.sh`),
    )
    .action(async (name: string, commandArgs: string[], opts: JobFlags, cmd: Command) => {
      const spec = jobSpec(commandArgs, opts);
      await clientFor(cmd).jobs.create({ metadata: { name }, spec });
      console.log(`job/${name} created`);
    });

  withJobFlags(create.command('cronjob').description('run a job on a cron schedule: drover create cronjob NAME --schedule CRON [options] -- CMD ARGS...'))
    .requiredOption('--schedule <cron>', '5 cron fields, 6 with seconds first ("*/2 * * * * *"), or @hourly, @daily…')
    .option('--time-zone <zone>', 'IANA time zone the schedule is read in (default UTC)')
    .option('--concurrency <policy>', 'Allow (default), Forbid or Replace')
    .option('--starting-deadline <seconds>', 'a run not started this long after its time is skipped', toInt)
    .option('--suspend', 'create it suspended')
    .addHelpText(
      'after',
      examples(`
        drover create cronjob nightly --schedule '0 3 * * *' --time-zone Europe/Paris -- ./backup.sh
        drover create cronjob tick --schedule '*/2 * * * * *' --concurrency Forbid -- ./poll.sh`),
    )
    .action(async (name: string, commandArgs: string[], opts: JobFlags & { schedule: string; timeZone?: string; concurrency?: string; startingDeadline?: number; suspend?: boolean }, cmd: Command) => {
      const policy = opts.concurrency === undefined ? undefined : ['Allow', 'Forbid', 'Replace'].find((p) => p.toLowerCase() === opts.concurrency!.toLowerCase());
      if (opts.concurrency !== undefined && !policy) throw new UsageError(`--concurrency must be Allow, Forbid or Replace, got "${opts.concurrency}"`);
      const spec: CronJobSpec = {
        schedule: opts.schedule,
        ...(opts.timeZone ? { timeZone: opts.timeZone } : {}),
        ...(policy ? { concurrencyPolicy: policy as CronJobSpec['concurrencyPolicy'] } : {}),
        ...(opts.startingDeadline !== undefined ? { startingDeadlineSeconds: opts.startingDeadline } : {}),
        ...(opts.suspend ? { suspend: true } : {}),
        jobTemplate: { spec: jobSpec(commandArgs, opts) },
      };
      await clientFor(cmd).cronJobs.create({ metadata: { name }, spec });
      console.log(`cronjob/${name} created`);
    });

  const job = program
    .command('job')
    .description('act on jobs and cronjobs')
    .addHelpText(
      'after',
      examples(`
        drover job run-now nightly       # run a cronjob's job now`),
    );
  job
    .command('run-now')
    .description("start a cronjob's job now, outside its schedule (it counts in the cronjob's history)")
    .argument('<cronjob>', 'CRONJOB or cronjob/NAME')
    .addHelpText('after', examples(`
        drover job run-now nightly        # job/nightly-manual-1767225600 created`))
    .action(async (target: string, _opts: unknown, cmd: Command) => {
      const name = target.startsWith('cronjob/') || target.startsWith('cj/') ? target.slice(target.indexOf('/') + 1) : target;
      const client = clientFor(cmd);
      const cj = await client.cronJobs.get(name);
      const now = new Date();
      const made = await client.jobs.create(jobFor(cj, `${name.slice(0, 230)}-manual-${Math.floor(now.getTime() / 1000)}`, 'manual'));
      console.log(`job/${made.metadata.name} created (${SCHEDULED_AT_ANNOTATION}=manual)`);
    });
}
