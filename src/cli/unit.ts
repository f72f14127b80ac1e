// `drover unit ...`: fleetctl's unit commands over native Services. A unit file becomes the
// Service named exactly like the unit ("web.service"): its options in spec.template.unit, its
// [X-Fleet] rules as constraints (and global). Templates ("web@.service") are stored with
// desiredState inactive and the annotation drover.io/unit-template, so they are never
// scheduled; starting "web@1.service" makes the instance from the submitted template. The unit
// file becomes a Service through model's serviceFromUnit, as through fleet's API.
// submit → inactive, load → loaded, start → running, stop → loaded (fleet's stop keeps the unit
// loaded), unload → inactive, destroy → deleted.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { serviceFromUnit, type ServiceDesiredState as DesiredState, type UnitOption } from '../model/index.js';
import type { Client } from '../client/client.js';
import { fleetConstraints, fleetOptionsProblem, instantiate, parseUnitFile, parseUnitName, serializeUnit, unitHash, unitNameFromArg, unitNameProblem } from '../units/index.js';
import { clientFor } from './config.js';
import { examples } from './help.js';
import { parseDuration, UsageError } from './output.js';
import { registerUnitViewCommands } from './unit-views.js';
import { markUnit, waitUnits, type UnitMark } from './unit-wait.js';

function checkName(name: string): void {
  const problem = unitNameProblem(name);
  if (problem) throw new Error(`invalid unit name "${name}": ${problem}`);
}

function readUnitFile(path: string, name: string): UnitOption[] {
  const options = parseUnitFile(readFileSync(path, 'utf8'), { onWarning: (n) => process.stderr.write(`warning: ${path}:${n.line}: ${n.message}\n`) });
  const problem = fleetOptionsProblem(options);
  if (problem) throw new Error(`unit ${name} (${path}): ${problem}`);
  for (const w of fleetConstraints(options, name).warnings) process.stderr.write(`warning: ${name}: ${w}\n`);
  return options;
}

const isFile = (p: string) => existsSync(p) && statSync(p).isFile();

/**
 * Makes sure the unit named by `arg` exists on the server, as fleetctl's lazyCreateUnits does:
 * a path is read as a unit file; an instance without a unit of its own is made from the
 * submitted template (or a local template file next to the argument). Returns the unit name.
 */
async function ensureUnit(client: Client, arg: string, desiredState: DesiredState, requireFile: boolean): Promise<{ name: string; created: boolean }> {
  const name = unitNameFromArg(arg);
  checkName(name);
  const existing = await client.services.find(name);
  const path = isFile(arg) ? arg : undefined;
  if (existing) {
    if (path && unitHash(readUnitFile(path, name)) !== unitHash(existing.spec.template.unit ?? [])) {
      process.stderr.write(`warning: unit ${name} in the registry differs from the local unit file ${path}; keeping the registry's (destroy it to replace)\n`);
    }
    return { name, created: false };
  }
  const info = parseUnitName(name)!;
  let options: UnitOption[] | undefined;
  if (path) options = readUnitFile(path, name);
  else if (requireFile) throw new Error(`unable to find unit file "${arg}"`);
  else if (info.isInstance && info.template) {
    const template = await client.services.find(info.template);
    if (template?.spec.template.unit) options = instantiate(template.spec.template.unit, name).options;
    else {
      const localTemplate = join(dirname(arg), info.template);
      if (isFile(localTemplate)) options = instantiate(readUnitFile(localTemplate, info.template), name).options;
    }
    if (!options) throw new Error(`unable to find unit ${name} or its template ${info.template}; submit ${info.template} first`);
  } else throw new Error(`unit ${name} not found; submit its unit file first (drover unit submit ${name})`);
  await client.services.create(serviceFromUnit(name, options, desiredState));
  return { name, created: true };
}

interface BlockOptions {
  block: boolean;
  timeout: string;
}

async function setState(client: Client, args: string[], target: DesiredState, verb: string, opts: BlockOptions): Promise<void> {
  const marks: UnitMark[] = [];
  for (const arg of args) {
    const name = unitNameFromArg(arg);
    if (parseUnitName(name)?.isTemplate) throw new Error(`unable to ${verb} unit ${name}: it is a template; ${verb} an instance such as ${name.replace('@.', '@1.')}`);
    if (opts.block) marks.push(await markUnit(client, name));
    const { name: resolved } = target === 'inactive' && !isFile(arg) ? { name } : await ensureUnit(client, arg, target, false);
    const svc = await client.services.find(resolved);
    if (!svc) throw new Error(`unit ${resolved} not found`);
    if (svc.spec.desiredState !== target) await client.services.patch(resolved, { spec: { desiredState: target } });
    if (!opts.block) console.log(`Triggered unit ${resolved} ${verb}`);
  }
  if (opts.block) await waitUnits(client, marks, target, parseDuration(opts.timeout, '--timeout'));
}

