import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { mountTmpfs } from '../../test/tmpfs.js';
import { until } from './conformance.js';
import { SqliteStore, type SqliteStoreOptions } from './sqlite.js';
import { NoSpaceError, prefixEnd } from './store.js';

const MiB = 1024 * 1024;

/** A logger that keeps what it was told, by level. */
function recordingLogger() {
  const lines: Array<{ level: string; msg: string; obj: any }> = [];
  const at = (level: string) => (obj: unknown, msg?: string) => void lines.push({ level, msg: msg ?? '', obj });
  return { lines, logger: { warn: at('warn'), info: at('info'), debug: at('debug') }, count: (level: string, msg: RegExp) => lines.filter((l) => l.level === level && msg.test(l.msg)).length };
}

async function putUntilRefused(store: SqliteStore, prefix: string, valueBytes: number, max: number): Promise<NoSpaceError> {
  const value = 'v'.repeat(valueBytes);
  for (let i = 0; i < max; i++) {
    try {
      await store.put(`${prefix}${String(i).padStart(6, '0')}`, value);
    } catch (err) {
      if (err instanceof NoSpaceError) return err;
      throw err;
    }
  }
  throw new Error(`${max} puts of ${valueBytes} bytes were all accepted`);
}

function open(dir: string, options: Partial<SqliteStoreOptions>): SqliteStore {
  return SqliteStore.open({ path: path.join(dir, 'state.db'), checkpointIntervalMs: 20, spaceCheckIntervalMs: 20, ...options });
}

