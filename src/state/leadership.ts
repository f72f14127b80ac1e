// Controllers on several servers: only the elected leader runs them, on a State whose every
// write is fenced with the leader's election revision (a deposed leader's late write changes
// nothing), and they start only once that State's cache has reached the election.
import type { Logger } from 'pino';
import type { Store } from '../store/store.js';
import { FencedStore } from './fenced-store.js';
import { LeaderElection } from './leader.js';
import { State, type StateOptions } from './state.js';

export interface Closeable {
  close(): Promise<void>;
}

export interface LeadershipOptions {
  store: Store;
  /** Key prefix of all state, ending in "/" or not. */
  prefix?: string;
  ttlSeconds?: number;
  identity: string;
  logger: Logger;
  /** How to open the leader's State (everything but the store). */
  state: Omit<StateOptions, 'store'>;
  /** Starts what the leader runs; what it returns is closed when leadership ends. */
  lead(state: State): Closeable[];
}

export function startLeadership(opts: LeadershipOptions): LeaderElection {
  const electionKey = `${(opts.prefix ?? '/drover').replace(/\/+$/, '')}/leader/controllers`;
  let running: Closeable[] = [];
  let leaderState: State | undefined;
  const election: LeaderElection = new LeaderElection({
    store: opts.store,
    key: electionKey,
    ttlSeconds: opts.ttlSeconds,
    identity: opts.identity,
    logger: opts.logger,
    onElected: async (fence) => {
      const fenced = await State.open({ ...opts.state, store: new FencedStore(opts.store, electionKey, fence) });
      await fenced.waitForRevision(fence);
      if (election.fence !== fence) {
        await fenced.close();
        return;
      }
      leaderState = fenced;
      running = opts.lead(fenced);
    },
    onDeposed: async () => {
      const stopping = running;
      const stoppingState = leaderState;
      running = [];
      leaderState = undefined;
      for (const c of stopping) await c.close();
      await stoppingState?.close();
    },
  });
  election.start();
  return election;
}
