// Namespace quota (spec.quota of a Namespace: cpu, memory, live tasks): a create past it is
// 403 Forbidden naming the quota, what is used, what is asked and the limit; concurrent creates
// through one server never exceed it together; a service's replicas stop at it, saying so; the
// namespace's status shows what is used.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { http, until } from '../helpers.js';
import { assertError, send, useApiServer } from './support.js';

const task = (name: string, cpu?: string) => ({ metadata: { name }, spec: { template: { command: ['sleep', '100'], ...(cpu ? { resources: { cpu } } : {}) } } });

describe('namespace quota', () => {
  const s = useApiServer();

  it('a task past the task-count or cpu quota is refused with 403 naming the quota, used, asked and limit; nothing is written', async () => {
    assert.equal((await send(`${s.api}/namespaces`, 'POST', { metadata: { name: 'q' }, spec: { quota: { tasks: 2, cpu: '1', memory: '1Gi' } } })).status, 201);
    assert.equal((await send(`${s.api}/namespaces/q/tasks`, 'POST', task('a', '600m'))).status, 201);
    assertError(await send(`${s.api}/namespaces/q/tasks`, 'POST', task('b', '600m')), 403, 'Forbidden', 'exceeded quota of namespace "q": requested cpu=600m, used 600m, limited 1');
    assert.equal((await send(`${s.api}/namespaces/q/tasks`, 'POST', task('b', '400m'))).status, 201);
    assertError(await send(`${s.api}/namespaces/q/tasks`, 'POST', task('c')), 403, 'Forbidden', 'exceeded quota of namespace "q": requested tasks=1, used 2, limited 2');
    assert.equal((await http(`${s.api}/namespaces/q/tasks/c`)).status, 404);
    // A PUT that creates is a create too.
    assertError(await send(`${s.api}/namespaces/q/tasks/c`, 'PUT', task('c')), 403, 'Forbidden', 'exceeded quota of namespace "q"');
    assert.equal((await http(`${s.api}/namespaces/q/tasks/c`)).status, 404);
    // A finished task no longer counts.
    assert.equal((await send(`${s.api}/namespaces/q/tasks/a/status`, 'PUT', { status: { phase: 'Succeeded' } })).status, 200);
    assert.equal((await send(`${s.api}/namespaces/q/tasks`, 'POST', task('c'))).status, 201);
    // Another namespace is not limited by it.
    assert.equal((await send(`${s.api}/tasks`, 'POST', task('free', '4'))).status, 201);
  });

  it('concurrent creates through one server never exceed the quota together', async () => {
    assert.equal((await send(`${s.api}/namespaces`, 'POST', { metadata: { name: 'race' }, spec: { quota: { tasks: 3 } } })).status, 201);
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => send(`${s.api}/namespaces/race/tasks`, 'POST', task(`t${i}`))));
    assert.equal(results.filter((r) => r.status === 201).length, 3);
    assert.equal(results.filter((r) => r.status === 403).length, 9);
    assert.equal((await http(`${s.api}/namespaces/race/tasks`)).json().items.length, 3);
  });

  it('a quota that is not a quantity is refused (422)', async () => {
    assertError(await send(`${s.api}/namespaces`, 'POST', { metadata: { name: 'bad' }, spec: { quota: { cpu: 'lots' } } }), 422, 'Invalid', 'quota');
  });
});

describe('namespace quota: services', () => {
  const s = useApiServer({ controllers: true });

  it('a service\'s replicas stop at the quota with a QuotaExceeded condition, and the namespace shows what is used', async () => {
    assert.equal((await send(`${s.api}/namespaces`, 'POST', { metadata: { name: 'small' }, spec: { quota: { tasks: 2 } } })).status, 201);
    const svc = { metadata: { name: 'web' }, spec: { replicas: 5, template: { command: ['sleep', '100'] } } };
    assert.equal((await send(`${s.api}/namespaces/small/services`, 'POST', svc)).status, 201);
    const condition = await until(async () => (await http(`${s.api}/namespaces/small/services/web`)).json().status?.conditions?.find((c: any) => c.type === 'QuotaExceeded'), 'a QuotaExceeded condition');
    assert.match(condition.message, /exceeded quota of namespace "small": requested tasks=1, used 2, limited 2/);
    assert.equal((await http(`${s.api}/namespaces/small/tasks`)).json().items.length, 2);
    const used = await until(async () => (await http(`${s.api}/namespaces/small`)).json().status?.used, 'status.used of the namespace');
    assert.equal(used.tasks, 2);
  });
});
