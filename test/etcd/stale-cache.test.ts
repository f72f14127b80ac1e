// A write through a server whose cache is stale, while etcd's newest revision belongs to a key
// outside drover's prefix (which that cache will never see): the failed compare-and-swap must
// catch up on the object itself, not wait for a revision that never comes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kinds } from '../../src/registry/index.js';
import { State } from '../../src/state/state.js';
import { EtcdStore } from '../../src/store/etcd.js';
import { CompactedError, type Store, type TxnRequest, type TxnResult, type WatchListener } from '../../src/store/store.js';
import { until } from '../helpers.js';
import { etcdSkipReason, withEtcd } from './etcd-process.js';

const skip = etcdSkipReason();
if (skip) console.log(`# skipping etcd stale-cache tests: ${skip}`);

/** An etcd store whose watch deliveries can be held back, like a slow network to one server. */
function withSlowWatch(store: EtcdStore): { store: Store; hold(): void; releaseAfterNextTxn(): void } {
  let isHeld = false;
  let releaseOnTxn = false;
  const held: (() => void)[] = [];
  const release = () => {
    isHeld = false;
    for (const deliver of held.splice(0)) deliver();
  };
  const slow = Object.create(store) as Store;
  slow.watch = (key, options, listener: WatchListener, onError) =>
    store.watch(
      key,
      options,
      (events, revision) => (isHeld ? held.push(() => listener(events, revision)) : listener(events, revision)),
      onError,
    );
  slow.txn = async (request: TxnRequest): Promise<TxnResult> => {
    const result = await store.txn(request);
    if (releaseOnTxn) {
      releaseOnTxn = false;
      release();
    }
    return result;
  };
  return { store: slow, hold: () => (isHeld = true), releaseAfterNextTxn: () => (releaseOnTxn = true) };
}

describe('writes through a stale cache on etcd', { skip }, () => {
  const etcd = withEtcd(1);

  it('an update that loses its compare-and-swap catches up on the object even when etcd moved on outside the prefix', async () => {
    const prefix = `/stale-${Date.now()}`;
    const storeA = await EtcdStore.open({ endpoints: etcd.endpoints });
    const storeB = await EtcdStore.open({ endpoints: etcd.endpoints });
    const slowB = withSlowWatch(storeB);
    const a = await State.open({ store: storeA, kinds, prefix });
    const b = await State.open({ store: slowB.store, kinds, prefix });
    try {
      const services = a.resources('services');
      const template = { command: ['true'] };
      await services.create({ apiVersion: 'drover/v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { replicas: 1, template }, status: {} } as never);
      await until(() => b.resources('services').get('default/web'), 'server B to see the service');

      slowB.hold();
      await services.update('default/web', (cur) => ({ ...cur, spec: { ...cur.spec, replicas: 2 } }));
      await storeA.put(`/outside${prefix}`, 'moves etcd past anything under the prefix');
      assert.equal((b.resources('services').get('default/web')?.spec as { replicas: number }).replicas, 1, 'B still has the old version');

      slowB.releaseAfterNextTxn();
      let timer: NodeJS.Timeout | undefined;
      const updated = await Promise.race([
        b.resources('services').update('default/web', (cur) => ({ ...cur, metadata: { ...cur.metadata, labels: { touched: 'on-b' } } })),
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('the update on B never finished')), 10_000))),
      ]).finally(() => clearTimeout(timer));
      assert.equal((updated.spec as { replicas: number }).replicas, 2, "B's update applied to A's version");
      assert.equal(updated.metadata.labels?.touched, 'on-b');
    } finally {
      await a.close();
      await b.close();
      await storeA.close();
      await storeB.close();
    }
  });
});

/** An etcd store whose watch can be made to fail, as when etcd compacts past a disconnected server. */
function withFailingWatch(store: EtcdStore): { store: Store; hold(): void; fail(): void } {
  let isHeld = false;
  const current: { watch?: { close(): void }; onError?: (err: Error) => void }[] = [];
  const failing = Object.create(store) as Store;
  failing.watch = (key, options, listener: WatchListener, onError) => {
    const entry: (typeof current)[number] = { onError };
    entry.watch = store.watch(key, options, (events, revision) => (isHeld ? undefined : listener(events, revision)), onError);
    current.push(entry);
    return entry.watch;
  };
  return {
    store: failing,
    hold: () => (isHeld = true),
    fail: () => {
      isHeld = false;
      for (const w of current.splice(0)) {
        w.watch?.close();
        w.onError?.(new CompactedError(1, 2));
      }
    },
  };
}

describe('a server whose store watch fails on etcd', { skip }, () => {
  const etcd = withEtcd(1);

  it('lists again and hands every watcher what it missed as events', async () => {
    const prefix = `/relist-${Date.now()}`;
    const storeA = await EtcdStore.open({ endpoints: etcd.endpoints });
    const storeB = await EtcdStore.open({ endpoints: etcd.endpoints });
    const failingB = withFailingWatch(storeB);
    const errors: Error[] = [];
    const a = await State.open({ store: storeA, kinds, prefix });
    const b = await State.open({ store: failingB.store, kinds, prefix, onError: (err) => errors.push(err) });
    try {
      const services = a.resources('services');
      const service = (name: string) => ({ apiVersion: 'drover/v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { replicas: 1, template: { command: ['true'] } }, status: {} }) as never;
      await services.create(service('kept'));
      await services.create(service('changed'));
      await services.create(service('deleted'));
      await until(() => b.resources('services').list().length === 3, 'server B to see three services');
      const seen: string[] = [];
      b.cache('services').subscribe({}, { send: (ev, type) => seen.push(`${type} ${ev.name}`), bookmark: () => {} }, b.revision);

      failingB.hold();
      await services.update('default/changed', (cur) => ({ ...cur, metadata: { ...cur.metadata, labels: { v: '2' } } }));
      await services.delete('default/deleted');
      await services.create(service('added'));
      failingB.fail();

      await until(() => b.resources('services').get('default/added'), 'server B to list again');
      assert.deepEqual(b.resources('services').list().map((s) => s.metadata.name), ['added', 'changed', 'kept']);
      assert.equal(b.resources('services').get('default/changed')?.metadata.labels?.v, '2');
      assert.deepEqual(seen.sort(), ['ADDED added', 'DELETED deleted', 'MODIFIED changed']);
      assert.ok(errors.some((e) => e instanceof CompactedError), 'the failure was reported');
      // And it watches again: a later write arrives as usual.
      await services.create(service('later'));
      await until(() => b.resources('services').get('default/later'), 'a write after the relist to reach server B');
    } finally {
      await a.close();
      await b.close();
      await storeA.close();
      await storeB.close();
    }
  });
});
