// drover cluster create|join|leave|upgrade, get clusters|networks|containermanagers, describe
// operation and operation resume, against a real server. The one host here is unreachable on
// purpose (no sshd behind it): the SSH side is test/hosts/cluster-operations.test.ts's.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Host, Operation } from '../../src/model/index.js';
import { startTestServer, until, type TestServer } from '../helpers.js';
import { cli } from './drover.js';

describe('drover cluster', () => {
  let server: TestServer;
  let d: ReturnType<typeof cli>;
  before(async () => {
    server = await startTestServer({ hosts: { healthIntervalMs: 60_000, connectTimeoutMs: 1_000 } });
    d = cli(server.url);
    await server.client.resource('containermanagers').create({ metadata: { name: 'oshift' }, spec: { type: 'openshift', options: { server_url: 'https://oshift:8443' } } });
    await server.client.resource('secrets').create({ metadata: { name: 'k' }, spec: { data: { 'ssh-privatekey': 'not a key' } } });
    await server.client.resource('hosts').create({ metadata: { name: 'web1' }, spec: { address: '127.0.0.1', port: 1, credentials: { secret: 'k' } } } as never);
  });
  after(() => server.close());

  it('create, get clusters with their columns, networks and container managers', async () => {
    assert.match(await d.ok(['cluster', 'create', 'prod', '--container-manager', 'oshift']), /cluster\/prod created/);
    assert.match(await d.ok(['cluster', 'create', 'lab', '--network', 'missing']), /cluster\/lab created/);
    await until(async () => (await d.ok(['get', 'clusters'])).includes('NetworkNotFound'), 'lab to show its missing network');
    const table = await d.ok(['get', 'clusters']);
    assert.match(table, /^NAME\s+STATUS\s+HOSTS\s+NETWORK\s+CONTAINER-MANAGER\s+AGE$/m);
    assert.match(table, /^prod\s+ok\s+0\/0\s+default\s+oshift\s+\S+$/m);
    assert.match(table, /^lab\s+ok,NetworkNotFound\s+0\/0\s+missing\s+<none>\s+\S+$/m);
    assert.match(await d.ok(['get', 'networks']), /^default\s+flannel_etcd\s+<none>/m);
    assert.match(await d.ok(['get', 'cm']), /^oshift\s+openshift\s+server_url=https:\/\/oshift:8443/m);
    const dup = await d.run(['cluster', 'create', 'prod']);
    assert.notEqual(dup.code, 0);
    assert.match(dup.stderr, /already exists/);
  });

  it('join and leave change the host\'s cluster; the cluster counts it', async () => {
    assert.match(await d.ok(['cluster', 'join', 'prod', 'web1']), /host\/web1 joined cluster\/prod/);
    assert.equal(server.server.state.resources<Host>('hosts').get('web1')?.spec.cluster, 'prod');
    await until(async () => /^prod\s+failed\s+0\/1/m.test(await d.ok(['get', 'clusters'])), 'prod to count its unreachable host');
    const nowhere = await d.run(['cluster', 'join', 'nosuch', 'web1']);
    assert.notEqual(nowhere.code, 0);
    assert.match(nowhere.stderr, /cluster "nosuch" not found/);
    const wrong = await d.run(['cluster', 'leave', 'lab', 'web1']);
    assert.match(wrong.stderr, /host "web1" is in cluster "prod", not in "lab"/);
  });

  it('upgrade --wait fails naming the host; describe shows the steps; resume after the host left succeeds', async () => {
    const r = await d.run(['cluster', 'upgrade', 'prod', '--wait', '--timeout', '30s']);
    assert.equal(r.code, 1, r.stderr);
    const name = /operation\/(\S+) created \(ClusterUpgrade of cluster\/prod\)/.exec(r.stdout)?.[1];
    assert.ok(name, r.stdout);
    assert.match(r.stderr, /^ClusterUpgrade prod \(operation\/\S+\): (Running|Failed), \d\/1 hosts done/m, 'plain progress lines when not on a TTY');
    assert.match(r.stderr, /failed: host "web1" \(127\.0\.0\.1\) failed: cannot connect over SSH/);
    const described = await d.ok(['describe', 'operation', name]);
    assert.match(described, /Target:\s+cluster\/prod/);
    assert.match(described, /^Steps:\n\s+HOST\s+ADDRESS\s+PHASE\s+TOOK\s+MESSAGE\n\s+web1\s+127\.0\.0\.1\s+Failed\s+\S+\s+cannot connect over SSH/m);

    assert.match(await d.ok(['cluster', 'leave', 'prod', 'web1']), /host\/web1 left cluster\/prod/);
    const resumed = await d.ok(['operation', 'resume', name, '--wait']);
    assert.match(resumed, /succeeded: 0 host\(s\) done/);
    const ops = (await server.client.operations.list()).items as Operation[];
    assert.ok(ops.some((o) => o.spec.params?.resume === name && o.status?.phase === 'Succeeded'));
    const again = await d.run(['operation', 'resume', ops.find((o) => o.spec.params?.resume === name)!.metadata.name]);
    assert.match(again.stderr, /is Succeeded: only a Failed operation can be resumed/);
  });

  it('bad options are usage errors that create nothing', async () => {
    const before = (await server.client.operations.list()).items.length;
    for (const args of [['cluster', 'upgrade', 'prod', '--batch-size', '0'], ['cluster', 'restart', 'prod', '--profile', 'pacman'], ['cluster', 'deploy', 'prod']]) {
      const r = await d.run(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    }
    assert.equal((await server.client.operations.list()).items.length, before);
  });
});