describe('SqliteStore space quota and NOSPACE alarm', () => {
  it('a put that would pass the quota raises the alarm: only deletes and compaction go on, and it clears once usage is back under the quota', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drover-quota-'));
    const log = recordingLogger();
    const store = open(dir, { quotaBytes: 2 * MiB, logger: log.logger });
    try {
      assert.equal(store.space().alarm, undefined);
      const refused = await putUntilRefused(store, '/fill/', 1000, 10_000);
      assert.match(refused.message, /^the store is out of space: its database holds [\d.]+ MiB and its quota is 2\.0 MiB \(--store-quota\)/);
      assert.match(refused.message, /only deletes and compaction are accepted: delete objects you no longer need/);
      const space = store.space();
      assert.ok(space.alarm, 'the alarm is raised');
      // The line is drawn before each write from its size; the pages it fills can pass it by a page.
      assert.ok(space.usedBytes <= 2 * MiB + 8192, `the refused put did not land: ${space.usedBytes} bytes in use`);
      assert.equal(log.count('warn', /^NOSPACE alarm raised/), 1);

      const revision = await store.currentRevision();
      await assert.rejects(store.put('/fill/000000', 'an update'), NoSpaceError);
      await assert.rejects(store.put('/new', 'x'), NoSpaceError);
      await assert.rejects(store.grantLease(10), NoSpaceError);
      await assert.rejects(store.txn({ success: [{ type: 'delete', key: '/fill/000001' }, { type: 'put', key: '/new', value: 'x' }] }), NoSpaceError);
      assert.equal(await store.currentRevision(), revision, 'nothing refused was written');
      assert.equal((await store.get('/fill/000000'))?.value, 'v'.repeat(1000), 'reads go on');

      const deleted = await store.delete('/fill/', { end: prefixEnd('/fill/') });
      assert.ok(deleted.deleted > 1000);
      await until(() => store.space().alarm === undefined, 10_000, 'the alarm to clear');
      assert.ok((await store.compactedRevision()) >= deleted.revision, 'history is compacted at once while the alarm lasts');
      assert.equal(log.count('info', /^NOSPACE alarm cleared/), 1);
      await store.put('/after', 'accepted again');
    } finally {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a full disk raises the alarm and releases the reserve, so deletes still commit; it clears when the disk has room again', async (t) => {
    const tmpfs = mountTmpfs(t, 8 * MiB);
    if (!tmpfs) return;
    const log = recordingLogger();
    const reservePath = path.join(tmpfs.dir, 'state.db-reserve');
    const store = open(tmpfs.dir, { quotaBytes: 1024 * MiB, logger: log.logger });
    try {
      assert.ok(fs.statSync(reservePath).size >= MiB, 'the reserve file is held');
      for (let i = 0; i < 100; i++) await store.put(`/keep/${i}`, 'k'.repeat(1000));
      const filler = tmpfs.fill();

      const refused = await putUntilRefused(store, '/fill/', 16 * 1024, 1000);
      assert.match(refused.message, new RegExp(`^the store is out of space: the disk holding ${tmpfs.dir}/state\\.db is full`));
      assert.match(refused.message, /reserve was released so that they can commit/);
      assert.equal(fs.existsSync(reservePath), false, 'the reserve is released');
      await assert.rejects(store.put('/keep/0', 'x'), NoSpaceError);

      const deleted = await store.delete('/keep/', { end: prefixEnd('/keep/') });
      assert.equal(deleted.deleted, 100, 'deletes commit on the full disk');
      assert.equal(await store.get('/keep/1'), undefined);

      fs.rmSync(filler);
      await until(() => store.space().alarm === undefined, 10_000, 'the alarm to clear once the disk has room');
      assert.ok(fs.statSync(reservePath).size >= MiB, 'the reserve is held again');
      await store.put('/after', 'accepted again');
    } finally {
      await store.close();
      tmpfs.unmount();
    }
  });

  it('restarted on a full disk with an un-checkpointed WAL and no reserve left: opens, raises the alarm, logs the failing checkpoint once and retries it until it succeeds', async (t) => {
    // Room for the WAL and, once the filler goes, for the database the checkpoint moves it into.
    const tmpfs = mountTmpfs(t, 16 * MiB);
    if (!tmpfs) return;
    const dbPath = path.join(tmpfs.dir, 'state.db');
    const log = recordingLogger();
    let store: SqliteStore | undefined;
    try {
      await writeAndKill(dbPath, 3 * MiB);
      assert.ok(fs.statSync(`${dbPath}-wal`).size > 3 * MiB, 'the writes are in the WAL');
      // Opening must write nothing then: there is not a byte to spare.
      fs.rmSync(`${dbPath}-reserve`);
      const filler = tmpfs.fill();

      store = open(tmpfs.dir, { quotaBytes: 1024 * MiB, logger: log.logger });
      assert.match(store.space().alarm?.message ?? '', /the disk holding .* is full/);
      assert.equal((await store.get('/wal/000000'))?.value, 'w'.repeat(1000), 'what the WAL holds is served');
      await assert.rejects(store.put('/new', 'x'), NoSpaceError);
      await until(() => log.count('debug', /^WAL checkpoint failed again/) >= 3, 10_000, 'the checkpoint to be retried');
      assert.equal(log.count('warn', /^WAL checkpoint failed/), 1, 'logged once');

      fs.rmSync(filler);
      await until(() => store!.space().alarm === undefined, 10_000, 'the alarm to clear');
      const recovered = log.lines.find((l) => l.level === 'info' && /^WAL checkpoint succeeded again/.test(l.msg));
      assert.ok(recovered && recovered.obj.failedAttempts >= 3, 'the checkpoint succeeded after its retries');
      assert.equal(log.count('warn', /^WAL checkpoint failed/), 1);
      await store.put('/new', 'accepted again');
    } finally {
      await store?.close();
      tmpfs.unmount();
    }
  });

  it('closed cleanly, then the disk filled: opening releases the reserve to make room for SQLite, and the alarm clears once the disk has room', async (t) => {
    const tmpfs = mountTmpfs(t, 8 * MiB);
    if (!tmpfs) return;
    const reservePath = path.join(tmpfs.dir, 'state.db-reserve');
    let store = open(tmpfs.dir, { quotaBytes: 1024 * MiB, logger: recordingLogger().logger });
    let filler: string | undefined;
    try {
      await store.put('/kept', 'across the restart');
      await store.close();
      assert.equal(fs.existsSync(path.join(tmpfs.dir, 'state.db-shm')), false, 'a clean close leaves no -shm: the next open creates one');
      filler = tmpfs.fill();

      store = open(tmpfs.dir, { quotaBytes: 1024 * MiB, logger: recordingLogger().logger });
      assert.equal(fs.existsSync(reservePath), false, 'the reserve was released');
      assert.match(store.space().alarm?.message ?? '', /the disk holding .* is full \(less than the 1\.0 MiB reserve is free\)/);
      assert.equal((await store.get('/kept'))?.value, 'across the restart');

      fs.rmSync(filler);
      await until(() => store.space().alarm === undefined, 10_000, 'the alarm to clear');
      assert.ok(fs.existsSync(reservePath), 'the reserve is held again');
    } finally {
      await store.close();
      tmpfs.unmount();
    }
  });
});

/** Runs testdata/wal-child until it has written `bytes` into the WAL, then kills it with SIGKILL. */
async function writeAndKill(dbPath: string, bytes: number): Promise<void> {
  const here = fileURLToPath(import.meta.url);
  const isTypeScript = here.endsWith('.ts');
  const child = path.join(path.dirname(here), 'testdata', `wal-child.${isTypeScript ? 'ts' : 'js'}`);
  const args = isTypeScript ? ['--import', import.meta.resolve('tsx'), child] : [child];
  const proc = spawn(process.execPath, [...args, dbPath, String(bytes)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const closed = new Promise<void>((resolve) => proc.once('close', () => resolve()));
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (chunk) => (stdout += chunk));
  proc.stderr.on('data', (chunk) => (stderr += chunk));
  try {
    await until(() => stdout.includes('written') || proc.exitCode !== null, 30_000, 'the child to write');
    assert.ok(stdout.includes('written'), `the child ended early: ${stderr}`);
  } finally {
    proc.kill('SIGKILL');
    await closed;
  }
}
