// `drover cluster …`: Commissaire's clusters from the command line — create one, move hosts in
// and out (a Host's spec.cluster), and start its rolling operations (deploy, upgrade, restart),
// optionally waiting with a progress line. The work itself runs on the server as an Operation.
import { InvalidArgumentError, type Command } from 'commander';
import type { Client, Operation } from '../client/client.js';
import { OS_PROFILES, type ClusterOperationParams, type ClusterOperationType } from '../model/index.js';
import { clientFor } from './config.js';
import { examples } from './help.js';
import { waitForOperation } from './operation-wait.js';
import { parseDuration, toInt } from './output.js';

interface RunOptions {
  batchSize?: number;
  profile?: string;
  command?: string[];
  hostTimeout?: string;
  wait?: boolean;
  timeout: string;
}

function profileOf(v: string): string {
  if (!(OS_PROFILES as readonly string[]).includes(v)) throw new InvalidArgumentError(`expected one of ${OS_PROFILES.join(', ')}, got "${v}"`);
  return v;
}

function positive(v: string): number {
  const n = toInt(v);
  if (n < 1) throw new InvalidArgumentError(`expected a whole number ≥ 1, got "${v}"`);
  return n;
}

/** Starts a cluster operation (and waits for it with --wait); shared by deploy, upgrade, restart and operation resume. */
export async function startClusterOperation(client: Client, type: ClusterOperationType, cluster: string, params: ClusterOperationParams, opts: { wait?: boolean; timeout: string }): Promise<void> {
  const timeoutMs = parseDuration(opts.timeout, '--timeout');
  const op = await client.operations.create({ spec: { type, target: { kind: 'Cluster', name: cluster }, params: params as Record<string, unknown> } } as Operation);
  console.log(`operation/${op.metadata.name} created (${type} of cluster/${cluster})`);
  if (!opts.wait) return;
  const done = await waitForOperation(client, op.metadata.name, timeoutMs);
  const result = (done.status?.result ?? {}) as { hosts?: string[]; skipped?: string[] };
  console.log(`operation/${done.metadata.name} succeeded: ${result.hosts?.length ?? 0} host(s) done${result.skipped?.length ? `, ${result.skipped.length} skipped` : ''}`);
}

function paramsOf(opts: RunOptions, version?: string): ClusterOperationParams {
  return {
    ...(version !== undefined ? { version } : {}),
    ...(opts.batchSize !== undefined ? { batchSize: opts.batchSize } : {}),
    ...(opts.profile ? { profile: opts.profile as ClusterOperationParams['profile'] } : {}),
    // Each --command is one command, split on spaces: commands needing quoting go through a manifest.
    ...(opts.command?.length ? { commands: opts.command.map((c) => c.trim().split(/\s+/)) } : {}),
    ...(opts.hostTimeout ? { hostTimeoutSeconds: Math.ceil(parseDuration(opts.hostTimeout, '--host-timeout') / 1000) } : {}),
  };
}

function operationCommand(parent: Command, verb: string, type: ClusterOperationType, what: string, example: string): Command {
  return parent
    .command(verb)
    .description(what)
    .option('--batch-size <n>', 'hosts worked on at once (default 1)', positive)
    .option('--profile <profile>', `the commands run on each host: ${OS_PROFILES.join(', ')} (default rpm-ostree)`, profileOf)
    .option('--command <command>', 'run this instead of the profile\'s commands (repeatable, in order; {version} is the version)', (v: string, all: string[] = []) => [...all, v])
    .option('--host-timeout <duration>', 'how long one host may take, its restart included (default 10m)')
    .option('--wait', 'wait for the operation to finish, showing its progress')
    .option('--timeout <duration>', 'with --wait: how long to wait', '1h')
    .addHelpText('after', examples(example))
    .action(async (...args: unknown[]) => {
      const cmd = args[args.length - 1] as Command;
      const opts = args[args.length - 2] as RunOptions;
      const [cluster, version] = args as [string, string | undefined];
      await startClusterOperation(clientFor(cmd), type, cluster, paramsOf(opts, type === 'ClusterDeploy' ? version : undefined), opts);
    });
}

