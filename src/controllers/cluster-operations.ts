// ClusterDeploy, ClusterUpgrade and ClusterRestart: Commissaire's clusterexec, host by host. The
// members (Hosts whose spec.cluster names the cluster) go in host-name order, batchSize at a
// time; each host's step goes Pending → Running → Succeeded or Failed in status.steps as it
// happens. The first failure stops the operation: the hosts after it stay Pending, untouched.
// Idempotent as the operations controller requires: run again after a server restart, the steps
// already recorded are the plan and a host already Succeeded is not redone. A resumed operation
// (params.resume) skips the hosts the failed one finished.
import { CLUSTER_OPERATION_TYPES, type Cluster, type ClusterOperationParams, type ClusterOperationType, type Host, type Operation, type OperationStep } from '../model/index.js';
import type { HostAccess } from '../hosts/connect.js';
import { hostCommands } from '../hosts/os-profiles.js';
import type { State } from '../state/state.js';
import { HostStepFailure, runHostStep } from './cluster-host-step.js';
import type { OperationContext, OperationHandler } from './operations.js';

const DONE: ReadonlySet<OperationStep['phase']> = new Set(['Succeeded', 'Skipped']);

/** The handlers of the three cluster operation types, keyed by type for the operations controller. */
export function clusterOperationHandlers(state: State, access: HostAccess): Record<ClusterOperationType, OperationHandler> {
  const handler: OperationHandler = (op, _progress, ctx) => new ClusterRun(state, access, op as Operation, ctx).run();
  return Object.fromEntries(CLUSTER_OPERATION_TYPES.map((t) => [t, handler])) as Record<ClusterOperationType, OperationHandler>;
}

class ClusterRun {
  private readonly type: ClusterOperationType;
  private readonly params: ClusterOperationParams;
  private readonly cluster: string;
  private steps: OperationStep[] = [];
  /** Status writes in the order they were made: hosts of one batch report concurrently. */
  private writes: Promise<void> = Promise.resolve();

  constructor(
    private readonly state: State,
    private readonly access: HostAccess,
    private readonly op: Operation,
    private readonly ctx: OperationContext,
  ) {
    // The registry checked type, params and target when the operation was created.
    this.type = op.spec.type as ClusterOperationType;
    this.params = (op.spec.params ?? {}) as ClusterOperationParams;
    this.cluster = op.spec.target!.name;
  }

  async run(): Promise<unknown> {
    if (!this.state.resources<Cluster>('clusters').get(this.cluster)) throw new Error(`cluster "${this.cluster}" not found: create it, or target an existing cluster`);
    this.steps = this.plan();
    await this.publish();
    const batchSize = this.params.batchSize ?? 1;
    const todo = this.steps.filter((s) => !DONE.has(s.phase));
    for (let i = 0; i < todo.length; i += batchSize) {
      const batch = todo.slice(i, i + batchSize);
      const failures = (await Promise.all(batch.map((s) => this.runStep(s)))).filter((f): f is string => f !== undefined);
      if (failures.length) {
        const untouched = this.steps.filter((s) => s.phase === 'Pending').length;
        throw new Error(`${failures.join('; ')}${untouched ? `; ${untouched} later host(s) left untouched` : ''}: fix the cause, then resume with drover operation resume ${this.op.metadata.name}`);
      }
    }
    return { cluster: this.cluster, hosts: this.steps.filter((s) => s.phase === 'Succeeded').map((s) => s.name), skipped: this.steps.filter((s) => s.phase === 'Skipped').map((s) => s.name) };
  }

  /** The steps: those recorded by an earlier run of this operation, else the members in name order. */
  private plan(): OperationStep[] {
    const recorded = this.op.status?.steps;
    // A step Running when the server stopped may not have finished: it runs again.
    if (recorded?.length) return recorded.map((s) => (s.phase === 'Running' ? { name: s.name, ...(s.address ? { address: s.address } : {}), phase: 'Pending' } : s));
    const finished = this.resumedFrom();
    return this.state
      .resources<Host>('hosts')
      .list()
      .filter((h) => h.spec.cluster === this.cluster && !h.metadata.deletionTimestamp)
      .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0))
      .map((h): OperationStep => {
        const name = h.metadata.name;
        const base = { name, address: h.spec.address };
        return finished.has(name) ? { ...base, phase: 'Skipped', message: `finished by operation "${this.params.resume}"` } : { ...base, phase: 'Pending' };
      });
  }

  /** The hosts the operation named by params.resume finished; checks that it may be resumed. */
  private resumedFrom(): Set<string> {
    const name = this.params.resume;
    if (!name) return new Set();
    const prior = this.state.resources<Operation>('operations').get(name);
    if (!prior) throw new Error(`params.resume names operation "${name}", which does not exist: name a Failed ${this.type} of cluster "${this.cluster}"`);
    if (prior.spec.type !== this.type || prior.spec.target?.name !== this.cluster) {
      throw new Error(`params.resume names operation "${name}", a ${prior.spec.type} of ${prior.spec.target?.kind ?? 'nothing'} "${prior.spec.target?.name ?? ''}": a ${this.type} resumes only a ${this.type} of cluster "${this.cluster}"`);
    }
    if (prior.status?.phase !== 'Failed') throw new Error(`params.resume names operation "${name}", which is ${prior.status?.phase ?? 'Pending'}: only a Failed operation can be resumed`);
    return new Set((prior.status.steps ?? []).filter((s) => DONE.has(s.phase)).map((s) => s.name));
  }

  /** Runs one host's step; returns the failure's text, or undefined when it succeeded. */
  private async runStep(step: OperationStep): Promise<string | undefined> {
    const name = step.name;
    const started = new Date().toISOString();
    await this.update(name, { phase: 'Running', startedAt: started, message: 'connecting over SSH' });
    const host = this.state.resources<Host>('hosts').get(name);
    const where = `host "${name}"${step.address ? ` (${step.address})` : ''}`;
    try {
      if (!host) throw new HostStepFailure('the host no longer exists');
      const message = await runHostStep(host, {
        state: this.state,
        access: this.access,
        commands: hostCommands(this.type, this.params),
        restart: this.type === 'ClusterRestart',
        deadline: Date.now() + (this.params.hostTimeoutSeconds ?? 600) * 1000,
        signal: this.ctx.signal,
        note: (message) => this.update(name, { message }),
      });
      await this.update(name, { phase: 'Succeeded', finishedAt: new Date().toISOString(), message });
      return undefined;
    } catch (err) {
      // Stopping is not the host's failure: the next leader runs the step again.
      if (this.ctx.signal.aborted) throw err;
      const message = (err as Error).message;
      await this.update(name, { phase: 'Failed', finishedAt: new Date().toISOString(), message });
      return `${where} failed: ${message.split('\n')[0]}`;
    }
  }

  private update(name: string, patch: Partial<OperationStep>): Promise<void> {
    this.steps = this.steps.map((s) => (s.name === name ? { ...s, ...patch } : s));
    return this.publish();
  }

  /** Writes the steps and progress as they are now, after the writes before it. */
  private publish(): Promise<void> {
    const steps = this.steps;
    const completed = steps.filter((s) => DONE.has(s.phase)).length;
    const running = steps.filter((s) => s.phase === 'Running').map((s) => s.name);
    const message = `${completed}/${steps.length} hosts done${running.length ? `; ${running.join(', ')} in progress` : ''}`;
    // One write for both, so no reader sees steps and progress disagree.
    const write = this.writes.then(() => this.ctx.report({ steps, progress: { completed, total: steps.length, message } }));
    this.writes = write.catch(() => {});
    return write;
  }
}
