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
    // The suite is about semantics, not latency: its 2,000 puts at once take 3–4 s alone on a
    // busy 2-core machine and over 5 s (the default deadline of a call) beside other tests.
    const store = await EtcdStore.open({ endpoints: etcd.endpoints, requestTimeoutMs: 30_000 });
    return { store, cleanup: () => store.close() };
  });
}
