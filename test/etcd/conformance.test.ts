import { after, before, describe, it } from 'node:test';
import { storeConformance } from '../../src/store/conformance.js';
import { EtcdStore } from '../../src/store/etcd.js';
import { etcdSkipReason, startEtcd, type EtcdCluster } from './etcd-process.js';

const skip = etcdSkipReason();
if (skip) {
  console.log(`# skipping etcd store conformance: ${skip}`);
  describe('Store conformance: etcd', () => {
    it('needs etcd', { skip }, () => {});
  });
} else {
  let etcd: EtcdCluster;
  before(async () => {
    etcd = await startEtcd(1);
  });
  after(async () => {
    await etcd?.stop();
  });
  storeConformance('etcd', async () => {
    const store = await EtcdStore.open({ endpoints: etcd.endpoints });
    return { store, cleanup: () => store.close() };
  });
}
