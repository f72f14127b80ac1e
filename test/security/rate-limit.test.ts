// The per-principal request rate limit: 429 with Retry-After and the error envelope once a
// principal's burst is spent, a bucket per user (per address for anonymous callers), agents
// sized apart, administrators exempt, and the bucket refilling with time.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fleetFacade } from '../../src/compat/fleet/index.js';
import { http, until } from '../helpers.js';
import { admin, as, startTestApp, tableAuthorizer, type TestApp } from './test-app.js';

describe('request rate limit', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({
      authorizer: tableAuthorizer({ users: ['list secrets'], 'system:nodes': ['list secrets', 'update machines/status'] }),
      app: { rateLimit: { ratePerSecond: 2, burst: 3, nodeRatePerSecond: 2, nodeBurst: 6 }, facades: [fleetFacade] },
    });
  });
  after(() => t.close());

  /** Status codes of `n` requests made one after another. */
  const codes = async (n: number, headers: Record<string, string>, path = 'secrets') => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push((await http(`${t.api}/${path}`, { headers })).status);
    return out;
  };

  /** Requests until one is refused for the rate (at most 20): that answer. */
  const firstLimited = async (headers: Record<string, string>, path = 'secrets') => {
    for (let i = 0; i < 20; i++) {
      const res = await http(`${t.api}/${path}`, { headers });
      if (res.status === 429) return res;
    }
    throw new Error('no request was refused for the rate');
  };

  test('a user over its burst gets 429 with Retry-After and the error envelope; others are not affected', async () => {
    const ann = as('ann-user', 'users');
    assert.deepEqual(await codes(3, ann), [200, 200, 200], 'the burst is refused');
    const res = await firstLimited(ann);
    assert.match(res.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
    const err = res.json().error;
    assert.equal(err.reason, 'TooManyRequests');
    assert.equal(err.code, 429);
    assert.match(err.message, /user "ann-user".*2 per second/);
    assert.deepEqual(await codes(3, as('bob-user', 'users')), [200, 200, 200], 'another user shares the bucket');
    // The bucket refills with time (2 per second): ann gets through again.
    await until(async () => (await http(`${t.api}/secrets`, { headers: ann })).status === 200, 'the bucket to refill', 5_000);
  });

  test('administrators are exempt', async () => {
    assert.ok((await codes(10, admin)).every((c) => c === 200));
  });

  test('agents (system:nodes) have buckets of their own size, one per agent', async () => {
    // Twice a user's burst: an agent's first six requests all pass.
    assert.deepEqual(await codes(6, as('node-a', 'system:nodes')), [200, 200, 200, 200, 200, 200]);
    assert.equal((await firstLimited(as('node-a', 'system:nodes'))).status, 429);
    assert.equal((await codes(1, as('node-b', 'system:nodes')))[0], 200);
  });

  test("an agent over its limit still gets its heartbeats through: a limited heartbeat would make its machine NotReady", async () => {
    const node = as('node-c', 'system:nodes');
    assert.equal((await firstLimited(node)).status, 429);
    const beat = await http(`${t.api}/machines/nowhere/heartbeat`, { method: 'POST', headers: { ...node, 'content-type': 'application/json' }, body: '{}' });
    assert.equal(beat.status, 404, 'answered (no such machine), not refused for the rate');
  });

  test('anonymous callers are limited by address, apart from named users', async () => {
    const res = await firstLimited({}, 'system/version');
    assert.match(res.json().error.message, /address 127\.0\.0\.1/);
    assert.equal((await codes(1, as('carol-user', 'users')))[0], 200);
  });

  test("the fleet façade answers 429 in fleet's error format, with Retry-After", async () => {
    const dave = as('dave-user', 'users');
    let res: Awaited<ReturnType<typeof http>> | undefined;
    for (let i = 0; i < 20 && res?.status !== 429; i++) res = await http(`${t.url}/fleet/v1/machines`, { headers: dave });
    assert.equal(res!.status, 429);
    assert.match(res!.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
    assert.equal(res!.json().error.code, 429);
    assert.equal(res!.json().error.reason, undefined, "fleet's error entity, not the native envelope");
  });
});
