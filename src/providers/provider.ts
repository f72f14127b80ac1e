// Machine providers: where a Replicante node's machine comes from. `local` starts a new drover
// agent process on the server's host per node (local-agents.ts); `ssh` takes a registered Host
// nobody uses yet (ssh-hosts.ts). The provision and deprovision operations call them; the façade
// never does (it holds no state and starts no process).
import type { Machine } from '../model/index.js';
import { isMachineReady } from '../model/index.js';
import type { State } from '../state/state.js';

export const PROVIDER_NAMES = ['local', 'ssh'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

/** What a provider knows of the node it makes a machine for. */
export interface NodeRequest {
  clusterId: string;
  nodeId: string;
  nodeGroup: string;
  nodeClass: string;
}

export interface MachineProvider {
  readonly name: ProviderName;
  /** A Ready machine for the node; asking again for the same node id gives the same machine. */
  acquire(node: NodeRequest): Promise<string>;
  /** A port nothing on the machine uses (as far as the provider can tell), for the node's store. */
  freePort(machine: string): Promise<number>;
  /** The node is gone (its tasks stopped): its machine goes too (local) or back to the pool (ssh). */
  release(nodeId: string, machine: string): Promise<void>;
  close(): Promise<void>;
}

const POLL_MS = 100;

/** Waits until `machine` is Ready; `failed` says why to stop waiting early (a dead agent). */
export async function machineReady(state: State, machine: string, timeoutMs: number, failed: () => string | undefined = () => undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (isMachineReady(state.resources<Machine>('machines').get(machine))) return;
    const why = failed();
    if (why !== undefined) throw new Error(why);
    if (Date.now() > deadline) throw new Error(`machine "${machine}" was not Ready within ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
