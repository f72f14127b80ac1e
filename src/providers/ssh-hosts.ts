// The ssh provider: a Replicante node takes a registered Host (bootstrapped over SSH by the host
// controller: its agent runs there) that is active or disassociated, whose Machine is Ready, and
// that no Replicante node uses yet. Releasing a node gives the host back to the pool; the host
// and its agent stay (they were there before the node).
import { isMachineReady, REPLICANTE_NODE_LABEL, type Host, type Installation, type Machine } from '../model/index.js';
import type { State } from '../state/state.js';
import type { MachineProvider, NodeRequest } from './provider.js';

/** Ports handed to stores on hosts: above the usual services, below the ephemeral range. */
const PORT_RANGE = { first: 20000, last: 29999 };

export class SshHosts implements MachineProvider {
  readonly name = 'ssh' as const;
  /** Node id → machine, for nodes between acquire and their Installation's creation. */
  private readonly pending = new Map<string, string>();

  constructor(private readonly state: State) {}

  async acquire(node: NodeRequest): Promise<string> {
    const already = this.pending.get(node.nodeId) ?? this.nodeMachines().get(node.nodeId);
    if (already) return already;
    const used = new Set([...this.nodeMachines().values(), ...this.pending.values()]);
    const machines = this.state.resources<Machine>('machines');
    const hosts = this.state
      .resources<Host>('hosts')
      .list()
      .filter((h) => !h.metadata.deletionTimestamp && (h.status?.phase === 'active' || h.status?.phase === 'disassociated'))
      .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
    const free = hosts.find((h) => h.status?.machine && !used.has(h.status.machine) && isMachineReady(machines.get(h.status.machine)));
    if (!free) {
      throw new Error(`no free host for node "${node.nodeId}": ${hosts.length} host(s) active or disassociated, none with a Ready machine that no Replicante node uses; register another (drover create host …)`);
    }
    this.pending.set(node.nodeId, free.status!.machine!);
    return free.status!.machine!;
  }

  async freePort(machine: string): Promise<number> {
    // The host is remote: the server cannot probe it, so it avoids what the installations there use.
    const taken = new Set(
      this.installations()
        .filter((i) => i.spec.constraints?.machine === machine)
        .flatMap((i) => Object.values(i.spec.values ?? {}))
        .map(Number),
    );
    const span = PORT_RANGE.last - PORT_RANGE.first + 1;
    const start = Math.floor(Math.random() * span);
    for (let i = 0; i < span; i++) {
      const port = PORT_RANGE.first + ((start + i) % span);
      if (!taken.has(port)) return port;
    }
    throw new Error(`no free port left on machine "${machine}" in ${PORT_RANGE.first}-${PORT_RANGE.last}`);
  }

  async release(nodeId: string): Promise<void> {
    this.pending.delete(nodeId);
  }

  async close(): Promise<void> {}

  /** Forgets nodes whose Installation now exists (it marks the host used from then on). */
  settled(nodeId: string): void {
    this.pending.delete(nodeId);
  }

  private installations(): Installation[] {
    return this.state.resources<Installation>('installations').list();
  }

  /** Node id → machine of every Replicante node's Installation. */
  private nodeMachines(): Map<string, string> {
    const out = new Map<string, string>();
    for (const i of this.installations()) {
      const id = i.metadata.labels?.[REPLICANTE_NODE_LABEL];
      const machine = i.spec.constraints?.machine;
      if (id && machine) out.set(id, machine);
    }
    return out;
  }
}
