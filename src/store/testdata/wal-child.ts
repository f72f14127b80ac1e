// Child process of the full-disk restart test: writes `bytes` of puts with checkpoints turned
// off, so they stay in the WAL, prints "written", and waits for the SIGKILL that leaves the WAL
// behind un-checkpointed (a clean close would checkpoint it).

import { SqliteStore } from '../sqlite.js';

const [path, bytes] = process.argv.slice(2);
if (!path || !bytes) throw new Error('usage: wal-child <db path> <bytes>');
const store = SqliteStore.open({ path, checkpointIntervalMs: 3_600_000, quotaBytes: 1024 ** 3 });
const value = 'w'.repeat(1000);
// 50 puts per commit: a commit per put would write a whole page into the WAL for each.
for (let i = 0; i * value.length < Number(bytes); i += 50) {
  await store.txn({ success: Array.from({ length: 50 }, (_, j) => ({ type: 'put' as const, key: `/wal/${String(i + j).padStart(6, '0')}`, value })) });
}
process.stdout.write('written\n');
setInterval(() => {}, 60_000);
