// Events through the real API: repeats counted on one object (through the API, as agents record,
// and straight to the state, as controllers do), a recorder that never throws, and expiry.
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { after, before, describe, it } from 'node:test';
import { clientEventSink } from '../../src/events/client-sink.js';
import { EventRecorder } from '../../src/events/recorder.js';
import { EventExpiryController } from '../../src/controllers/event-expiry.js';
import { stateEventSink } from '../../src/controllers/event-sink.js';
import { eventName, type Event } from '../../src/model/index.js';
import { startTestServer, type TestServer } from '../helpers.js';

const involved = { kind: 'Task', name: 'web-1', namespace: 'default', uid: 'u-1' };

describe('events', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(() => s.close());

  it('writes a burst of different events a few at a time, all of them, counting repeats of the waiting ones', async () => {
    const real = clientEventSink(s.client);
    let now = 0;
    let most = 0;
    const counted = <A extends unknown[], R>(f: (...a: A) => Promise<R>) => async (...a: A): Promise<R> => {
      most = Math.max(most, ++now);
      try {
        return await f(...a);
      } finally {
        now--;
      }
    };
    const sink = { create: counted(real.create), update: counted(real.update) };
    const errors: string[] = [];
    const recorder = new EventRecorder({ sink, source: { component: 'test' }, onError: (err) => errors.push(String(err)), maxInFlight: 4 });
    const burst = Array.from({ length: 60 }, (_, i) => ({ kind: 'Task', name: `burst-${i}`, namespace: 'default', uid: `b-${i}` }));
    for (const t of burst) recorder.record(t, 'Normal', 'Started', 'started in a burst');
    recorder.record(burst[59]!, 'Normal', 'Started', 'started in a burst'); // waiting: counted on the same write
    await recorder.drained();
    assert.deepEqual(errors, []);
    assert.equal(most, 4, 'never more than maxInFlight writes at once');
    const written = (await s.client.events.list({ fieldSelector: 'spec.reason=Started' })).items.filter((e) => e.spec.involvedObject.name.startsWith('burst-'));
    assert.equal(written.length, 60);
    assert.equal(written.find((e) => e.spec.involvedObject.name === 'burst-59')?.spec.count, 2);
  });

  for (const [door, sink] of [
    ['the API', () => clientEventSink(s.client)],
    ['the state', () => stateEventSink(s.server.state)],
  ] as const) {
    it(`a burst of the same event through ${door} is one Event counted, not many`, async () => {
      const errors: string[] = [];
      const recorder = new EventRecorder({ sink: sink(), source: { component: 'test' }, onError: (err) => errors.push(String(err)) });
      const message = `probe failed via ${door}`;
      for (let i = 0; i < 7; i++) recorder.record(involved, 'Warning', 'Unhealthy', message);
      await recorder.drained();
      recorder.record(involved, 'Warning', 'Unhealthy', message); // later, on the stored one
      await recorder.drained();
      assert.deepEqual(errors, []);
      const mine = (await s.client.events.list({ fieldSelector: 'spec.involvedObject.name=web-1,spec.reason=Unhealthy' })).items.filter((e) => e.spec.message === message);
      assert.equal(mine.length, 1);
      assert.equal(mine[0]!.metadata.name, eventName(involved, 'Unhealthy', message));
      assert.equal(mine[0]!.spec.count, 8);
      assert.equal(mine[0]!.spec.type, 'Warning');
      assert.ok(mine[0]!.spec.lastTimestamp >= mine[0]!.spec.firstTimestamp);
    });
  }

  it('a recorder whose writes fail logs and goes on: record() never throws', async () => {
    const errors: string[] = [];
    const recorder = new EventRecorder({
      sink: { create: () => Promise.reject(new Error('store down')), update: () => Promise.reject(new Error('store down')) },
      source: { component: 'test' },
      onError: (err, what) => errors.push(`${what}: ${(err as Error).message}`),
    });
    assert.doesNotThrow(() => recorder.record(involved, 'Normal', 'Started', 'x'));
    await recorder.drained();
    assert.deepEqual(errors, ['Started task/web-1: store down']);
  });

  it('a bad event is refused with each field named', async () => {
    const err = await s.client.events.create({ metadata: { name: 'bad' }, spec: { involvedObject: { kind: 'Task', name: 'x' }, reason: '', message: 'm', type: 'Odd', count: 0 } as never }).catch((e: unknown) => e);
    assert.equal((err as { code: number }).code, 422);
    assert.equal(await s.client.events.find('bad'), undefined);
  });

  it('expiry deletes events that have not happened again for their TTL, and nothing else', async () => {
    const at = (msAgo: number) => new Date(Date.now() - msAgo).toISOString();
    const make = (name: string, lastAgo: number) =>
      s.client.events.create({
        metadata: { name },
        spec: { involvedObject: involved, reason: 'Old', message: name, type: 'Normal', count: 1, firstTimestamp: at(lastAgo), lastTimestamp: at(lastAgo), source: { component: 'test' } },
      });
    for (let i = 0; i < 25; i++) await make(`stale-${i}`, 2 * 3_600_000);
    await make('fresh', 60_000);
    const expiry = new EventExpiryController(s.server.state, pino({ level: 'silent' }), { chunk: 10 });
    await expiry.sweep();
    await expiry.close();
    const left = (await s.client.events.list({ fieldSelector: 'spec.reason=Old' })).items.map((e: Event) => e.metadata.name);
    assert.deepEqual(left, ['fresh']);
  });
});
