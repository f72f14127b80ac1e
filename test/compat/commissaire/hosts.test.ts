// Commissaire's hosts over real HTTP: create (a Host and a Secret with the decoded key), the
// record's exact keys, memory in MiB and dates in DATE_FORMAT, re-creation rules, creds, status,
// the address-inferring PUT /api/v0/host, and delete.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { systemContext } from '../../../src/registry/index.js';
import { encodedKey, startCommissaireServer, type CommissaireServer } from './support.js';

const KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n';

describe('Commissaire hosts', () => {
  let s: CommissaireServer;
  before(async () => {
    s = await startCommissaireServer();
  });
  after(async () => {
    await s.close();
  });

  const secretValues = async (name: string) => (await s.ts.server.registry.kind('secrets', 'default').reveal(systemContext, name)).spec as { data: Record<string, string> };

  it('PUT creates the host (201, Host.to_dict_safe before investigation) and a Secret holding the decoded key', async () => {
    const put = await s.call('PUT', '/api/v0/host/192.168.152.110', { ssh_priv_key: encodedKey(KEY), remote_user: 'core' });
    assert.equal(put.status, 201);
    assert.equal(put.contentType, 'application/json');
    assert.equal(put.text, JSON.stringify({ address: '192.168.152.110', status: '', os: '', cpus: 0, memory: 0, space: 0, last_check: '', source: '' }));
    const host = s.ts.server.registry.kind('hosts').list(systemContext)[0] as any;
    assert.equal(host.metadata.name, '192.168.152.110');
    assert.deepEqual(host.spec.credentials, { namespace: 'default', secret: '192.168.152.110-ssh' });
    assert.equal(host.spec.remoteUser, 'core');
    assert.equal((await secretValues('192.168.152.110-ssh')).data['ssh-privatekey'], KEY);
  });

  it('GET shows status, os, cpus, memory in MiB (the investigator\'s ansible_memory_mb), space and last_check in DATE_FORMAT', async () => {
    await s.setHostStatus('192.168.152.110', { phase: 'active', os: 'fedora', cpus: 4, memory: 2048 * 1024 * 1024 + 5, space: 51475068, lastCheck: '2016-11-28T22:10:11.851Z' });
    const got = await s.call('GET', '/api/v0/host/192.168.152.110');
    assert.equal(got.status, 200);
    assert.equal(got.text, JSON.stringify({ address: '192.168.152.110', status: 'active', os: 'fedora', cpus: 4, memory: 2048, space: 51475068, last_check: '2016-11-28T22:10:11.851000', source: '' }));
    assert.deepEqual((await s.call('GET', '/api/v0/host/192.168.152.110/')).json(), got.json(), 'trailing slash');
    const list = await s.call('GET', '/api/v0/hosts');
    assert.deepEqual(list.json(), [got.json()]);
    assert.equal((await s.call('GET', '/api/v0/hosts/')).status, 200);
  });

  it('GET of a host that does not exist is 404 Not Found', async () => {
    const r = await s.call('GET', '/api/v0/host/192.168.152.254');
    assert.deepEqual([r.status, r.contentType, r.text], [404, 'text/html', 'Not Found']);
  });

  it('re-creating with the same key answers 201 with the host; another key, or a cluster it is not in, is 409', async () => {
    const same = await s.call('PUT', '/api/v0/host/192.168.152.110', { ssh_priv_key: encodedKey(KEY) });
    assert.equal(same.status, 201);
    assert.equal(same.json().status, 'active');
    const other = await s.call('PUT', '/api/v0/host/192.168.152.110', { ssh_priv_key: 'bogus data' });
    assert.deepEqual([other.status, other.text], [409, 'Conflict']);
    await s.call('PUT', '/api/v0/cluster/honeynut', {});
    const notIn = await s.call('PUT', '/api/v0/host/192.168.152.110', { ssh_priv_key: encodedKey(KEY), cluster: 'honeynut' });
    assert.equal(notIn.status, 409);
    assert.equal((await secretValues('192.168.152.110-ssh')).data['ssh-privatekey'], KEY, 'the key is unchanged');
  });

  it('a host created with a cluster is its member at once; an unknown cluster is 409 and creates nothing', async () => {
    const unknown = await s.call('PUT', '/api/v0/host/192.168.152.111', { ssh_priv_key: encodedKey(KEY), cluster: 'headache' });
    assert.deepEqual([unknown.status, unknown.text], [409, 'Conflict']);
    assert.equal((await s.call('GET', '/api/v0/host/192.168.152.111')).status, 404);
    assert.equal(await s.ts.server.registry.kind('secrets', 'default').find(systemContext, '192.168.152.111-ssh'), undefined);
    assert.equal((await s.call('PUT', '/api/v0/host/192.168.152.111', { ssh_priv_key: encodedKey(KEY), cluster: 'honeynut' })).status, 201);
    assert.deepEqual((await s.call('GET', '/api/v0/cluster/honeynut/hosts')).json(), ['192.168.152.111']);
  });

  it('bad input is 400 and creates neither host nor secret', async () => {
    for (const body of ['{', '"text"', JSON.stringify({ ssh_priv_key: 5 }), JSON.stringify({ remote_user: ['root'] }), JSON.stringify({ remote_user: 'Not A User' })]) {
      const r = await s.call('PUT', '/api/v0/host/192.168.152.120', body);
      assert.deepEqual([r.status, r.contentType, r.text], [400, 'text/html', 'Bad Request'], body);
    }
    assert.equal((await s.call('GET', '/api/v0/host/192.168.152.120')).status, 404);
    assert.equal(await s.ts.server.registry.kind('secrets', 'default').find(systemContext, '192.168.152.120-ssh'), undefined);
  });

  it('creds: the key base64-encoded again and the remote user; status: host_only with last_check and status', async () => {
    const creds = await s.call('GET', '/api/v0/host/192.168.152.110/creds');
    assert.equal(creds.status, 200);
    assert.deepEqual(creds.json(), { address: '192.168.152.110', ssh_priv_key: encodedKey(KEY), remote_user: 'core' });
    assert.equal((await s.call('GET', '/api/v0/host/192.168.152.110/creds/')).status, 404, 'creds takes no trailing slash');
    const status = await s.call('GET', '/api/v0/host/192.168.152.110/status');
    assert.equal(status.text, JSON.stringify({ type: 'host_only', host: { last_check: '2016-11-28T22:10:11.851000', status: 'active' }, container_manager: {} }));
    assert.equal((await s.call('GET', '/api/v0/host/192.168.152.110/status/')).status, 200);
    assert.equal((await s.call('GET', '/api/v0/host/10.1.1.1/status')).status, 404);
    assert.equal((await s.call('GET', '/api/v0/host/10.1.1.1/creds')).status, 404);
  });

  it('PUT /api/v0/host takes the address from the body, else from the peer', async () => {
    const given = await s.call('PUT', '/api/v0/host', { address: '192.168.152.130', ssh_priv_key: encodedKey(KEY) });
    assert.equal(given.status, 201);
    assert.equal(given.json().address, '192.168.152.130');
    const inferred = await s.call('PUT', '/api/v0/host/', { ssh_priv_key: encodedKey(KEY) });
    assert.equal(inferred.status, 201);
    assert.equal(inferred.json().address, '127.0.0.1');
    assert.equal((await s.call('GET', '/api/v0/host/127.0.0.1')).status, 200);
  });

  it('an address that is no valid drover name gets a derived host name and is still found by address', async () => {
    const put = await s.call('PUT', '/api/v0/host', { address: '..', ssh_priv_key: encodedKey(KEY) });
    // ".." is no DNS name or IP either: the native validation refuses it (400), nothing is left behind.
    assert.equal(put.status, 400);
    assert.equal(s.ts.server.registry.kind('secrets', 'default').list(systemContext).filter((x) => x.metadata.name.startsWith('host-')).length, 0);
  });

  it('DELETE answers [], removes the host, its secret and its membership; a second DELETE is 404', async () => {
    const del = await s.call('DELETE', '/api/v0/host/192.168.152.111', {});
    assert.deepEqual([del.status, del.json()], [200, []]);
    assert.equal((await s.call('GET', '/api/v0/host/192.168.152.111')).status, 404);
    assert.equal(await s.ts.server.registry.kind('secrets', 'default').find(systemContext, '192.168.152.111-ssh'), undefined);
    assert.deepEqual((await s.call('GET', '/api/v0/cluster/honeynut/hosts')).json(), []);
    assert.equal((await s.call('GET', '/api/v0/cluster/honeynut')).json().hosts.total, 0);
    assert.equal((await s.call('GET', '/api/v0/cluster/honeynut/hosts/192.168.152.111')).status, 404);
    assert.deepEqual([(await s.call('DELETE', '/api/v0/host/192.168.152.111')).status], [404]);
  });
});
