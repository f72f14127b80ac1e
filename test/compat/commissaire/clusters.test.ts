// Commissaire's clusters and cluster members over real HTTP: verbs, status codes, exact bodies,
// trailing slashes as its router takes them, and refusals that change nothing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { encodedKey, startCommissaireServer, type CommissaireServer } from './support.js';

describe('Commissaire clusters', () => {
  let s: CommissaireServer;
  before(async () => {
    s = await startCommissaireServer();
  });
  after(async () => {
    await s.close();
  });

  const addHost = async (address: string, phase: string) => {
    assert.equal((await s.call('PUT', `/api/v0/host/${address}`, { ssh_priv_key: encodedKey('KEY') })).status, 201);
    if (phase) await s.setHostStatus(address, { phase });
  };

  it('PUT creates a cluster (201, Cluster.to_dict_safe), GET shows it with hostset and counts, the list names it', async () => {
    const put = await s.call('PUT', '/api/v0/cluster/honeynut', { network: 'default', container_manager: '' });
    assert.equal(put.status, 201);
    assert.equal(put.contentType, 'application/json');
    assert.deepEqual(put.json(), { name: 'honeynut', status: '', network: 'default', container_manager: '' });
    const got = await s.call('GET', '/api/v0/cluster/honeynut');
    assert.equal(got.status, 200);
    assert.equal(got.text, JSON.stringify({ name: 'honeynut', status: 'ok', network: 'default', hostset: [], container_manager: '', hosts: { total: 0, available: 0, unavailable: 0 } }));
    assert.deepEqual((await s.call('GET', '/api/v0/clusters')).json(), ['honeynut']);
  });

  it('takes the trailing slash where Commissaire registers one, and 404s elsewhere', async () => {
    assert.equal((await s.call('GET', '/api/v0/clusters/')).status, 200);
    assert.equal((await s.call('GET', '/api/v0/cluster/honeynut/')).status, 200);
    assert.equal((await s.call('GET', '/api/v0/cluster/honeynut/hosts/')).status, 200);
    const slashOp = await s.call('GET', '/api/v0/cluster/honeynut/upgrade/');
    assert.equal(slashOp.status, 404, 'operation routes take no trailing slash');
    assert.equal(slashOp.contentType, 'text/html');
    assert.equal(slashOp.text, 'Not Found');
    for (const [method, path] of [
      ['GET', '/api/v0/cluster/honeynut//'],
      ['GET', '/api/v0/nothing'],
      ['GET', '/api/v0'],
      ['POST', '/api/v0/cluster/honeynut'],
      ['PATCH', '/api/v0/cluster/honeynut'],
      ['DELETE', '/api/v0/clusters'],
      ['GET', '/api/v0/cluster/bad.name'],
    ]) {
      const r = await s.call(method!, path!);
      assert.deepEqual([r.status, r.contentType, r.text], [404, 'text/html', 'Not Found'], `${method} ${path}`);
    }
  });

  it('an unknown network falls back to "default"; an unknown container manager is a conflict', async () => {
    const put = await s.call('PUT', '/api/v0/cluster/multigrain', { network: 'nosuch', type: 'kubernetes' });
    assert.equal(put.status, 201);
    assert.equal(put.json().network, 'default');
    const refused = await s.call('PUT', '/api/v0/cluster/cornflakes', { container_manager: 'nosuch' });
    assert.deepEqual([refused.status, refused.contentType, refused.text], [409, 'text/html', 'Conflict']);
    assert.equal((await s.call('GET', '/api/v0/cluster/cornflakes')).status, 404);
  });

  it('bad input is 400 Bad Request and changes nothing', async () => {
    for (const body of ['{not json', '"Part of this nutritious breakfast"', '[1]', JSON.stringify({ network: 5 }), JSON.stringify({ container_manager: ['x'] })]) {
      const r = await s.call('PUT', '/api/v0/cluster/oatmeal', body);
      assert.deepEqual([r.status, r.contentType, r.text], [400, 'text/html', 'Bad Request'], body);
    }
    assert.equal((await s.call('GET', '/api/v0/cluster/oatmeal')).status, 404);
    assert.deepEqual((await s.call('GET', '/api/v0/clusters')).json(), ['honeynut', 'multigrain']);
  });

  it('a missing cluster is 404 Not Found on every route', async () => {
    for (const [method, path] of [
      ['GET', '/api/v0/cluster/nosuch'],
      ['DELETE', '/api/v0/cluster/nosuch'],
      ['GET', '/api/v0/cluster/nosuch/hosts'],
      ['GET', '/api/v0/cluster/nosuch/hosts/10.0.0.1'],
      ['DELETE', '/api/v0/cluster/nosuch/hosts/10.0.0.1'],
      ['GET', '/api/v0/cluster/nosuch/upgrade'],
      ['PUT', '/api/v0/cluster/nosuch/restart'],
    ]) {
      const r = await s.call(method!, path!);
      assert.deepEqual([r.status, r.text], [404, 'Not Found'], `${method} ${path}`);
    }
  });

  it('members: add (200), membership test, status counts from member hosts, remove; unsuitable hosts are 405', async () => {
    await addHost('192.168.152.110', 'disassociated');
    await addHost('192.168.152.111', 'investigating');
    assert.deepEqual((await s.call('GET', '/api/v0/cluster/honeynut/hosts')).json(), [], 'hosts are not implicitly added');
    const notMember = await s.call('GET', '/api/v0/cluster/honeynut/hosts/192.168.152.110');
    assert.deepEqual([notMember.status, notMember.text], [404, 'Not Found']);

    const add = await s.call('PUT', '/api/v0/cluster/honeynut/hosts/192.168.152.110', {});
    assert.equal(add.status, 200);
    assert.deepEqual(add.json(), ['192.168.152.110']);
    assert.equal((await s.call('PUT', '/api/v0/cluster/honeynut/hosts/192.168.152.110')).status, 200, 'adding a member again is fine');
    assert.deepEqual((await s.call('GET', '/api/v0/cluster/honeynut/hosts/192.168.152.110')).json(), ['192.168.152.110']);
    assert.deepEqual((await s.call('GET', '/api/v0/cluster/honeynut/hosts')).json(), ['192.168.152.110']);

    const unsuitable = await s.call('PUT', '/api/v0/cluster/honeynut/hosts/192.168.152.111');
    assert.deepEqual([unsuitable.status, unsuitable.contentType, unsuitable.text], [405, 'text/html', 'Method Not Allowed']);
    assert.equal((await s.call('PUT', '/api/v0/cluster/honeynut/hosts/10.9.9.9')).status, 404, 'no such host');

    await s.setHostStatus('192.168.152.110', { phase: 'active' });
    let cluster = (await s.call('GET', '/api/v0/cluster/honeynut')).json();
    assert.deepEqual([cluster.status, cluster.hosts], ['ok', { total: 1, available: 1, unavailable: 0 }]);
    await s.setHostStatus('192.168.152.111', { phase: 'active' });
    await s.call('PUT', '/api/v0/cluster/honeynut/hosts/192.168.152.111');
    await s.setHostStatus('192.168.152.111', { phase: 'failed' });
    cluster = (await s.call('GET', '/api/v0/cluster/honeynut')).json();
    assert.deepEqual([cluster.status, cluster.hostset, cluster.hosts], ['degraded', ['192.168.152.110', '192.168.152.111'], { total: 2, available: 1, unavailable: 1 }]);

    const other = await s.call('PUT', '/api/v0/cluster/multigrain/hosts/192.168.152.110');
    assert.deepEqual([other.status, other.text], [409, 'Conflict'], 'a host is in one cluster at most');

    const removed = await s.call('DELETE', '/api/v0/cluster/honeynut/hosts/192.168.152.111', {});
    assert.deepEqual([removed.status, removed.json()], [200, []]);
    assert.deepEqual((await s.call('DELETE', '/api/v0/cluster/honeynut/hosts/192.168.152.111')).json(), [], 'removing a non-member is fine');
    assert.equal((await s.call('GET', '/api/v0/cluster/honeynut/hosts/192.168.152.111')).status, 404);
  });

  it('PUT hosts replaces the hostset when old matches (200), 409 when not, 400 for a body that is not {old, new}', async () => {
    for (const body of ['"Part of this nutritious breakfast"', { old: 'x', new: [] }, { new: [] }, { old: [], new: [5] }]) {
      const r = await s.call('PUT', '/api/v0/cluster/honeynut/hosts', body);
      assert.deepEqual([r.status, r.text], [400, 'Bad Request'], JSON.stringify(body));
    }
    const stale = await s.call('PUT', '/api/v0/cluster/honeynut/hosts', { old: ['bogus'], new: ['192.168.152.111'] });
    assert.deepEqual([stale.status, stale.contentType, stale.text], [409, 'text/html', 'Conflict']);
    assert.deepEqual((await s.call('GET', '/api/v0/cluster/honeynut/hosts')).json(), ['192.168.152.110'], 'unchanged');

    const unsuitable = await s.call('PUT', '/api/v0/cluster/honeynut/hosts', { old: ['192.168.152.110'], new: ['192.168.152.111'] });
    assert.equal(unsuitable.status, 405, '192.168.152.111 is failed');
    assert.deepEqual((await s.call('GET', '/api/v0/cluster/honeynut/hosts')).json(), ['192.168.152.110'], 'a refused replace leaves every member in place');

    await s.setHostStatus('192.168.152.111', { phase: 'disassociated' });
    const swapped = await s.call('PUT', '/api/v0/cluster/honeynut/hosts', { old: ['192.168.152.110'], new: ['192.168.152.111'] });
    assert.equal(swapped.status, 200);
    assert.deepEqual(swapped.json(), { name: 'honeynut', status: 'failed', network: 'default', hostset: ['192.168.152.111'], container_manager: '' });
    assert.deepEqual((await s.call('GET', '/api/v0/cluster/honeynut/hosts/')).json(), ['192.168.152.111']);
  });

  it('re-creating a cluster answers 201 and keeps its members', async () => {
    const again = await s.call('PUT', '/api/v0/cluster/honeynut', { network: 'default' });
    assert.equal(again.status, 201);
    assert.deepEqual((await s.call('GET', '/api/v0/cluster/honeynut/hosts')).json(), ['192.168.152.111']);
  });

  it('DELETE answers [] and takes the hostset with it: former members are in no cluster', async () => {
    const del = await s.call('DELETE', '/api/v0/cluster/honeynut', {});
    assert.deepEqual([del.status, del.contentType, del.json()], [200, 'application/json', []]);
    assert.equal((await s.call('GET', '/api/v0/cluster/honeynut')).status, 404);
    const host = s.ts.server.registry.kind('hosts').list({ principal: { name: 'admin', groups: ['system:administrators'], anonymous: false }, via: 'test' }).find((h: any) => h.spec.address === '192.168.152.111') as any;
    assert.equal(host.spec.cluster, undefined);
    // The former member can join another cluster now.
    assert.equal((await s.call('PUT', '/api/v0/cluster/multigrain/hosts/192.168.152.111')).status, 200);
  });
});
