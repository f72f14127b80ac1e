// Commissaire's cluster operations over real HTTP: PUT starts an Operation (its record at once),
// GET shows the newest one of that type on the cluster in clusterexec's record, with the step
// phases the operations handler writes mapped to in_process and upgraded|restarted|deployed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { systemContext } from '../../../src/registry/index.js';
import { startCommissaireServer, type CommissaireServer } from './support.js';

const DATE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/;

describe('Commissaire cluster operations', () => {
  let s: CommissaireServer;
  before(async () => {
    s = await startCommissaireServer();
    await s.call('PUT', '/api/v0/cluster/honeynut', {});
  });
  after(async () => {
    await s.close();
  });

  const operations = () => s.ts.server.registry.kind('operations');
  const newest = (type: string) => (operations().list(systemContext) as any[]).filter((o) => o.spec.type === type).sort((a, b) => b.metadata.revision - a.metadata.revision)[0];
  const writeStatus = (name: string, status: Record<string, unknown>) => operations().replaceStatus(systemContext, name, { status });

  it('GET before any upgrade is 404 Not Found', async () => {
    const r = await s.call('GET', '/api/v0/cluster/honeynut/upgrade');
    assert.deepEqual([r.status, r.contentType, r.text], [404, 'text/html', 'Not Found']);
  });

  it('PUT upgrade creates a ClusterUpgrade Operation on the cluster and answers 201 with the initial record', async () => {
    const put = await s.call('PUT', '/api/v0/cluster/honeynut/upgrade', {});
    assert.equal(put.status, 201);
    const record = put.json();
    assert.deepEqual(Object.keys(record), ['name', 'status', 'upgraded', 'in_process', 'started_at', 'finished_at']);
    assert.deepEqual({ ...record, started_at: 'x' }, { name: 'honeynut', status: 'in_process', upgraded: [], in_process: [], started_at: 'x', finished_at: '' });
    assert.match(record.started_at, DATE);
    const op = newest('ClusterUpgrade');
    assert.deepEqual(op.spec.target, { kind: 'Cluster', name: 'honeynut' });
  });

  it('GET maps the steps: Running and Failed hosts are in_process, Succeeded and Skipped are upgraded; phases to in_process/finished/failed', async () => {
    const op = newest('ClusterUpgrade');
    const steps = (phases: string[]) => phases.map((phase, i) => ({ name: `h${i}`, address: `10.0.0.${i + 1}`, phase }));
    await writeStatus(op.metadata.name, { phase: 'Running', startedAt: '2015-12-17T15:48:18.710454Z', steps: steps(['Succeeded', 'Running', 'Pending']) });
    let got = (await s.call('GET', '/api/v0/cluster/honeynut/upgrade')).json();
    assert.deepEqual(got, { name: 'honeynut', status: 'in_process', upgraded: ['10.0.0.1'], in_process: ['10.0.0.2'], started_at: '2015-12-17T15:48:18.710454', finished_at: '' });
    await writeStatus(op.metadata.name, { phase: 'Failed', startedAt: '2015-12-17T15:48:18.710454Z', finishedAt: '2015-12-17T15:50:00Z', steps: steps(['Skipped', 'Succeeded', 'Failed', 'Pending']) });
    got = (await s.call('GET', '/api/v0/cluster/honeynut/upgrade')).json();
    assert.deepEqual(got, { name: 'honeynut', status: 'failed', upgraded: ['10.0.0.1', '10.0.0.2'], in_process: ['10.0.0.3'], started_at: '2015-12-17T15:48:18.710454', finished_at: '2015-12-17T15:50:00.000000' });
  });

  it('a newer upgrade replaces the older one in GET', async () => {
    await s.call('PUT', '/api/v0/cluster/honeynut/upgrade');
    const op = newest('ClusterUpgrade');
    await writeStatus(op.metadata.name, { phase: 'Succeeded', startedAt: '2016-01-01T00:00:00Z', finishedAt: '2016-01-01T00:01:00Z', steps: [{ name: 'h0', address: '10.0.0.1', phase: 'Succeeded' }] });
    const got = (await s.call('GET', '/api/v0/cluster/honeynut/upgrade')).json();
    assert.deepEqual([got.status, got.upgraded, got.in_process, got.finished_at], ['finished', ['10.0.0.1'], [], '2016-01-01T00:01:00.000000']);
  });

  it('restart records use "restarted"; deploy records carry the version and use "deployed"', async () => {
    const restart = await s.call('PUT', '/api/v0/cluster/honeynut/restart');
    assert.equal(restart.status, 201);
    assert.deepEqual(Object.keys(restart.json()), ['name', 'status', 'restarted', 'in_process', 'started_at', 'finished_at']);
    assert.equal(newest('ClusterRestart').spec.target.name, 'honeynut');
    const deploy = await s.call('PUT', '/api/v0/cluster/honeynut/deploy', { version: '7.2.6' });
    assert.equal(deploy.status, 201);
    assert.deepEqual(Object.keys(deploy.json()), ['name', 'status', 'version', 'deployed', 'in_process', 'started_at', 'finished_at']);
    assert.equal(deploy.json().version, '7.2.6');
    assert.deepEqual(newest('ClusterDeploy').spec.params, { version: '7.2.6' });
    const got = (await s.call('GET', '/api/v0/cluster/honeynut/deploy')).json();
    assert.deepEqual([got.status, got.version, got.deployed], ['in_process', '7.2.6', []]);
  });

  it('a deploy without a version (or not a non-empty string) is 400 and starts nothing; a missing cluster is 404', async () => {
    const before = operations().list(systemContext).length;
    for (const body of [{}, { version: '' }, { version: 7 }, '{']) {
      const r = await s.call('PUT', '/api/v0/cluster/honeynut/deploy', body);
      assert.deepEqual([r.status, r.text], [400, 'Bad Request'], JSON.stringify(body));
    }
    assert.equal((await s.call('PUT', '/api/v0/cluster/nosuch/upgrade')).status, 404);
    assert.equal((await s.call('PUT', '/api/v0/cluster/nosuch/deploy', { version: '1' })).status, 404);
    assert.equal(operations().list(systemContext).length, before);
  });
});
