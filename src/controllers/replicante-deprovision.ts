// The ReplicanteDeprovision operation: delete the node's Installation (its Service and tasks go
// with it, so its store process stops), wait until no task of it is left, then hand its machine
// back to the provider that made it (local: its agent process stops and its Machine is deleted).
// Nothing recreates the node: its Installation was the only thing asking for it. Idempotent.
import { NotFound } from '../errors.js';
import { INSTALLATION_LABEL, REPLICANTE_CLUSTER_LABEL, REPLICANTE_PROVIDER_LABEL, type Installation, type ReplicanteDeprovisionParams, type Service, type Task } from '../model/index.js';
import { systemContext } from '../registry/index.js';
import type { OperationHandler } from './operations.js';
import { nodeInstallationName, type ReplicanteHandlerOptions } from './replicante-provision.js';

const POLL_MS = 100;

export function replicanteDeprovisionHandler(opts: ReplicanteHandlerOptions): OperationHandler {
  return async (op, progress) => {
    const params = op.spec.params as unknown as ReplicanteDeprovisionParams;
    const name = nodeInstallationName(params.nodeId);
    const key = `${opts.namespace}/${name}`;
    const installations = opts.state.resources<Installation>('installations');
    const inst = installations.get(key);
    if (inst && inst.metadata.labels?.[REPLICANTE_CLUSTER_LABEL] !== params.clusterId) throw new Error(`node "${params.nodeId}" is not in cluster "${params.clusterId}"`);
    const machine = inst?.spec.constraints?.machine;
    const providerName = inst?.metadata.labels?.[REPLICANTE_PROVIDER_LABEL];
    await progress(0, 3, `node ${params.nodeId}: deleting installation ${name}`);
    if (inst) {
      await opts.registry
        .kind('installations', opts.namespace)
        .delete(systemContext, name)
        .catch((err: unknown) => {
          if (!(err instanceof NotFound)) throw err;
        });
    }
    await progress(1, 3, `node ${params.nodeId}: waiting for its tasks to stop`);
    await nodeGone(opts, name, opts.nodeTimeoutMs ?? 120_000);
    await progress(2, 3, `node ${params.nodeId}: releasing machine ${machine ?? '(none)'}`);
    if (machine && opts.provider && (providerName === undefined || providerName === opts.provider.name)) await opts.provider.release(params.nodeId, machine);
    await progress(3, 3, `node ${params.nodeId} of cluster ${params.clusterId} deprovisioned`);
    return { clusterId: params.clusterId, nodeId: params.nodeId, machine: machine ?? null };
  };
}

/** Waits until the installation, its Service and every task of it are gone from the state. */
async function nodeGone(opts: ReplicanteHandlerOptions, name: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const left = () => {
    const inst = opts.state.resources<Installation>('installations').get(`${opts.namespace}/${name}`);
    const services = opts.state.resources<Service>('services').list().filter((s) => s.metadata.namespace === opts.namespace && s.metadata.labels?.[INSTALLATION_LABEL] === name);
    const tasks = opts.state.resources<Task>('tasks').list().filter((t) => t.metadata.namespace === opts.namespace && t.metadata.labels?.[INSTALLATION_LABEL] === name);
    return (inst ? 1 : 0) + services.length + tasks.length;
  };
  for (let n = left(); n > 0; n = left()) {
    if (Date.now() > deadline) throw new Error(`installation "${name}" still had ${n} object(s) (itself, its service, its tasks) after ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