export function registerUnitCommands(program: Command): void {
  const unit = program
    .command('unit')
    .description('fleetctl-style unit commands: systemd unit files (with [X-Fleet], templates foo@.service) as services')
    .addHelpText(
      'after',
      examples(`
        drover unit start hello.service          # submit, place and start; waits: Unit hello.service launched on …
        drover unit start web@1.service          # an instance of the submitted template web@.service
        drover unit list
        drover unit stop hello.service && drover unit destroy hello.service`),
    );

  unit
    .command('submit')
    .description('upload unit files without scheduling them (fleetctl submit)')
    .argument('<files...>', 'unit files, e.g. web.service db@.service')
    .addHelpText(
      'after',
      examples(`
        drover unit submit web.service db@.service   # stored, not scheduled`),
    )
    .action(async (files: string[], _opts: unknown, cmd: Command) => {
      const client = clientFor(cmd);
      for (const f of files) {
        const { name, created } = await ensureUnit(client, f, 'inactive', true);
        console.log(created ? `Unit ${name} submitted` : `Unit ${name} already submitted`);
      }
    });

  const blocking = (c: Command) =>
    c.option('--no-block', 'do not wait for the units to reach the state').option('--timeout <duration>', 'how long to wait', '60s');

  for (const [verb, target, help] of [
    ['load', 'loaded', 'place units on machines without starting them (fleetctl load)'],
    ['start', 'running', 'start units, submitting files and instantiating templates as needed (fleetctl start)'],
    ['stop', 'loaded', 'stop units; they stay loaded where they are (fleetctl stop)'],
    ['unload', 'inactive', 'stop and unplace units; the unit files stay (fleetctl unload)'],
  ] as const) {
    blocking(unit.command(verb).description(help).argument('<units...>', 'unit names or files: web.service, web@1.service, ./units/db.service'))
      .addHelpText(
        'after',
        examples(`
          drover unit ${verb} hello.service                  # waits; fails at once with the task's message if it fails
          drover unit ${verb} ./units/web@1.service --timeout 2m
          drover unit ${verb} --no-block a.service b.service`),
      )
      .action(
      async (args: string[], opts: BlockOptions, cmd: Command) => {
        if (verb === 'stop') {
          // fleetctl stop does not create units; a name that does not exist is an error.
          const client = clientFor(cmd);
          for (const a of args) if (!(await client.services.find(unitNameFromArg(a)))) throw new Error(`unit ${unitNameFromArg(a)} does not exist`);
        }
        await setState(clientFor(cmd), args, target, verb, opts);
      },
    );
  }

  unit
    .command('destroy')
    .description('stop units and remove them from the registry (fleetctl destroy)')
    .argument('<units...>', 'unit names')
    .addHelpText(
      'after',
      examples(`
        drover unit destroy web.service db@1.service`),
    )
    .action(async (args: string[], _opts: unknown, cmd: Command) => {
      const client = clientFor(cmd);
      for (const arg of args) {
        const name = unitNameFromArg(arg);
        try {
          await client.services.delete(name);
          console.log(`Destroyed ${name}`);
        } catch (err) {
          if ((err as { code?: number }).code !== 404) throw err;
          console.error(`warning: unit ${name} does not exist`); // fleetctl destroy is idempotent
        }
      }
    });

  unit
    .command('cat')
    .description('print a unit file as stored (fleetctl cat)')
    .argument('<unit>', 'unit name')
    .addHelpText(
      'after',
      examples(`
        drover unit cat web.service`),
    )
    .action(async (arg: string, _opts: unknown, cmd: Command) => {
      const name = unitNameFromArg(arg);
      const svc = await clientFor(cmd).services.find(name);
      if (!svc?.spec.template.unit) throw new Error(`unit ${name} not found`);
      process.stdout.write(serializeUnit(svc.spec.template.unit));
    });

  registerUnitViewCommands(unit);

  unit.hook('preAction', (_this, action) => {
    for (const a of action.args) if (a === '') throw new UsageError('unit names cannot be empty');
  });
}
