// Opens the store a server keeps its state in: SQLite in its data dir (the default) or etcd
// (several servers). The rest of the server only ever sees it through State.
import type { Logger } from 'pino';
import { parseEtcdUrl } from '../store/etcd-options.js';
import { moveStoreFileAside } from '../store/sqlite-file-check.js';
import { SqliteStore, type SqliteStoreOptions } from '../store/sqlite.js';
import { CorruptStoreError, StoreError, type Store } from '../store/store.js';

export { parseEtcdUrl };

export interface EtcdConfig {
  endpoints: string[];
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer };
  /** How long one etcd call may take before it fails with 503 Unavailable (--etcd-timeout, default 5,000). */
  requestTimeoutMs?: number;
}

export interface SqliteConfig extends Pick<SqliteStoreOptions, 'path' | 'historyRevisions' | 'quotaBytes'> {
  /** A corrupt store file is moved aside and an empty store begun; a sound one is refused (the flag is for one start). */
  initStore?: boolean;
}

export type StoreConfig =
  | { sqlite: SqliteConfig }
  | { etcd: EtcdConfig }
  /** An open store (tests). */
  | { store: Store };

export async function openStore(config: StoreConfig, logger: Logger): Promise<Store> {
  if ('store' in config) return config.store;
  // Loaded only for etcd: its gRPC client and protobuf definitions were a quarter of the time a
  // server on SQLite took to import (drover dev's cold start).
  if ('etcd' in config) return (await import('../store/etcd.js')).EtcdStore.open({ ...config.etcd, logger });
  return openSqlite(config.sqlite, logger);
}

async function openSqlite({ initStore, ...options }: SqliteConfig, logger: Logger): Promise<Store> {
  let store: SqliteStore;
  try {
    store = SqliteStore.open({ ...options, logger });
  } catch (err) {
    if (!(err instanceof CorruptStoreError) || !initStore) throw err;
    const movedTo = moveStoreFileAside(options.path);
    logger.warn({ path: options.path, movedTo, problem: err.problem }, `--init-store: the corrupt store file was moved to ${movedTo}; beginning an empty cluster`);
    store = SqliteStore.open({ ...options, logger });
  }
  if (initStore && !store.isNew) {
    await store.close();
    throw new StoreError(
      `--init-store replaces a corrupt store file, but ${options.path} is sound: start without --init-store ` +
        '(left in place, it would let a later corruption be replaced by an empty cluster without a word)',
    );
  }
  if (store.isNew) logger.info({ path: options.path }, `created a new store at ${options.path}`);
  return store;
}
