// The ReplicanteProvision operation: for each node id, a machine from the provider, then an
// Installation of the store's package pinned to it (constraints.machine) with a free port as the
// package's agentPort value, labelled as the node; the node is done when its task runs. Idempotent
// (an operation left Running by a restart runs again): a node whose Installation exists is kept.
import { AlreadyExists } from '../errors.js';
import {
  BIND_PARAMETER,
  INSTALLATION_LABEL,
  machineHost,
  REPLICANTE_CLASS_LABEL,
  REPLICANTE_CLUSTER_LABEL,
  REPLICANTE_GROUP_LABEL,
  REPLICANTE_NODE_LABEL,
  REPLICANTE_PROVIDER_LABEL,
  type Installation,
  type Machine,
  type Package,
  type ReplicanteProvisionParams,
  type Task,
} from '../model/index.js';
import type { MachineProvider } from '../providers/provider.js';
import { systemContext, type Registry } from '../registry/index.js';
import type { State } from '../state/state.js';
import type { OperationHandler } from './operations.js';

export interface ReplicanteHandlerOptions {
  state: State;
  registry: Registry;
  /** The provider nodes' machines come from; undefined when the server serves no Replicante platform. */
  provider: MachineProvider | undefined;
  /** The namespace nodes' Installations live in. */
  namespace: string;
  /** How long one node's task has to be Running (default 120 s). */
  nodeTimeoutMs?: number;
}

const POLL_MS = 100;

/** The Installation of a node: one per node id (node ids carry a random part, so they are unique). */
export function nodeInstallationName(nodeId: string): string {
  return `rpl-${nodeId}`;
}

export function replicanteProvisionHandler(opts: ReplicanteHandlerOptions): OperationHandler {
  return async (op, progress) => {
    const params = op.spec.params as unknown as ReplicanteProvisionParams;
    const provider = opts.provider;
    if (!provider) throw new Error('this server provisions no Replicante nodes: start it with --replicante-listen');
    const pkg = opts.state.resources<Package>('packages').get(params.package);
    if (!pkg) throw new Error(`package "${params.package}" is not in the catalog any more`);
    const installations = opts.registry.kind<Installation>('installations', opts.namespace);
    const total = params.nodeIds.length;
    const done: { nodeId: string; machine: string; installation: string; port: number }[] = [];
    for (const nodeId of params.nodeIds) {
      const name = nodeInstallationName(nodeId);
      await progress(done.length, total, `node ${nodeId}: getting a machine from the ${provider.name} provider`);
      let inst = await installations.find(systemContext, name);
      if (!inst) {
        const machine = await provider.acquire({ clusterId: params.clusterId, nodeId, nodeGroup: params.nodeGroup, nodeClass: params.nodeClass });
        const port = await provider.freePort(machine);
        await progress(done.length, total, `node ${nodeId}: installing ${pkg.metadata.name} on machine ${machine}, port ${port}`);
        inst = await installations
          .create(systemContext, {
            metadata: {
              name,
              labels: {
                [REPLICANTE_CLUSTER_LABEL]: params.clusterId,
                [REPLICANTE_NODE_LABEL]: nodeId,
                [REPLICANTE_GROUP_LABEL]: params.nodeGroup,
                [REPLICANTE_CLASS_LABEL]: params.nodeClass,
                [REPLICANTE_PROVIDER_LABEL]: provider.name,
              },
            },
            spec: {
              package: pkg.spec.package,
              version: pkg.spec.version,
              values: nodeValues(pkg, params.attributes ?? {}, port, machineHost(opts.state.resources<Machine>('machines').get(machine))),
              constraints: { machine },
              labels: { [REPLICANTE_CLUSTER_LABEL]: params.clusterId, [REPLICANTE_NODE_LABEL]: nodeId, [REPLICANTE_GROUP_LABEL]: params.nodeGroup },
            },
          })
          .catch(async (err: unknown) => {
            if (!(err instanceof AlreadyExists)) throw err;
            return (await installations.find(systemContext, name))!;
          });
        (provider as { settled?: (id: string) => void }).settled?.(nodeId);
      }
      await progress(done.length, total, `node ${nodeId}: waiting for its task to run`);
      await nodeRunning(opts, name, opts.nodeTimeoutMs ?? 120_000);
      const machine = inst.spec.constraints?.machine ?? '';
      done.push({ nodeId, machine, installation: name, port: Number(pkg.spec.agentPort ? inst.spec.values?.[pkg.spec.agentPort] : 0) });
    }
    await progress(total, total, `${total} node(s) of cluster ${params.clusterId} running`);
    return { clusterId: params.clusterId, nodes: done };
  };
}

/**
 * The installation's values: the machine's host as `bind` (when the package has one), the merged
 * attributes that name a parameter of the package (strings, numbers and booleans; anything else is
 * not a value), then the agent port the provider chose.
 */
export function nodeValues(pkg: Package, attributes: Record<string, unknown>, port: number, host: string | undefined): Record<string, string> {
  const values: Record<string, string> = {};
  // Discovery tells Core to reach the node at its machine's host: the store must listen there.
  if (host && pkg.spec.parameters?.some((p) => p.name === BIND_PARAMETER)) values[BIND_PARAMETER] = host;
  for (const param of pkg.spec.parameters ?? []) {
    const v = attributes[param.name];
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') values[param.name] = String(v);
  }
  if (pkg.spec.agentPort) values[pkg.spec.agentPort] = String(port);
  return values;
}

/** Waits until the installation's task runs; fails with the installation's reason when it failed. */
async function nodeRunning(opts: ReplicanteHandlerOptions, name: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const installations = opts.state.resources<Installation>('installations');
  const tasks = opts.state.resources<Task>('tasks');
  for (;;) {
    const inst = installations.get(`${opts.namespace}/${name}`);
    if (!inst) throw new Error(`installation "${name}" was deleted while it was being provisioned`);
    if (inst.status?.phase === 'Failed') throw new Error(`installation "${name}" failed: ${inst.status.message ?? 'no reason given'}`);
    const own = tasks.list().filter((t) => t.metadata.namespace === opts.namespace && t.metadata.labels?.[INSTALLATION_LABEL] === name);
    if (own.some((t) => t.status?.phase === 'Running')) return;
    const failed = own.find((t) => t.status?.phase === 'Failed' && t.status.message);
    if (Date.now() > deadline) {
      throw new Error(`the task of installation "${name}" was not Running within ${timeoutMs / 1000}s${failed ? `: ${failed.status!.message}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
