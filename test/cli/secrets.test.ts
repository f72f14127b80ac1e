// drover secret create|get|rotate-key and drover delete secret, against a real server.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestServer, tempDir, type TestServer } from '../helpers.js';
import { cli } from './drover.js';

describe('drover secret', () => {
  let server: TestServer;
  let d: ReturnType<typeof cli>;
  const dir = tempDir('drover-cli-secrets-');
  before(async () => {
    server = await startTestServer({ controllers: false });
    d = cli(server.url);
  });
  after(() => server.close());

  it('create from literals and files; get shows keys, --show-values the values; rotate-key; delete', async () => {
    writeFileSync(join(dir, 'cert.pem'), 'CERT-BYTES-42');
    assert.match(await d.ok(['secret', 'create', 'db', '--from-literal', 'user=app', '--from-literal', 'password=hunter2=x', '--from-file', `cert=${join(dir, 'cert.pem')}`]), /secret\/db created/);
    const table = await d.ok(['secret', 'get']);
    assert.match(table, /db\s+user,password,cert/);
    for (const args of [['secret', 'get', 'db'], ['secret', 'get', 'db', '-o', 'json'], ['get', 'secrets', '-o', 'yaml']]) {
      const out = await d.ok(args);
      assert.ok(!out.includes('hunter2') && !out.includes('CERT-BYTES'), `${args.join(' ')} shows a value:\n${out}`);
    }
    const values = await d.ok(['secret', 'get', 'db', '--show-values']);
    assert.deepEqual(values.trim().split('\n'), ['user=app', 'password=hunter2=x', 'cert=CERT-BYTES-42']);
    assert.match(await d.ok(['secret', 'rotate-key']), /sealed under key2-[0-9a-f]{8}: 1 re-encrypted; retired key1-[0-9a-f]{8}/);
    assert.match(await d.ok(['secret', 'get', 'db', '--show-values']), /password=hunter2=x/);
    await d.ok(['delete', 'secret', 'db']);
    assert.equal(await server.client.resource('secrets').find('db'), undefined);
  });

  it('bad arguments are usage errors and create nothing', async () => {
    for (const args of [['secret', 'create', 'x'], ['secret', 'create', 'x', '--from-literal', 'novalue'], ['secret', 'create', 'x', '--from-file', `k=${join(dir, 'missing')}`], ['secret', 'create', 'x', '--from-literal', 'a=1', '--from-literal', 'a=2']]) {
      const r = await d.run(args);
      assert.notEqual(r.code, 0, args.join(' '));
      assert.ok(r.stderr.length > 0);
    }
    assert.equal(await server.client.resource('secrets').find('x'), undefined);
  });
});