async function setMembership(client: Client, host: string, cluster: string | null): Promise<void> {
  const h = await client.resource('hosts').get(host);
  const current = (h.spec as { cluster?: string }).cluster;
  if (cluster !== null && current === cluster) return void console.log(`host/${host} is already in cluster/${cluster}`);
  if (cluster === null && current === undefined) return void console.log(`host/${host} is in no cluster`);
  if (cluster !== null) await client.resource('clusters').get(cluster); // a clear "cluster not found" before the change
  await client.resource('hosts').patch(host, { spec: { cluster } }, { ifMatch: h.metadata.revision });
  console.log(cluster === null ? `host/${host} left cluster/${current}` : `host/${host} joined cluster/${cluster}${current ? ` (left cluster/${current})` : ''}`);
}

export function registerClusterCommands(program: Command): void {
  const cluster = program
    .command('cluster')
    .description('clusters of hosts: create, join and leave, deploy, upgrade and restart')
    .addHelpText(
      'after',
      examples(`
        drover cluster create prod --container-manager openshift
        drover cluster join prod web1
        drover cluster upgrade prod --wait`),
    );

  cluster
    .command('create')
    .description('create a cluster (its hosts are active once it has a container manager)')
    .argument('<name>', 'the cluster\'s name')
    .option('--network <network>', 'the network its hosts share (default "default")')
    .option('--container-manager <name>', 'the container manager its hosts are registered with')
    .addHelpText(
      'after',
      examples(`
        drover cluster create prod --container-manager openshift
        drover cluster create lab --network flannel-lab`),
    )
    .action(async (name: string, opts: { network?: string; containerManager?: string }, cmd: Command) => {
      const spec = { ...(opts.network ? { network: opts.network } : {}), ...(opts.containerManager ? { containerManager: opts.containerManager } : {}) };
      await clientFor(cmd).resource('clusters').create({ metadata: { name }, spec } as never);
      console.log(`cluster/${name} created`);
    });

  cluster
    .command('join')
    .description('put a host in a cluster (it leaves the one it was in)')
    .argument('<cluster>', 'the cluster')
    .argument('<host>', 'the host\'s name')
    .addHelpText('after', examples(`
        drover cluster join prod web1`))
    .action(async (name: string, host: string, _opts: unknown, cmd: Command) => setMembership(clientFor(cmd), host, name));

  cluster
    .command('leave')
    .description('take a host out of its cluster (it becomes disassociated)')
    .argument('<cluster>', 'the cluster the host is in')
    .argument('<host>', 'the host\'s name')
    .addHelpText('after', examples(`
        drover cluster leave prod web1`))
    .action(async (name: string, host: string, _opts: unknown, cmd: Command) => {
      const client = clientFor(cmd);
      const current = ((await client.resource('hosts').get(host)).spec as { cluster?: string }).cluster;
      if (current !== name) throw new Error(`host "${host}" is ${current ? `in cluster "${current}"` : 'in no cluster'}, not in "${name}": nothing to leave`);
      await setMembership(client, host, null);
    });

  operationCommand(cluster, 'upgrade', 'ClusterUpgrade', 'upgrade the cluster\'s hosts one batch at a time (rpm-ostree upgrade by default); stops at the first failure', `
        drover cluster upgrade prod --wait
        drover cluster upgrade prod --profile dnf --batch-size 2`).argument('<cluster>', 'the cluster');
  operationCommand(cluster, 'restart', 'ClusterRestart', 'restart the cluster\'s hosts one batch at a time, each waited for until its SSH and agent are back', `
        drover cluster restart prod --wait`).argument('<cluster>', 'the cluster');
  operationCommand(cluster, 'deploy', 'ClusterDeploy', 'deploy a version (an OSTree version, or a release for package profiles) to the cluster\'s hosts one batch at a time', `
        drover cluster deploy prod 7.2.6 --wait
        drover cluster deploy prod 40 --profile dnf`)
    .argument('<cluster>', 'the cluster')
    .argument('<version>', 'the version to deploy');
}
