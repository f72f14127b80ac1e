// Installations over HTTP: a real server (port 0) with its controllers and the built-in catalog.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Installation, Package, Service } from '../../src/model/index.js';
import { INSTALLATION_LABEL } from '../../src/model/index.js';
import { startTestServer, until, type TestServer } from '../helpers.js';

describe('installations', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(async () => s.close());

  const installations = () => s.client.resource<Installation>('installations', 'default');
  const services = () => s.client.resource<Service>('services', 'default');
  const packages = () => s.client.resource<Package>('packages');
  const settled = (name: string, generation?: number) =>
    until(
      async () => {
        const i = await installations().get(name);
        return i.status?.phase && i.status.phase !== 'Pending' && (generation === undefined || i.status.observedGeneration === generation) ? i : undefined;
      },
      `installation ${name} to settle`,
    );

  test('the built-in catalog is loaded: redis and etcd', async () => {
    const names = (await packages().list()).items.map((p) => p.metadata.name);
    assert.ok(names.includes('redis-7.0'), names.join(', '));
    assert.ok(names.includes('etcd-3.4'), names.join(', '));
  });

  test('install renders a Service owned by the installation, with the newest version and the values', async () => {
    await packages().create({
      apiVersion: 'drover/v1',
      kind: 'Package',
      metadata: { name: 'echo-1.9' },
      spec: { package: 'echo', version: '1.9', parameters: [{ name: 'word', default: 'old' }], template: { command: ['echo', '{{word}}'] } },
    });
    await packages().create({
      apiVersion: 'drover/v1',
      kind: 'Package',
      metadata: { name: 'echo-1.10' },
      spec: {
        package: 'echo',
        version: '1.10',
        parameters: [{ name: 'word', default: 'hello' }, { name: 'port', default: '80', pattern: '[0-9]+' }],
        template: { command: ['echo', '{{word}}', 'on "{{port}}"'], env: { PORT: '{{port}}' } },
        constraints: { machineSelector: { role: '{{word}}' } },
      },
    });
    const created = await installations().create({ apiVersion: 'drover/v1', kind: 'Installation', metadata: { name: 'hi' }, spec: { package: 'echo', values: { port: '8080' }, replicas: 2, labels: { team: 'a' } } });
    const inst = await settled('hi');
    assert.equal(inst.status?.phase, 'Installed', inst.status?.message);
    assert.equal(inst.status?.version, '1.10', 'numeric comparison: 1.10 is newer than 1.9');
    assert.equal(inst.status?.service, 'hi');
    assert.equal(inst.status?.observedGeneration, created.metadata.generation);
    const svc = await services().get('hi');
    assert.deepEqual(svc.spec.template.command, ['echo', 'hello', 'on "8080"']);
    assert.deepEqual(svc.spec.template.env, { PORT: '8080' });
    assert.deepEqual(svc.spec.constraints?.machineSelector, { role: 'hello' });
    assert.equal(svc.spec.replicas, 2);
    assert.equal(svc.metadata.labels?.[INSTALLATION_LABEL], 'hi');
    assert.equal(svc.metadata.labels?.team, 'a');
    assert.deepEqual(svc.metadata.ownerReferences, [{ kind: 'Installation', name: 'hi', uid: created.metadata.uid, controller: true }]);
  });

  test('a value that breaks the pattern, an unknown or a missing one: Failed naming the parameter, and no Service', async () => {
    await packages().create({
      apiVersion: 'drover/v1',
      kind: 'Package',
      metadata: { name: 'needy-1' },
      spec: { package: 'needy', version: '1', parameters: [{ name: 'token' }, { name: 'port', default: '1', pattern: '[0-9]+' }], template: { command: ['true', '{{token}}', '{{port}}'] } },
    });
    const cases: [string, Record<string, string>, RegExp][] = [
      ['bad-pattern', { token: 't', port: 'eighty' }, /parameter "port".*"eighty" does not match the pattern \[0-9\]\+; set a matching value with --set port=VALUE/],
      ['unknown-key', { token: 't', colour: 'red' }, /unknown parameter "colour".*its parameters: token, port/],
      ['missing', {}, /parameter "token" of package needy@1 is required: set it with --set token=VALUE/],
    ];
    for (const [name, values, message] of cases) {
      await installations().create({ apiVersion: 'drover/v1', kind: 'Installation', metadata: { name }, spec: { package: 'needy', values } });
      const inst = await settled(name);
      assert.equal(inst.status?.phase, 'Failed', name);
      assert.match(inst.status?.message ?? '', message);
      assert.equal(await services().find(name), undefined, `${name}: no service`);
    }
    await installations().create({ apiVersion: 'drover/v1', kind: 'Installation', metadata: { name: 'nopkg' }, spec: { package: 'nosuch' } });
    assert.match((await settled('nopkg')).status?.message ?? '', /package "nosuch" not found/);
    await installations().create({ apiVersion: 'drover/v1', kind: 'Installation', metadata: { name: 'nover' }, spec: { package: 'echo', version: '9' } });
    assert.match((await settled('nover')).status?.message ?? '', /package "echo" has no version "9" \(versions: 1.10, 1.9\)/);
  });

  test('upgrade: new values and version change the Service template; uninstall removes the Service', async () => {
    await installations().create({ apiVersion: 'drover/v1', kind: 'Installation', metadata: { name: 'up' }, spec: { package: 'echo', version: '1.9' } });
    await settled('up');
    assert.deepEqual((await services().get('up')).spec.template.command, ['echo', 'old']);
    const changed = await installations().patch('up', { spec: { version: '1.10', values: { word: 'new' } } });
    const inst = await settled('up', changed.metadata.generation);
    assert.equal(inst.status?.version, '1.10');
    assert.deepEqual((await services().get('up')).spec.template.command, ['echo', 'new', 'on "80"']);
    // A bad upgrade fails and leaves the Service as it was.
    const bad = await installations().patch('up', { spec: { values: { word: 'x', port: 'no' } } });
    assert.equal((await settled('up', bad.metadata.generation)).status?.phase, 'Failed');
    assert.deepEqual((await services().get('up')).spec.template.command, ['echo', 'new', 'on "80"']);
    await installations().delete('up');
    await until(async () => (await services().find('up')) === undefined, 'the service of the uninstalled installation to go');
  });

  test('a Service deleted while the server is down goes with its installation after a restart; a deleted Service is put back', async () => {
    await installations().create({ apiVersion: 'drover/v1', kind: 'Installation', metadata: { name: 'keep' }, spec: { package: 'echo' } });
    await settled('keep');
    await services().delete('keep');
    await until(async () => (await services().find('keep'))?.metadata.labels?.[INSTALLATION_LABEL] === 'keep', 'the service to be recreated');
    // Restart without controllers, delete the installation, restart with them: the orphan goes.
    await installations().create({ apiVersion: 'drover/v1', kind: 'Installation', metadata: { name: 'gone' }, spec: { package: 'echo' } });
    await settled('gone');
    await s.server.close();
    const { startServer } = await import('../../src/server.js');
    const quiet = await startServer({ listen: `127.0.0.1:${new URL(s.url).port}`, dataDir: s.dir, logLevel: 'error', controllers: false });
    await quiet.registry.kind('installations', 'default').delete((await import('../../src/registry/index.js')).systemContext, 'gone');
    assert.ok(quiet.state.resources('services').get('default/gone'), 'no controller: the service stays for now');
    await quiet.close();
    await s.restart();
    await until(async () => (await services().find('gone')) === undefined, 'the orphaned service to be deleted after the restart');
    assert.ok(await services().find('keep'), 'the service of a live installation stays');
  });

  test('a Service of the same name that is not the installation\'s is left alone and the installation fails', async () => {
    await services().create({ apiVersion: 'drover/v1', kind: 'Service', metadata: { name: 'taken' }, spec: { template: { command: ['sleep', '1000'] }, replicas: 0 } });
    await installations().create({ apiVersion: 'drover/v1', kind: 'Installation', metadata: { name: 'taken' }, spec: { package: 'echo' } });
    const inst = await settled('taken');
    assert.equal(inst.status?.phase, 'Failed');
    assert.match(inst.status?.message ?? '', /service "taken" already exists.*install under another name \(--name\)/);
    assert.deepEqual((await services().get('taken')).spec.template.command, ['sleep', '1000']);
  });
});
