// A write through a server whose cache is stale, while etcd's newest revision belongs to a key
// outside drover's prefix (which that cache will never see): the failed compare-and-swap must
// catch up on the object itself, not wait for a revision that never comes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { kinds } from '../../src/api/kinds/registry.js';
import { State } from '../../src/state/state.js';
import { EtcdStore } from '../../src/store/etcd.js';
import type { Store, TxnRequest, TxnResult, WatchListener } from '../../src/store/store.js';
import { until } from '../helpers.js';
import { etcdSkipReason, startEtcd, type EtcdCluster } from './etcd-process.js';

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
  let etcd: EtcdCluster;
  before(async () => {
    etcd = await startEtcd(1);
  });
  after(async () => {
    await etcd?.stop();
  });

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
      await services.create({ apiVersion: 'drover/v1', kind: 'Service', metadata: { name: 'web' }, spec: { replicas: 1, template }, status: {} } as never);
      await until(() => b.resources('services').get('web'), 'server B to see the service');

      slowB.hold();
      await services.update('web', (cur) => ({ ...cur, spec: { ...cur.spec, replicas: 2 } }));
      await storeA.put(`/outside${prefix}`, 'moves etcd past anything under the prefix');
      assert.equal((b.resources('services').get('web')?.spec as { replicas: number }).replicas, 1, 'B still has the old version');

      slowB.releaseAfterNextTxn();
      const updated = await Promise.race([
        b.resources('services').update('web', (cur) => ({ ...cur, metadata: { ...cur.metadata, labels: { touched: 'on-b' } } })),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the update on B never finished')), 10_000)),
      ]);
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
