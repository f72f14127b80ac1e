// `drover package list|show|install|upgrade|uninstall`: Helm's verbs over Packages (the catalog)
// and Installations. An install is an Installation object; the server renders it into a Service.
import { InvalidArgumentError, type Command } from 'commander';
import type { Client, Service } from '../client/client.js';
import type { Installation, Package } from '../model/index.js';
import { compareVersions } from '../packages/render.js';
import { clientFor } from './config.js';
import { examples } from './help.js';
import { listOf, parseFormat, printDocument, printTable, UsageError, type OutputFormat } from './output.js';

const collect = (v: string, all: string[]) => [...all, v];

function countOption(v: string): number {
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`--replicas takes a whole number ≥ 0, got "${v}"`);
  return Number(v);
}

/** "--set a=1 --set b=x=y" → {a: "1", b: "x=y"}; a key given twice is a mistake. */
export function parseSets(sets: readonly string[]): Record<string, string> {
  const values: Record<string, string> = {};
  for (const s of sets) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set takes KEY=VALUE, got "${s}"`);
    const key = s.slice(0, eq);
    if (Object.hasOwn(values, key)) throw new UsageError(`--set ${key} is given twice`);
    values[key] = s.slice(eq + 1);
  }
  return values;
}

/** "redis" or "redis@7.0". */
export function parsePackageRef(ref: string): { name: string; version?: string } {
  const at = ref.indexOf('@');
  if (at === 0 || at === ref.length - 1) throw new UsageError(`give NAME or NAME@VERSION, got "${ref}"`);
  return at < 0 ? { name: ref } : { name: ref.slice(0, at), version: ref.slice(at + 1) };
}

async function versionsOf(client: Client, name: string): Promise<Package[]> {
  const all = (await client.resource<Package>('packages').listAll({ fieldSelector: `spec.package=${name}` })).items;
  return all.sort((a, b) => compareVersions(b.spec.version, a.spec.version));
}

export function registerPackageCommands(program: Command): void {
  const pkg = program
    .command('package')
    .alias('pkg')
    .description('the package catalog: list and show packages, install them as services, upgrade and uninstall')
    .addHelpText(
      'after',
      examples(`
        drover package list
        drover package install redis --set port=6380 --wait
        drover package upgrade redis --set maxmemory=256mb
        drover get installations`),
    );

  pkg
    .command('list')
    .alias('ls')
    .description('list the packages of the catalog, one line per package with its versions (newest first)')
    .option('-o, --output <format>', 'table, json or yaml', parseFormat, 'table' as OutputFormat)
    .addHelpText('after', examples(`
        drover package list
        drover package list -o yaml`))
    .action(async (opts: { output: OutputFormat }, cmd: Command) => {
      const items = (await clientFor(cmd).resource<Package>('packages').listAll()).items;
      if (opts.output === 'json' || opts.output === 'yaml') return printDocument(listOf('Package', items), opts.output);
      const byName = new Map<string, Package[]>();
      for (const p of items) byName.set(p.spec.package, [...(byName.get(p.spec.package) ?? []), p]);
      const rows = [...byName.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, versions]) => {
          versions.sort((a, b) => compareVersions(b.spec.version, a.spec.version));
          const newest = versions[0]!;
          return [name, versions.map((v) => v.spec.version).join(', '), newest.spec.store ?? '', newest.spec.description ?? ''];
        });
      if (rows.length === 0) return console.log('no packages in the catalog (load some with drover server --catalog DIR, or drover apply -f package.yaml)');
      printTable(['NAME', 'VERSIONS', 'STORE', 'DESCRIPTION'], rows);
    });

  pkg
    .command('show')
    .description('show a package: its versions, what it needs, and its parameters with their defaults')
    .argument('<package>', 'NAME or NAME@VERSION (default: the newest version)')
    .option('-o, --output <format>', 'table, json or yaml', parseFormat, 'table' as OutputFormat)
    .addHelpText('after', examples(`
        drover package show redis
        drover package show etcd@3.4 -o yaml`))
    .action(async (ref: string, opts: { output: OutputFormat }, cmd: Command) => {
      const { name, version } = parsePackageRef(ref);
      const versions = await versionsOf(clientFor(cmd), name);
      if (versions.length === 0) throw new Error(`package "${name}" not found in the catalog: see drover package list`);
      const p = version === undefined ? versions[0]! : versions.find((v) => v.spec.version === version);
      if (!p) throw new Error(`package "${name}" has no version "${version}" (versions: ${versions.map((v) => v.spec.version).join(', ')})`);
      if (opts.output === 'json' || opts.output === 'yaml') return printDocument(p, opts.output);
      const s = p.spec;
      const field = (k: string, v: string | undefined) => v && console.log(`${`${k}:`.padEnd(14)}${v}`);
      field('Name', s.package);
      field('Version', s.version);
      field('Versions', versions.map((v) => v.spec.version).join(', '));
      field('Description', s.description);
      field('Store', s.store);
      field('Requires', s.requires?.join(', '));
      field('Provided by', s.provides);
      field('Agent port', s.agentPort);
      console.log('Parameters:');
      const params = s.parameters ?? [];
      if (params.length === 0) console.log('  none');
      else printTable(['  NAME', 'DEFAULT', 'PATTERN', 'DESCRIPTION'], params.map((x) => [`  ${x.name}`, x.default ?? '<required>', x.pattern ?? '', x.description ?? '']));
    });

  pkg
    .command('install')
    .description('install a package: an installation the server renders into a service of the same name')
    .argument('<package>', 'NAME or NAME@VERSION (default: the newest version, kept until you upgrade)')
    .option('--name <name>', 'the installation\'s (and its service\'s) name (default: the package\'s)')
    .option('--set <key=value>', 'a parameter value (repeatable)', collect, [])
    .option('--replicas <n>', 'tasks of the service (default 1)', countOption)
    .option('--wait', 'wait until it is installed and its tasks are ready')
    .option('--timeout <seconds>', 'how long --wait waits', (v) => Number(v), 300)
    .addHelpText('after', examples(`
        drover package install redis
        drover package install redis@7.0 --name cache --set port=6380 -n prod --wait
        drover package install etcd --set port=12379 --set peer_port=12380`))
    .action(async (ref: string, opts: { name?: string; set: string[]; replicas?: number; wait?: boolean; timeout: number }, cmd: Command) => {
      const { name: pkgName, version } = parsePackageRef(ref);
      const client = clientFor(cmd);
      const values = parseSets(opts.set);
      const name = opts.name ?? pkgName;
      const inst = await client.resource<Installation>('installations', client.options.namespace ?? 'default').create({
        apiVersion: 'drover/v1',
        kind: 'Installation',
        metadata: { name },
        spec: { package: pkgName, ...(version ? { version } : {}), ...(Object.keys(values).length ? { values } : {}), ...(opts.replicas !== undefined ? { replicas: opts.replicas } : {}) },
      });
      console.log(`installation/${name} created`);
      if (opts.wait) await waitInstalled(client, inst, opts.timeout * 1000);
    });

  pkg
    .command('upgrade')
    .description('change an installation\'s version or values (merged into the current ones): its service rolls to the new template')
    .argument('<installation>', 'the installation\'s name')
    .option('--version <version>', 'the version to run (default: the one it runs)')
    .option('--set <key=value>', 'a parameter value, merged into the current values (repeatable)', collect, [])
    .option('--reset-values', 'drop the current values first: only --set ones and the defaults remain')
    .option('--replicas <n>', 'tasks of the service', countOption)
    .option('--wait', 'wait until it is installed and its tasks are ready')
    .option('--timeout <seconds>', 'how long --wait waits', (v) => Number(v), 300)
    .addHelpText('after', examples(`
        drover package upgrade redis --set maxmemory=256mb
        drover package upgrade cache --version 7.0 --wait`))
    .action(async (name: string, opts: { version?: string; set: string[]; resetValues?: boolean; replicas?: number; wait?: boolean; timeout: number }, cmd: Command) => {
      const client = clientFor(cmd);
      const insts = client.resource<Installation>('installations', client.options.namespace ?? 'default');
      const sets = parseSets(opts.set);
      if (!opts.version && !opts.set.length && !opts.resetValues && opts.replicas === undefined) throw new UsageError('nothing to change: give --version, --set KEY=VALUE, --reset-values or --replicas');
      const current = await insts.get(name);
      const values = { ...(opts.resetValues ? {} : current.spec.values), ...sets };
      // The whole spec with the revision: a concurrent change is a 412, not a lost update.
      const spec = { ...current.spec, values, ...(opts.version ? { version: opts.version } : {}), ...(opts.replicas !== undefined ? { replicas: opts.replicas } : {}) };
      const { object } = await insts.replace({ ...current, spec }, {});
      console.log(object.metadata.generation === current.metadata.generation ? `installation/${name} unchanged` : `installation/${name} upgraded`);
      if (opts.wait) await waitInstalled(client, object, opts.timeout * 1000);
    });

  pkg
    .command('uninstall')
    .description('delete an installation; its service and tasks go with it')
    .argument('<installation>', 'the installation\'s name')
    .addHelpText('after', examples(`
        drover package uninstall redis
        drover package uninstall cache -n prod`))
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const client = clientFor(cmd);
      await client.resource<Installation>('installations', client.options.namespace ?? 'default').delete(name);
      console.log(`installation/${name} deleted`);
    });
}

/** Waits until the server has acted on this generation: Installed and the service's tasks ready, or Failed (an error). */
async function waitInstalled(client: Client, inst: Installation, timeoutMs: number): Promise<void> {
  const insts = client.resource<Installation>('installations', inst.metadata.namespace);
  const deadline = Date.now() + timeoutMs;
  for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
    const cur = await insts.get(inst.metadata.name);
    const seen = (cur.status?.observedGeneration ?? 0) >= (inst.metadata.generation ?? 0);
    if (seen && cur.status?.phase === 'Failed') throw new Error(`installation/${inst.metadata.name} failed: ${cur.status.message ?? 'no reason given'}`);
    if (seen && cur.status?.phase === 'Installed' && cur.status.service) {
      const svc = await client.resource<Service>('services', inst.metadata.namespace).find(cur.status.service);
      const want = svc?.spec.replicas ?? 1;
      if (svc && (svc.status?.readyReplicas ?? 0) >= want && svc.status?.updatedReplicas === want) {
        console.log(`installation/${inst.metadata.name} installed: ${cur.spec.package}@${cur.status.version}, service/${cur.status.service} ready (${want}/${want})`);
        return;
      }
      if (svc?.status?.state === 'failed' || svc?.status?.state === 'crash-looping') {
        const why = svc.status.conditions?.find((c) => c.status === 'True' && c.message)?.message;
        throw new Error(`installation/${inst.metadata.name}: service/${svc.metadata.name} is ${svc.status.state}${why ? `: ${why}` : ''}`);
      }
    }
    if (Date.now() > deadline) throw new Error(`installation/${inst.metadata.name} not ready after ${timeoutMs / 1000}s (phase ${cur.status?.phase ?? 'Pending'}); see drover describe installation ${inst.metadata.name}`);
    await new Promise((r) => setTimeout(r, delay));
  }
}
