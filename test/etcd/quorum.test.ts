// Losing etcd members under a running `drover server --etcd-timeout 1s`: one of three is
// tolerated; without a quorum every write fails with 503 Unavailable at the timeout, the same way
// each time, while reads answer from the cache with a Warning saying since when the store has
// been unreachable (and the CLI prints it); when the members return, writes work again and the
// warning goes away. The cases run in order, on one cluster and one server.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { tempDir, until } from '../helpers.js';
import { drover } from '../cli/drover.js';
import { etcdSkipReason, withEtcd } from './etcd-process.js';
import { isCompiled, spawnServer, type ServerProcess } from './server-process.js';

const etcdSkip = etcdSkipReason();
if (etcdSkip) console.log(`# skipping etcd quorum tests: ${etcdSkip}`);
const skip = etcdSkip ?? (isCompiled ? undefined : 'spawns bin/drover.js: runs from the compiled tests (npm test)');

const TIMEOUT_MS = 1_000;
/** An HTTP round trip and a busy 2-core machine, on top of the timeout. */
const SLACK_MS = 750;
const STALE = /^199 drover "stale: the store has been unreachable since (\S+); this answer may be out of date"$/;

describe('a drover server when etcd members die', { skip }, () => {
  const etcd = withEtcd(3);
  const dir = tempDir();
  let server: ServerProcess | undefined;
  let url = '';

  before(async () => {
    const store = `etcd://${etcd.endpoints.map((e) => e.replace('http://', '')).join(',')}`;
    server = spawnServer(['--data', dir, '--store', store, '--etcd-prefix', `/quorum-${Date.now()}`, '--etcd-timeout', `${TIMEOUT_MS}ms`, '--log-level', 'fatal']);
    url = await server.url;
  });
  after(async () => {
    server?.proc.kill('SIGKILL');
    await server?.exited;
    rmSync(dir, { recursive: true, force: true });
  });

  // Every request has a deadline: a server stuck on etcd must fail the test quickly and say so.
  const get = (path: string) => fetch(`${url}${path}`, { signal: AbortSignal.timeout(30_000) });
  const create = async (name: string) => {
    const started = Date.now();
    const res = await fetch(`${url}/api/v1/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ metadata: { name }, spec: { template: { command: ['true'] } } }),
      signal: AbortSignal.timeout(30_000),
    });
    return { status: res.status, ms: Date.now() - started, body: (await res.json()) as { error?: { reason: string; message: string } } };
  };

  it('with one of three members killed, writes keep working', async () => {
    assert.equal((await create('before')).status, 201);
    await etcd.kill(0);
    // If it led, writes wait for an election, which may take longer than this short timeout.
    await until(async () => (await create(`one-down-first-${Date.now()}`)).status === 201, 'a write with one member down', 10_000);
    for (let i = 0; i < 5; i++) {
      const res = await create(`one-down-${i}`);
      assert.equal(res.status, 201, `write ${i} with one member down: ${JSON.stringify(res.body)}`);
    }
  });

  it('with two killed, each write fails with 503 Unavailable at --etcd-timeout, with the same message every time', async () => {
    await etcd.kill(1);
    const times: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await create(`no-quorum-${i}`);
      times.push(res.ms);
      assert.equal(res.status, 503, JSON.stringify(res.body));
      assert.equal(res.body.error?.reason, 'Unavailable');
      assert.match(res.body.error!.message, new RegExp(`etcd did not answer within ${TIMEOUT_MS} ms \\(--etcd-timeout\\)`));
      assert.ok(res.ms <= TIMEOUT_MS + SLACK_MS, `write ${i} failed after ${res.ms} ms, later than the ${TIMEOUT_MS} ms timeout`);
      // Each write is given the whole timeout to reach a quorum: none is refused early (no circuit breaker).
      assert.ok(res.ms >= TIMEOUT_MS * 0.9, `write ${i} failed after ${res.ms} ms, before the ${TIMEOUT_MS} ms timeout`);
    }
    console.log(`# writes without quorum failed after ${times.join(', ')} ms (timeout ${TIMEOUT_MS} ms)`);
  });

  it('a watch, a GET and a list answer from the cache with a Warning saying since when the store has been unreachable', async () => {
    // /readyz asks the store: that is how the server learns of the outage before any read does.
    assert.equal((await get('/readyz')).status, 503);
    const controller = new AbortController();
    const watch = await fetch(`${url}/api/v1/tasks?watch=true`, { signal: controller.signal });
    controller.abort();
    assert.equal(watch.status, 200);
    const warning = watch.headers.get('warning') ?? '';
    const since = STALE.exec(warning)?.[1];
    assert.ok(since, `the watch's Warning: ${warning}`);
    assert.ok(Date.parse(since) <= Date.now() && Date.now() - Date.parse(since) < 60_000, `unreachable since ${since}`);

    const one = await get('/api/v1/tasks/one-down-4');
    assert.equal(one.status, 200, await one.clone().text());
    assert.equal(one.headers.get('warning'), warning, 'the same outage, the same warning');

    const list = await get('/api/v1/tasks');
    assert.equal(list.status, 200);
    assert.equal(list.headers.get('warning'), warning);
    const names = ((await list.json()) as { items: { metadata: { name: string } }[] }).items.map((t) => t.metadata.name);
    for (const name of ['before', 'one-down-0', 'one-down-4']) assert.ok(names.includes(name), `the list holds ${name}, written before: ${names.join(', ')}`);
  });

  it('the CLI prints the warning on stderr and the answer on stdout', async () => {
    const r = await drover(['--server', url, 'get', 'tasks', 'one-down-4', '-o', 'name']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /one-down-4/);
    assert.match(r.stderr, /^warning: stale: the store has been unreachable since \S+; this answer may be out of date$/m);
    const list = await drover(['--server', url, 'get', 'tasks']);
    assert.equal(list.code, 0, list.stderr);
    assert.equal(list.stderr.match(/^warning: /gm)?.length, 1, `one warning per command: ${list.stderr}`);
  });

  it('when the members return, writes succeed again and reads carry no Warning', async () => {
    await Promise.all([etcd.restart(0), etcd.restart(1)]);
    await until(async () => (await create(`recovered-${Date.now()}`)).status === 201, 'a write to succeed', 20_000);
    // The first read after the outage may still be served from the cache: its quorum read ends the outage.
    await until(async () => {
      const res = await get('/api/v1/tasks/before');
      return res.status === 200 && res.headers.get('warning') === null;
    }, 'a GET without a Warning', 10_000);
    const list = await get('/api/v1/tasks');
    assert.equal(list.status, 200);
    assert.equal(list.headers.get('warning'), null);
    const r = await drover(['--server', url, 'get', 'tasks']);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /warning/);
  });
});
