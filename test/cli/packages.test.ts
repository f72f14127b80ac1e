// drover package list|show|install|upgrade|uninstall and drover get installations, against a
// real server with its controllers and the built-in catalog.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Installation, Service } from '../../src/model/index.js';
import { startTestServer, until, type TestServer } from '../helpers.js';
import { cli } from './drover.js';

describe('drover package', () => {
  let server: TestServer;
  let d: ReturnType<typeof cli>;
  before(async () => {
    server = await startTestServer();
    d = cli(server.url);
  });
  after(() => server.close());
  const installed = (name: string) =>
    until(async () => {
      const i = await server.client.resource<Installation>('installations', 'default').get(name);
      return i.status?.observedGeneration === i.metadata.generation && i.status?.phase === 'Installed' && i;
    }, `installation ${name} installed`);

  it('list shows each package with its versions and store; show its parameters with defaults', async () => {
    const list = await d.ok(['package', 'list']);
    assert.match(list, /^NAME\s+VERSIONS\s+STORE\s+DESCRIPTION/);
    assert.match(list, /\nredis\s+7\.0\s+redis\s+Redis/);
    assert.match(list, /\netcd\s+3\.4\s+etcd\s+etcd/);
    const show = await d.ok(['package', 'show', 'redis']);
    assert.match(show, /Version:\s+7\.0/);
    assert.match(show, /Requires:\s+redis-server/);
    assert.match(show, /port\s+6379\s+\[0-9\]\{1,5\}/);
    assert.match(await d.ok(['package', 'show', 'redis@7.0', '-o', 'json']), /"name": "redis-7.0"/);
    const missing = await d.run(['package', 'show', 'redis@6']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /package "redis" has no version "6" \(versions: 7\.0\)/);
  });

  it('install, get installations, upgrade (values merged), uninstall', async () => {
    assert.match(await d.ok(['package', 'install', 'redis@7.0', '--name', 'cache', '--set', 'port=6390', '--set', 'maxmemory=32mb', '--replicas', '0']), /installation\/cache created/);
    await installed('cache');
    const svc = await server.client.resource<Service>('services', 'default').get('cache');
    assert.match(svc.spec.template.command!.join(' '), /redis 6390 127\.0\.0\.1 32mb$/);
    assert.match(await d.ok(['get', 'installations']), /^NAME\s+PACKAGE\s+VERSION\s+STATUS\s+SERVICE\s+AGE\ncache\s+redis\s+7\.0\s+Installed\s+cache\s+/);
    assert.match(await d.ok(['get', 'packages']), /redis-7\.0\s+redis\s+7\.0\s+redis/);
    assert.match(await d.ok(['package', 'upgrade', 'cache', '--set', 'port=6391']), /installation\/cache upgraded/);
    const up = await installed('cache');
    assert.deepEqual(up.spec.values, { port: '6391', maxmemory: '32mb' }, 'values merged');
    await until(async () => (await server.client.resource<Service>('services', 'default').get('cache')).spec.template.command!.join(' ').endsWith('redis 6391 127.0.0.1 32mb'), 'the service template to change');
    assert.match(await d.ok(['package', 'uninstall', 'cache']), /installation\/cache deleted/);
    await until(async () => (await server.client.resource<Service>('services', 'default').find('cache')) === undefined, 'the service to go');
  });

  it('install --wait with a bad value fails saying which parameter and how to fix it', async () => {
    const r = await d.run(['package', 'install', 'redis', '--name', 'bad', '--set', 'port=high', '--wait', '--timeout', '20']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /installation\/bad failed: parameter "port" of package redis@7\.0: "high" does not match the pattern .*--set port=VALUE/);
    const usage = await d.run(['package', 'install', 'redis', '--set', 'novalue']);
    assert.notEqual(usage.code, 0);
    assert.match(usage.stderr, /--set takes KEY=VALUE, got "novalue"/);
    const nothing = await d.run(['package', 'upgrade', 'bad']);
    assert.match(nothing.stderr, /nothing to change/);
  });
});
