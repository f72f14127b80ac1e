// The CLI and namespaces: -n/--namespace, -A/--all-namespaces with a NAMESPACE column, a
// context's default namespace, manifests that name their namespace, and delete --all -A.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../helpers.js';
import { cli, drover } from './drover.js';

const service = (name: string, ns?: string) => `kind: Service\nmetadata: {name: ${name}${ns ? `, namespace: ${ns}` : ''}}\nspec: {replicas: 0, template: {command: [sleep, '300']}}\n`;

describe('drover and namespaces', () => {
  let server: TestServer;
  let d: ReturnType<typeof cli>;
  before(async () => {
    server = await startTestServer({ controllers: false });
    d = cli(server.url);
  });
  after(async () => {
    await server.close();
  });

  it('create namespaces, apply into them with -n or by the manifest, get with -n', async () => {
    await d.ok(['apply', '-f', '-'], { input: 'kind: Namespace\nmetadata: {name: dev}\n---\nkind: Namespace\nmetadata: {name: prod}\n' });
    assert.match(await d.ok(['apply', '-n', 'dev', '-f', '-'], { input: service('web') }), /service\/web created/);
    assert.match(await d.ok(['apply', '-f', '-'], { input: service('web', 'prod') }), /service\/web created/);
    assert.match(await d.ok(['apply', '-f', '-'], { input: service('api') }), /service\/api created/);
    assert.equal((await server.client.resource('services', 'dev').get('web')).metadata.namespace, 'dev');
    assert.equal((await server.client.resource('services', 'prod').get('web')).metadata.namespace, 'prod');
    assert.equal((await server.client.resource('services', 'default').get('api')).metadata.namespace, 'default');

    const inDev = await d.ok(['get', 'svc', '-n', 'dev', '-o', 'name']);
    assert.equal(inDev, 'service/web\n');
    // Without -n: the default namespace only, as kubectl.
    assert.equal(await d.ok(['get', 'svc', '-o', 'name']), 'service/api\n');
    assert.match(await d.ok(['get', 'service/web', '-n', 'prod', '-o', 'yaml']), /namespace: prod/);
    const missing = await d.run(['get', 'svc', '-n', 'nowhere']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /namespace "nowhere" not found/);
  });

  it('-A lists every namespace with a NAMESPACE column', async () => {
    const out = await d.ok(['get', 'svc', '-A']);
    const lines = out.trim().split('\n');
    assert.match(lines[0]!, /^NAMESPACE\s+NAME\s+READY/);
    const rows = lines.slice(1).map((l) => l.split(/\s+/).slice(0, 2).join('/'));
    assert.deepEqual(rows.sort(), ['default/api', 'dev/web', 'prod/web']);
    const both = await d.run(['get', 'svc', '-A', '-n', 'dev']);
    assert.equal(both.code, 2, both.stderr);
    assert.match(both.stderr, /-n NAMESPACE or -A/);
  });

  it('a context\'s namespace is where its commands act without -n', async () => {
    await d.ok(['config', 'set-context', 'devctx', '--namespace', 'dev', '--use']);
    const env = {};
    const inCtx = await drover(['get', 'svc', '-o', 'name'], { env });
    assert.equal(inCtx.code, 0, inCtx.stderr);
    assert.equal(inCtx.stdout, 'service/web\n');
    const overridden = await drover(['get', 'svc', '-o', 'name', '-n', 'default'], { env });
    assert.equal(overridden.stdout, 'service/api\n');
    await d.ok(['config', 'delete-context', 'devctx']);
  });

  it('delete --all -A deletes each object in its own namespace; describe shows the namespace', async () => {
    assert.match(await d.ok(['describe', 'service/web', '-n', 'prod']), /Namespace:\s+prod/);
    await d.ok(['delete', 'svc', '--all', '-A']);
    assert.equal((await server.client.resource('services').list()).items.length, 0);
    // The namespaces are empty now, so they can go.
    assert.match(await d.ok(['delete', 'namespace', 'dev']), /namespace\/dev deleted/);
  });
});
