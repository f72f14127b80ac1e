// Namespaced kinds' store keys carry the namespace: `/drover/services/{ns}/{name}`. A store
// written before namespaces existed holds `/drover/services/{name}`; opening it moves each such
// object into the default namespace, one compare-and-swap per object (the old key must be
// unchanged, so a server still writing the old layout cannot lose a write: its object is moved
// on the next open). Idempotent, so every server of an etcd cluster may run it at start.
import { DEFAULT_NAMESPACE } from '../model/meta.js';
import { prefixEnd, type Store } from '../store/store.js';
import type { AnyObject, KindInfo } from './object.js';
import { storeCall } from './store-errors.js';

/** Moves old-layout objects of namespaced kinds into the default namespace; resolves with how many moved. */
export async function migrateToNamespacedKeys(store: Store, prefix: string, kinds: KindInfo[]): Promise<number> {
  let moved = 0;
  for (const info of kinds) {
    if (!info.namespaced) continue;
    const from = `${prefix}${info.plural}/`;
    const all = await storeCall(() => store.range(from, { end: prefixEnd(from) }));
    for (const kv of all.kvs) {
      const rest = kv.key.slice(from.length);
      if (rest.includes('/')) continue;
      const obj = JSON.parse(kv.value) as AnyObject;
      obj.metadata.namespace = DEFAULT_NAMESPACE;
      const to = `${from}${DEFAULT_NAMESPACE}/${rest}`;
      const res = await storeCall(() =>
        store.txn({
          compare: [
            { key: kv.key, target: 'modRevision', op: '=', value: kv.modRevision },
            { key: to, target: 'createRevision', op: '=', value: 0 },
          ],
          success: [
            { type: 'delete', key: kv.key },
            { type: 'put', key: to, value: JSON.stringify(obj) },
          ],
        }),
      );
      if (res.succeeded) moved++;
    }
  }
  return moved;
}
