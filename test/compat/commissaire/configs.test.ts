// Commissaire's networks and container managers over real HTTP: list of names, get, PUT (201,
// the same again is fine, a different one 409), DELETE [], and bad input.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startCommissaireServer, type CommissaireServer } from './support.js';

describe('Commissaire networks and container managers', () => {
  let s: CommissaireServer;
  before(async () => {
    s = await startCommissaireServer();
  });
  after(async () => {
    await s.close();
  });

  it('the "default" network exists from the start', async () => {
    assert.deepEqual((await s.call('GET', '/api/v0/networks')).json(), ['default']);
    assert.equal((await s.call('GET', '/api/v0/network/default')).text, JSON.stringify({ name: 'default', type: 'flannel_etcd', options: {} }));
  });

  for (const [kind, collection, type, otherType, defaultType] of [
    ['network', 'networks', 'flannel_server', 'flannel_etcd', 'flannel_etcd'],
    ['containermanager', 'containermanagers', 'trivial', 'openshift', 'openshift'],
  ] as const) {
    it(`${kind}: PUT 201 with the record, GET, list; the same PUT again 201, a different one 409`, async () => {
      const put = await s.call('PUT', `/api/v0/${kind}/mine`, { type, options: { address: '192.168.152.101:8080' } });
      assert.equal(put.status, 201);
      assert.equal(put.text, JSON.stringify({ name: 'mine', type, options: { address: '192.168.152.101:8080' } }));
      assert.deepEqual((await s.call('GET', `/api/v0/${kind}/mine`)).json(), put.json());
      assert.deepEqual((await s.call('GET', `/api/v0/${kind}/mine/`)).json(), put.json());
      assert.ok((await s.call('GET', `/api/v0/${collection}/`)).json().includes('mine'));
      assert.equal((await s.call('PUT', `/api/v0/${kind}/mine`, { type, options: { address: '192.168.152.101:8080' } })).status, 201);
      const different = await s.call('PUT', `/api/v0/${kind}/mine`, { type: otherType, options: {} });
      assert.deepEqual([different.status, different.contentType, different.text], [409, 'text/html', 'Conflict']);
      assert.equal((await s.call('GET', `/api/v0/${kind}/mine`)).json().type, type, 'unchanged');
    });

    it(`${kind}: defaults the type; an unknown type or options that are no object is 400 and creates nothing`, async () => {
      assert.deepEqual((await s.call('PUT', `/api/v0/${kind}/plain`)).json(), { name: 'plain', type: defaultType, options: {} });
      for (const body of [{ type: 'nosuch' }, { options: 'x' }, { options: [] }, { type: 3 }, '{']) {
        const r = await s.call('PUT', `/api/v0/${kind}/bad`, body);
        assert.deepEqual([r.status, r.text], [400, 'Bad Request'], JSON.stringify(body));
      }
      assert.equal((await s.call('GET', `/api/v0/${kind}/bad`)).status, 404);
    });

    it(`${kind}: DELETE answers [], then 404`, async () => {
      const del = await s.call('DELETE', `/api/v0/${kind}/plain`);
      assert.deepEqual([del.status, del.json()], [200, []]);
      assert.equal((await s.call('GET', `/api/v0/${kind}/plain`)).status, 404);
      assert.deepEqual([(await s.call('DELETE', `/api/v0/${kind}/plain`)).text], ['Not Found']);
    });
  }

  it('a cluster can name a container manager that exists', async () => {
    const put = await s.call('PUT', '/api/v0/cluster/managed', { network: 'mine', container_manager: 'mine' });
    assert.deepEqual(put.json(), { name: 'managed', status: '', network: 'mine', container_manager: 'mine' });
  });
});
