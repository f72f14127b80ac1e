import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { SqliteStore } from './sqlite.js';
import { CorruptStoreError } from './store.js';

const PAGE = 4096;
const quiet = { warn: () => {} };

/** Every file in `dir` with a hash of its contents: what "writes nothing" is checked against. */
function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const name of fs.readdirSync(dir).sort()) files[name] = createHash('sha256').update(fs.readFileSync(path.join(dir, name))).digest('hex');
  return files;
}

function zeroPage(file: Buffer, page: number): Buffer {
  const damaged = Buffer.from(file);
  damaged.fill(0, (page - 1) * PAGE, page * PAGE);
  return damaged;
}

function overwrite(file: Buffer, offset: number, bytes: Buffer | string): Buffer {
  const damaged = Buffer.from(file);
  (typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes).copy(damaged, offset);
  return damaged;
}

describe('SqliteStore refuses a damaged store file', () => {
  let root: string;
  /** A real store file, closed cleanly: 2,000 keys over ~130 pages. */
  let sound: Buffer;

  before(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'drover-corrupt-'));
    const store = SqliteStore.open({ path: path.join(root, 'sound.db'), logger: quiet });
    for (let i = 0; i < 20; i++) {
      await store.txn({ success: Array.from({ length: 100 }, (_, j) => ({ type: 'put' as const, key: `/objects/${i}/${j}`, value: `{"n":${j},"pad":"${'x'.repeat(150)}"}` })) });
    }
    await store.close();
    sound = fs.readFileSync(path.join(root, 'sound.db'));
    assert.ok(sound.length / PAGE > 100, `the fixture has ${sound.length / PAGE} pages`);
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  const pages = () => sound.length / PAGE;
  const cases: Array<{ name: string; damage: () => Buffer; problem: RegExp }> = [
    { name: 'an empty file', damage: () => Buffer.alloc(0), problem: /the file is empty \(0 bytes\)/ },
    { name: 'random garbage', damage: () => randomBytes(64 * 1024), problem: /it is not a SQLite database/ },
    { name: 'a short text file', damage: () => Buffer.from('hello\n'), problem: /it is not a SQLite database/ },
    { name: 'cut inside the header', damage: () => sound.subarray(0, 50), problem: /it was cut short: 50 bytes, less than a SQLite header/ },
    { name: 'cut mid-page (page 2)', damage: () => sound.subarray(0, PAGE + 100), problem: /it was cut short mid-page: 4196 bytes is not a whole number of 4096-byte pages/ },
    { name: 'cut mid-page near the end', damage: () => sound.subarray(0, sound.length - 1000), problem: /it was cut short mid-page/ },
    { name: 'cut at a page boundary, half gone', damage: () => sound.subarray(0, Math.floor(pages() / 2) * PAGE), problem: /it was cut short: \d+ pages, but its header says \d+/ },
    { name: 'the last page cut off', damage: () => sound.subarray(0, sound.length - PAGE), problem: /it was cut short: \d+ pages, but its header says \d+/ },
    { name: 'page 1 (the header) zeroed', damage: () => zeroPage(sound, 1), problem: /it is not a SQLite database/ },
    { name: 'page 3 zeroed', damage: () => zeroPage(sound, 3), problem: /SQLite's quick_check found|SQLite cannot read it/ },
    { name: 'a middle page zeroed', damage: () => zeroPage(sound, Math.floor(pages() / 2)), problem: /SQLite's quick_check found|SQLite cannot read it/ },
    { name: 'the last page zeroed', damage: () => zeroPage(sound, pages()), problem: /SQLite's quick_check found|SQLite cannot read it/ },
    { name: 'a wrong magic string', damage: () => overwrite(sound, 0, 'SQLite format 4\0'), problem: /it is not a SQLite database/ },
    { name: 'an invalid page size', damage: () => overwrite(sound, 16, Buffer.from([0x03, 0xe8])), problem: /page size 1000 is not a power of two/ },
    { name: 'invalid file format versions', damage: () => overwrite(sound, 18, Buffer.from([9, 9])), problem: /file format versions 9\/9 are not 1 or 2/ },
    { name: 'damaged payload fractions', damage: () => overwrite(sound, 21, Buffer.from([1, 2, 3])), problem: /the payload fractions/ },
    { name: 'the header overwritten with garbage', damage: () => overwrite(sound, 0, randomBytes(100)), problem: /it is not a SQLite database/ },
  ];

  for (const { name, damage, problem } of cases) {
    it(`${name}: CorruptStoreError naming the file and what to do, and nothing written beside it`, () => {
      const dir = fs.mkdtempSync(path.join(root, 'case-'));
      const file = path.join(dir, 'state.db');
      fs.writeFileSync(file, damage());
      const before = snapshot(dir);
      const err = captureError(() => SqliteStore.open({ path: file, logger: quiet }));
      assert.ok(err instanceof CorruptStoreError, `expected CorruptStoreError, got ${err}`);
      assert.ok(err.message.startsWith(`store file ${file} is corrupt: `), err.message);
      assert.match(err.message, problem);
      assert.match(err.message, /drover restore FILE/);
      assert.match(err.message, /--init-store/);
      assert.deepEqual(snapshot(dir), before, 'the directory is as it was');
    });
  }

  it('a log row of the wrong type, which quick_check passes, is refused as corrupt (not a TypeError later)', () => {
    const dir = fs.mkdtempSync(path.join(root, 'case-'));
    const file = path.join(dir, 'state.db');
    fs.writeFileSync(file, sound);
    const db = new Database(file);
    db.prepare("UPDATE kv SET key = x'00ff' WHERE id = (SELECT MIN(id) FROM kv)").run();
    db.close();
    const before = snapshot(dir);
    const err = captureError(() => SqliteStore.open({ path: file, logger: quiet }));
    assert.ok(err instanceof CorruptStoreError, `expected CorruptStoreError, got ${err}`);
    assert.match(err.message, /^store file .* is corrupt: log row \d+ has no valid key/);
    assert.deepEqual(snapshot(dir), before);
  });

  it('a missing file with its WAL left behind is refused too', () => {
    const dir = fs.mkdtempSync(path.join(root, 'case-'));
    const file = path.join(dir, 'state.db');
    fs.writeFileSync(`${file}-wal`, randomBytes(PAGE + 32));
    const before = snapshot(dir);
    const err = captureError(() => SqliteStore.open({ path: file, logger: quiet }));
    assert.ok(err instanceof CorruptStoreError, `expected CorruptStoreError, got ${err}`);
    assert.match(err.message, /the file is missing but its write-ahead log .*state\.db-wal \(4128 bytes\) is there/);
    assert.deepEqual(snapshot(dir), before);
  });

  it('a sound file copied into a new directory opens with its data, and an absent one makes a new store', async () => {
    const dir = fs.mkdtempSync(path.join(root, 'case-'));
    fs.writeFileSync(path.join(dir, 'state.db'), sound);
    const copied = SqliteStore.open({ path: path.join(dir, 'state.db'), logger: quiet });
    try {
      assert.equal(copied.isNew, false);
      assert.equal((await copied.range('/objects/', { end: '/objects0', countOnly: true })).count, 2000);
    } finally {
      await copied.close();
    }
    const fresh = SqliteStore.open({ path: path.join(dir, 'new.db'), logger: quiet });
    try {
      assert.equal(fresh.isNew, true);
      assert.equal(await fresh.currentRevision(), 0);
    } finally {
      await fresh.close();
    }
  });
});

function captureError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}
