import { describe, it } from 'node:test';
import { storeConformance } from '../../src/store/conformance.js';
import { EtcdStore } from '../../src/store/etcd.js';
import { etcdSkipReason, withEtcd } from './etcd-process.js';

const skip = etcdSkipReason();
if (skip) {
  console.log(`# skipping etcd store conformance: ${skip}`);
  describe('Store conformance: etcd', () => {
    it('needs etcd', { skip }, () => {});
  });
} else {
  const etcd = withEtcd(1);
  storeConformance('etcd', async () => {
    const store = await EtcdStore.open({ endpoints: etcd.endpoints });
    return { store, cleanup: () => store.close() };
  });
}
