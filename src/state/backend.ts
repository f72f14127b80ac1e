// Opens the store a server keeps its state in: SQLite in its data dir (the default) or etcd
// (several servers). The rest of the server only ever sees it through State.
import type { Logger } from 'pino';
import { EtcdStore, parseEtcdUrl } from '../store/etcd.js';
import { SqliteStore } from '../store/sqlite.js';
import type { Store } from '../store/store.js';

export { parseEtcdUrl };

export interface EtcdConfig {
  endpoints: string[];
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer };
  /** How long one etcd call may take before it fails with 503 Unavailable (--etcd-timeout, default 5,000). */
  requestTimeoutMs?: number;
}

export type StoreConfig =
  | { sqlite: { path: string; historyRevisions?: number } }
  | { etcd: EtcdConfig }
  /** An open store (tests). */
  | { store: Store };

export async function openStore(config: StoreConfig, logger: Logger): Promise<Store> {
  if ('store' in config) return config.store;
  if ('etcd' in config) return EtcdStore.open({ ...config.etcd, logger });
  return SqliteStore.open({ ...config.sqlite, logger });
}
