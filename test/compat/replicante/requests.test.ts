// The platform's answers to bad requests, as replisdk shapes them ({"error": true, "error_msg"}),
// and that a refused request changes nothing; discovery of a Service labelled as a cluster; the
// routes under the base path and not on the native listener.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { REPLICANTE_CLASS_LABEL, REPLICANTE_CLUSTER_LABEL, REPLICANTE_GROUP_LABEL, REPLICANTE_NODE_LABEL, type Operation } from '../../../src/model/index.js';
import { http } from '../../helpers.js';
import { call, provisionRequest, startPlatform, type Platform } from './platform.js';

describe('Replicante platform: requests', () => {
  let p: Platform;
  const operations = async () => (await p.client.resource<Operation>('operations').list()).items.length;
  before(async () => {
    p = await startPlatform({ replicante: { listen: '127.0.0.1:0', basePath: '/platform/drover/' } });
  });
  after(async () => {
    await p?.close();
  });

  it('discovers nothing on a new platform: {"clusters": []}', async () => {
    const res = await call(p, 'GET', 'discover');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    assert.deepEqual(res.json(), { clusters: [] });
  });

  it('answers at / and under --replicante-base-path, not on the native listener, and 404s other paths', async () => {
    assert.match(p.base, /\/platform\/drover\/$/);
    const root = new URL(p.base).origin;
    assert.equal((await http(`${root}/discover`)).status, 200);
    assert.equal((await http(`${root}/platform/drover/discover`)).status, 200);
    const other = await http(`${root}/api/v1/machines`);
    assert.equal(other.status, 404);
    assert.equal(other.json().error, true);
    const native = await http(`${p.url}/replicante-platform/discover`, { headers: { authorization: `Bearer ${p.server.adminToken}` } });
    assert.equal(native.status, 404);
    assert.equal(native.json().error.reason, 'NotFound');
  });

  const missing: [string, (b: any) => void][] = [
    ['cluster', (b) => delete b.cluster],
    ['cluster.cluster_id', (b) => delete b.cluster.cluster_id],
    ['cluster.store', (b) => (b.cluster.store = null)],
    ['cluster.store_version', (b) => delete b.cluster.store_version],
    ['cluster.nodes', (b) => delete b.cluster.nodes],
    ['cluster.nodes.main.node_class', (b) => delete b.cluster.nodes.main.node_class],
    ['cluster.nodes.main.desired_count', (b) => delete b.cluster.nodes.main.desired_count],
    ['provision', (b) => delete b.provision],
    ['provision.node_group_id', (b) => delete b.provision.node_group_id],
  ];
  for (const [path, breakIt] of missing) {
    it(`a provision without ${path} answers 400 naming it and starts nothing`, async () => {
      const body = provisionRequest();
      breakIt(body);
      const before = await operations();
      const res = await call(p, 'POST', 'provision', body);
      assert.equal(res.status, 400, res.text);
      assert.equal(res.json().error, true);
      assert.match(res.json().error_msg, new RegExp(`^${path.replace(/\./g, '\\.')} `));
      assert.equal(await operations(), before);
    });
  }

  it('a wrong type, a count of 0 and malformed JSON are 400s too', async () => {
    const typed = provisionRequest();
    (typed.cluster as any).cluster_id = 42;
    assert.match((await call(p, 'POST', 'provision', typed)).json().error_msg, /^cluster\.cluster_id must be a string/);
    const zero = await call(p, 'POST', 'provision', provisionRequest({ count: 0 }));
    assert.equal(zero.status, 400);
    assert.match(zero.json().error_msg, /^provision\.count /);
    const bad = await call(p, 'POST', 'provision', undefined, '{"cluster": ');
    assert.equal(bad.status, 400);
    assert.deepEqual(Object.keys(bad.json()).sort(), ['error', 'error_msg']);
    assert.match(bad.json().error_msg, /not valid JSON/);
    assert.equal((await call(p, 'POST', 'deprovision', undefined, 'nope')).status, 400);
    assert.equal(await operations(), 0);
  });

  it('an unknown node group answers 400 with defined_node_groups, as the SDK does', async () => {
    const body = provisionRequest();
    body.provision.node_group_id = 'nope';
    const res = await call(p, 'POST', 'provision', body);
    assert.equal(res.status, 400);
    const err = res.json();
    assert.equal(err.error, true);
    assert.equal(err.error_msg, 'provision.node_group_id is not defined in cluster.nodes');
    assert.deepEqual(err.defined_node_groups.sort(), ['main', 'other']);
    assert.equal(err.node_group_id, 'nope');
  });

  it('an unknown store or version answers 404 naming it', async () => {
    const store = await call(p, 'POST', 'provision', provisionRequest({ store: 'mongodb' }));
    assert.equal(store.status, 404);
    assert.match(store.json().error_msg, /store "mongodb" is not in the catalog \(stores: .*redis/);
    const version = await call(p, 'POST', 'provision', provisionRequest({ version: { store_version: '1.2' } }));
    assert.equal(version.status, 404);
    assert.match(version.json().error_msg, /version "1\.2" of store "redis" is not in the catalog \(versions: 7\.0/);
    const groupVersion = await call(p, 'POST', 'provision', provisionRequest({ groupVersion: { version: '9.9' } }));
    assert.match(groupVersion.json().error_msg, /version "9\.9"/, 'the group\'s version overrides the cluster\'s');
    assert.equal(await operations(), 0);
  });

  it('deprovision names a missing attribute, and an unknown cluster or node is a 404', async () => {
    const res = await call(p, 'POST', 'deprovision', { cluster_id: 'cache' });
    assert.equal(res.status, 400);
    assert.match(res.json().error_msg, /^node_id is required/);
    const unknown = await call(p, 'POST', 'deprovision', { cluster_id: 'nope', node_id: 'x' });
    assert.equal(unknown.status, 404);
    assert.match(unknown.json().error_msg, /cluster "nope"/);
  });

  it('discovers a Service labelled as a Replicante cluster, whatever its health', async () => {
    await p.client.resource('services').create({
      metadata: { name: 'legacy-db', labels: { [REPLICANTE_CLUSTER_LABEL]: 'legacy', [REPLICANTE_NODE_LABEL]: 'db-1', [REPLICANTE_GROUP_LABEL]: 'primary', [REPLICANTE_CLASS_LABEL]: 'big', 'replicante.io/agent-port': '7000' } },
      spec: { replicas: 1, template: { command: ['sleep', '1000'] }, constraints: { machine: 'f'.repeat(32) } },
    });
    const res = (await call(p, 'GET', 'discover')).json();
    assert.deepEqual(res.clusters, [{ cluster_id: 'legacy', nodes: [{ agent_address: `http://${'f'.repeat(32)}:7000`, node_class: 'big', node_id: 'db-1', node_group: 'primary' }] }]);
    // Not provisioned here: deprovision says so rather than deleting someone's service.
    const dep = await call(p, 'POST', 'deprovision', { cluster_id: 'legacy', node_id: 'db-1' });
    assert.equal(dep.status, 400);
    assert.ok(await p.client.resource('services').get('legacy-db'));
  });
});
