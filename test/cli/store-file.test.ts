// `drover server` and its store file: a new one is created and said so; an empty or damaged one
// stops the server with what is wrong and what to do, and nothing written beside it; --init-store
// moves a damaged one aside for an empty cluster, once.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SqliteStore } from '../../src/store/sqlite.js';
import { tempDir } from '../helpers.js';
import { drover, startServing, type ServingDrover } from './drover.js';

function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const name of readdirSync(dir).sort()) files[name] = createHash('sha256').update(readFileSync(join(dir, name))).digest('hex');
  return files;
}

/** Starts `drover server` and resolves once it answers (over HTTPS, as the context it wrote says). */
function startServer(dataDir: string, extra: string[] = []): Promise<ServingDrover> {
  return startServing(['server', '--data', dataDir, '--log-level', 'info', ...extra], { config: join(dataDir, '..', 'config.yaml'), context: 'default' });
}

async function stop(server: { child: ChildProcess; exited: Promise<number | null> }): Promise<void> {
  server.child.kill('SIGTERM');
  assert.equal(await server.exited, 0);
}

/** A real store file cut in the middle of a page. */
async function truncatedStoreFile(dir: string): Promise<Buffer> {
  const path = join(dir, 'whole.db');
  const store = SqliteStore.open({ path, logger: { warn: () => {} } });
  await store.txn({ success: Array.from({ length: 200 }, (_, i) => ({ type: 'put' as const, key: `/drover/services/s${i}`, value: `{"pad":"${'x'.repeat(200)}"}` })) });
  await store.close();
  const whole = readFileSync(path);
  return whole.subarray(0, Math.floor(whole.length / 2) + 100);
}

describe('drover server and its store file', () => {
  it('creates a new store in an empty data dir and logs where', async () => {
    const dir = tempDir();
    try {
      const server = await startServer(join(dir, 'data'));
      await stop(server);
      assert.match(server.output(), new RegExp(`created a new store at ${join(dir, 'data', 'state.db')}`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const { name, contents, problem } of [
    { name: 'an empty state.db', contents: async () => Buffer.alloc(0), problem: 'the file is empty (0 bytes)' },
    { name: 'a state.db cut mid-page', contents: truncatedStoreFile, problem: 'it was cut short mid-page' },
  ]) {
    it(`refuses ${name}: exits 1 saying what is wrong and what to do, and writes nothing into the data dir`, async () => {
      const dir = tempDir();
      try {
        const data = join(dir, 'data');
        mkdirSync(data);
        writeFileSync(join(data, 'state.db'), await contents(dir));
        const before = snapshot(data);
        const r = await drover(['server', '--listen', '127.0.0.1:0', '--data', data]);
        assert.equal(r.code, 1, r.stderr);
        assert.ok(r.stderr.startsWith(`error: store file ${join(data, 'state.db')} is corrupt: ${problem}`), r.stderr);
        assert.match(r.stderr, /drover restore FILE/);
        assert.match(r.stderr, /--init-store/);
        assert.doesNotMatch(r.stderr, /TypeError|\n\s+at /, 'no stack trace');
        assert.deepEqual(snapshot(data), before);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it('--init-store moves a corrupt state.db aside and begins an empty cluster; on the sound store it is refused', async () => {
    const dir = tempDir();
    try {
      const data = join(dir, 'data');
      mkdirSync(data);
      writeFileSync(join(data, 'state.db'), Buffer.alloc(0));
      const server = await startServer(data, ['--init-store']);
      try {
        assert.match(server.output(), /--init-store: the corrupt store file was moved to .*state\.db\.corrupt-/);
        const list = await server.fetch('/api/v1/services');
        assert.equal(list.status, 200);
        assert.deepEqual(((await list.json()) as { items: unknown[] }).items, []);
      } finally {
        await stop(server);
      }
      const aside = readdirSync(data).filter((f) => f.startsWith('state.db.corrupt-'));
      assert.equal(aside.length, 1, `moved aside: ${readdirSync(data).join(', ')}`);
      assert.equal(readFileSync(join(data, aside[0]!)).length, 0, 'the corrupt file is kept as it was');

      const again = await drover(['server', '--listen', '127.0.0.1:0', '--data', data, '--init-store']);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /--init-store replaces a corrupt store file, but .*state\.db is sound: start without --init-store/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--store-quota takes a size and refuses nonsense', async () => {
    const r = await drover(['server', '--store-quota', 'lots']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /invalid size quantity "lots"/);
    const small = await drover(['server', '--store-quota', '100Ki']);
    assert.equal(small.code, 2);
    assert.match(small.stderr, /a store needs at least 1Mi, got "100Ki"/);
  });
});
