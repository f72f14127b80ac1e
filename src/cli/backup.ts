// `drover backup > FILE` and `drover restore FILE`: a consistent snapshot of the cluster state at
// one store revision, as NDJSON (a header line, then one {key, value} per object with keys
// relative to the prefix), so a backup of SQLite restores into etcd and back. Both open the store
// directly: SQLite needs its server stopped (the file is locked), etcd does not.
import { createReadStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { SqliteStore } from '../store/sqlite.js';
import { prefixEnd, type Store } from '../store/store.js';
import { UsageError } from './output.js';
import { examples } from './help.js';

export const BACKUP_FORMAT = 'drover-backup/v1';
/** Puts per restore transaction: under etcd's 128 operations (and compares) per transaction. */
const RESTORE_BATCH = 100;
const PAGE = 500;

export interface BackupHeader {
  format: typeof BACKUP_FORMAT;
  revision: number;
  prefix: string;
  backend: string;
  createdAt: string;
}

/** Writes every object under `prefix` as of one revision; keys on leases (heartbeats) are skipped. */
export async function writeBackup(store: Store, prefix: string, write: (line: string) => void | Promise<void>): Promise<{ revision: number; objects: number }> {
  const base = prefix.replace(/\/+$/, '') + '/';
  const revision = await store.currentRevision();
  const header: BackupHeader = { format: BACKUP_FORMAT, revision, prefix: base, backend: store.backend, createdAt: new Date().toISOString() };
  await write(JSON.stringify(header));
  let objects = 0;
  let from = base;
  for (;;) {
    const page = await store.range(from, { end: prefixEnd(base), revision, limit: PAGE });
    for (const kv of page.kvs) {
      if (kv.lease !== 0) continue;
      await write(JSON.stringify({ key: kv.key.slice(base.length), value: kv.value }));
      objects++;
    }
    if (!page.more || page.kvs.length === 0) break;
    from = `${page.kvs[page.kvs.length - 1]!.key}\0`;
  }
  return { revision, objects };
}

/** Restores a backup under `prefix` into a store that holds no objects there yet. */
export async function restoreBackup(store: Store, prefix: string, lines: AsyncIterable<string> | Iterable<string>): Promise<{ objects: number; revision: number }> {
  const base = prefix.replace(/\/+$/, '') + '/';
  const existing = await store.range(base, { end: prefixEnd(base), countOnly: true });
  if (existing.count > 0) throw new UsageError(`the target store already holds ${existing.count} keys under "${base}": restore into an empty store (or another --etcd-prefix)`);
  let header: BackupHeader | undefined;
  let batch: Array<{ key: string; value: string }> = [];
  let objects = 0;
  let revision = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const result = await store.txn({
      compare: batch.map((o) => ({ key: o.key, target: 'createRevision' as const, op: '=' as const, value: 0 })),
      success: batch.map((o) => ({ type: 'put' as const, key: o.key, value: o.value })),
    });
    if (!result.succeeded) throw new Error(`restore stopped after ${objects} objects: some keys of the next batch appeared meanwhile (is a server writing to this store?)`);
    objects += batch.length;
    revision = result.revision;
    batch = [];
  };
  let lineNumber = 0;
  for await (const line of lines) {
    lineNumber++;
    if (!line.trim()) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new UsageError(`line ${lineNumber} of the backup is not JSON: is this a drover backup?`);
    }
    if (!header) {
      if ((parsed as BackupHeader).format !== BACKUP_FORMAT) throw new UsageError(`not a drover backup: the first line must have format "${BACKUP_FORMAT}"`);
      header = parsed as BackupHeader;
      continue;
    }
    const { key, value } = parsed as { key?: unknown; value?: unknown };
    if (typeof key !== 'string' || typeof value !== 'string' || key === '') throw new UsageError(`line ${lineNumber} of the backup needs string "key" and "value"`);
    batch.push({ key: base + key, value });
    if (batch.length >= RESTORE_BATCH) await flush();
  }
  if (!header) throw new UsageError('the backup is empty');
  await flush();
  return { objects, revision };
}

interface StoreFlags {
  data: string;
  store: string;
  etcdPrefix: string;
  etcdCa?: string;
  etcdCert?: string;
  etcdKey?: string;
}

async function openStore(flags: StoreFlags): Promise<Store> {
  if (flags.store === 'sqlite') return SqliteStore.open({ path: join(resolve(flags.data), 'state.db') });
  if (!flags.store.startsWith('etcd://')) throw new UsageError(`--store must be sqlite or etcd://host:port[,host:port…], got "${flags.store}"`);
  const isTls = Boolean(flags.etcdCa || flags.etcdCert);
  const read = (file?: string) => (file ? readFileSync(file) : undefined);
  // etcd's client (gRPC) only when the store is etcd: it is a third of this command's start.
  const { EtcdStore, parseEtcdUrl } = await import('../store/etcd.js');
  return EtcdStore.open({
    endpoints: parseEtcdUrl(flags.store, isTls),
    ...(isTls ? { tls: { ca: read(flags.etcdCa), cert: read(flags.etcdCert), key: read(flags.etcdKey) } } : {}),
  });
}

function storeFlags(cmd: Command): Command {
  return cmd
    .option('--data <dir>', 'data directory of a stopped SQLite server', './drover-data')
    .option('--store <url>', 'sqlite (in --data) or etcd://host:port[,host:port…]', 'sqlite')
    .option('--etcd-prefix <prefix>', 'key prefix of drover\'s state', '/drover')
    .option('--etcd-ca <file>', 'CA certificate (PEM) for etcd TLS')
    .option('--etcd-cert <file>', 'client certificate (PEM) for etcd')
    .option('--etcd-key <file>', 'client private key (PEM) for etcd');
}

export function registerBackupCommands(program: Command): void {
  storeFlags(program.command('backup').description('write a consistent snapshot of the cluster state to stdout (NDJSON): drover backup > FILE'))
    .addHelpText(
      'after',
      examples(`
        drover backup --data ./drover-data > state.ndjson   # a stopped SQLite server's state
        drover backup --store etcd://10.0.0.1:2379 > state.ndjson`),
    )
    .action(
    async (flags: StoreFlags) => {
      const store = await openStore(flags);
      try {
        const { revision, objects } = await writeBackup(store, flags.etcdPrefix, (line) => {
          if (!process.stdout.write(`${line}\n`)) return new Promise<void>((ok) => process.stdout.once('drain', () => ok()));
        });
        console.error(`drover backup: ${objects} objects at revision ${revision}`);
      } finally {
        await store.close();
      }
    },
  );
  storeFlags(program.command('restore').description('load a backup made by drover backup into an empty store').argument('<file>', 'backup file (- for stdin)'))
    .addHelpText(
      'after',
      examples(`
        drover restore --data ./new-data state.ndjson
        gunzip -c state.ndjson.gz | drover restore --store etcd://10.0.0.1:2379 -`),
    )
    .action(
    async (file: string, flags: StoreFlags) => {
      const store = await openStore(flags);
      try {
        const input = file === '-' ? process.stdin : createReadStream(file);
        const lines = createInterface({ input, crlfDelay: Infinity });
        const { objects, revision } = await restoreBackup(store, flags.etcdPrefix, lines);
        console.error(`drover restore: ${objects} objects restored (store revision ${revision})`);
      } finally {
        await store.close();
      }
    },
  );
}
