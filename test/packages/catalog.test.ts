// Catalog directories loaded at server start: broken files skipped, API-made packages left alone,
// changed files replaced on the next start.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { CATALOG_FILE_LABEL, type Package } from '../../src/model/index.js';
import { loadCatalog } from '../../src/packages/catalog.js';
import { startTestServer, tempDir, type TestServer } from '../helpers.js';

const manifest = (name: string, version: string, description: string) => `apiVersion: drover/v1
kind: Package
metadata: {name: ${name}-${version}}
spec:
  package: ${name}
  version: "${version}"
  description: ${description}
  parameters: [{name: port, default: "1"}]
  template: {command: [srv, "{{port}}"]}
`;

describe('catalog directories', () => {
  const dir = tempDir('drover-catalog-');
  let s: TestServer;
  const packages = () => s.client.resource<Package>('packages');
  before(async () => {
    writeFileSync(join(dir, 'good.yaml'), `${manifest('good', '1.0', 'first')}---\n${manifest('good', '2.0', 'second')}`);
    writeFileSync(join(dir, 'broken.yaml'), 'kind: Package\nspec: [unclosed\n');
    writeFileSync(join(dir, 'invalid.yaml'), manifest('bad', '1', 'x').replace('"{{port}}"', '"{{nope}}"'));
    writeFileSync(join(dir, 'notes.txt'), 'not a manifest');
    s = await startTestServer({ catalogDirs: [dir], controllers: false });
  });
  after(() => s.close());

  it('loads every package of the directory with the file label; a broken or invalid file is skipped, not fatal', async () => {
    const good = await packages().get('good-2.0');
    assert.equal(good.spec.description, 'second');
    assert.equal(good.metadata.labels?.[CATALOG_FILE_LABEL], join(dir, 'good.yaml'));
    assert.ok(await packages().find('good-1.0'));
    assert.equal(await packages().find('bad-1'), undefined);
    assert.ok(await packages().find('redis-7.0'), 'the built-in catalog too');
  });

  it('reports what it skipped and why', async () => {
    const log = pino({ level: 'silent' });
    const r = await loadCatalog([dir], s.server.registry, log);
    assert.deepEqual(r.unchanged.sort(), ['good-1.0', 'good-2.0']);
    assert.deepEqual(r.loaded, []);
    const why = r.skipped.map((x) => `${x.file.slice(dir.length + 1)}: ${x.message}`).join('\n');
    assert.match(why, /broken\.yaml: document 1: not YAML/);
    assert.match(why, /invalid\.yaml: package "bad-1": .*\{\{nope\}\} names no declared parameter/);
  });

  it('a package made through the API is left alone; a changed file replaces its packages on restart, a dropped one goes', async () => {
    await packages().create({ apiVersion: 'drover/v1', kind: 'Package', metadata: { name: 'mine-1' }, spec: { package: 'mine', version: '1', description: 'from the API', template: { command: ['x'] } } });
    writeFileSync(join(dir, 'mine.yaml'), manifest('mine', '1', 'from the file'));
    writeFileSync(join(dir, 'good.yaml'), manifest('good', '2.0', 'second, changed'));
    await s.restart();
    assert.equal((await packages().get('mine-1')).spec.description, 'from the API');
    assert.equal((await packages().get('good-2.0')).spec.description, 'second, changed');
    assert.equal(await packages().find('good-1.0'), undefined, 'no longer declared by its file');
  });
});
