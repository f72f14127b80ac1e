// A store out of space (its quota reached: the NOSPACE alarm): writes answer 503 saying so and
// what to do, /readyz and /metrics report it, reads and deletes go on, and deleting is enough to
// end it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { http, until } from '../helpers.js';
import { assertError, send, serviceSpec, useApiServer } from './support.js';

const QUOTA_BYTES = 256 * 1024;

function metric(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

describe('a store out of space', () => {
  const s = useApiServer({ storeQuotaBytes: QUOTA_BYTES });

  it('refuses creates and updates with 503 naming the quota, reports it on /readyz and /metrics, serves reads and deletes, and clears once objects are deleted', async () => {
    const before = await http(`${s.url}/metrics`);
    assert.equal(metric(before.text, 'drover_store_nospace_alarm'), 0);
    assert.equal(metric(before.text, 'drover_store_quota_bytes'), QUOTA_BYTES);
    assert.equal((await http(`${s.url}/readyz`)).status, 200);

    const created: string[] = [];
    const padding = 'p'.repeat(400);
    let refused: Awaited<ReturnType<typeof send>> | undefined;
    for (let i = 0; i < 2000 && !refused; i++) {
      const res = await send(`${s.api}/services`, 'POST', { metadata: { name: `fill-${i}`, annotations: { padding } }, spec: serviceSpec() });
      if (res.status === 201) created.push(`fill-${i}`);
      else refused = res;
    }
    assert.ok(refused, 'a create was refused before 2,000');
    const err = assertError(refused, 503, 'Unavailable', 'the store is out of space', 'quota is 256 KiB (--store-quota)', 'only deletes and compaction are accepted');
    assert.match(err.message, /delete objects you no longer need/);
    assert.ok(Number(refused.headers.get('retry-after')) > 0);

    const update = await send(`${s.api}/services/${created[0]}`, 'PATCH', { metadata: { labels: { more: 'data' } } }, { 'content-type': 'application/merge-patch+json' });
    assertError(update, 503, 'Unavailable', 'the store is out of space');
    const ready = await http(`${s.url}/readyz`);
    assert.equal(ready.status, 503);
    assert.match(ready.text, /NOSPACE alarm since .*: the store is out of space/);
    const during = await http(`${s.url}/metrics`);
    assert.equal(metric(during.text, 'drover_store_nospace_alarm'), 1);
    assert.ok(metric(during.text, 'drover_store_used_bytes')! > QUOTA_BYTES * 0.9);
    assert.equal((await http(`${s.api}/services/${created[0]}`)).status, 200, 'reads go on');

    for (const name of created) assert.equal((await send(`${s.api}/services/${name}`, 'DELETE')).status, 200, `DELETE ${name}`);
    await until(async () => (await http(`${s.url}/readyz`)).status === 200, 'the alarm to clear', 10_000);
    assert.equal(metric((await http(`${s.url}/metrics`)).text, 'drover_store_nospace_alarm'), 0);
    assert.equal((await send(`${s.api}/services`, 'POST', { metadata: { name: 'after' }, spec: serviceSpec() })).status, 201);
  });
});
