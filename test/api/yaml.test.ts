// JSON and YAML both ways: YAML bodies in, Accept: application/yaml out (error envelopes
// too), and 406 for an Accept header that allows neither.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import YAML from 'yaml';
import { http } from '../helpers.js';
import { assertError, assertNoLeak, createService, send, storeRevision, useApiServer } from './support.js';

const YAML_IN = { 'content-type': 'application/yaml' };
const YAML_OUT = { accept: 'application/yaml' };

const manifest = `apiVersion: drover/v1
kind: Service
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 3
  desiredState: running
  strategy: spread
  template:
    command: [python3, -m, http.server, "8000"]
    env: {GREETING: hello}
    workingDir: /srv
    resources: {cpu: 100m, memory: 64Mi}
    restartPolicy: always
  constraints:
    machineSelector: {region: eu}
    conflicts: ["web-*"]
  update: {maxUnavailable: 1, maxSurge: 1, minReadySeconds: 0}
`;

describe('YAML', () => {
  const s = useApiServer();

  it('a YAML manifest (DESIGN.md example) is created, and answered in YAML when asked', async () => {
    const res = await http(`${s.api}/services`, { method: 'POST', headers: { ...YAML_IN, ...YAML_OUT }, body: manifest });
    assert.equal(res.status, 201, res.text);
    assert.match(res.headers.get('content-type') ?? '', /^application\/yaml/);
    const obj = YAML.parse(res.text);
    assert.equal(obj.metadata.name, 'web');
    assert.equal(obj.spec.replicas, 3);
    assert.deepEqual(obj.spec.template.command, ['python3', '-m', 'http.server', '8000']);
    assert.equal(res.headers.get('etag'), `"${obj.metadata.revision}"`);
    assert.deepEqual((await http(`${s.api}/services/web`)).json(), obj, 'the JSON and YAML views are the same object');
  });

  it('GET and lists answer YAML for Accept: application/yaml', async () => {
    await createService(s.url, 'y-get');
    const json = (await http(`${s.api}/services/y-get`)).json();
    const yaml = await http(`${s.api}/services/y-get`, { headers: YAML_OUT });
    assert.equal(yaml.status, 200);
    assert.match(yaml.headers.get('content-type') ?? '', /^application\/yaml/);
    assert.deepEqual(YAML.parse(yaml.text), json);

    const list = await http(`${s.api}/services?labelSelector=`, { headers: { accept: 'application/json;q=0.5, application/yaml' } });
    assert.match(list.headers.get('content-type') ?? '', /^application\/yaml/, 'the higher q wins');
    const parsed = YAML.parse(list.text);
    assert.equal(parsed.kind, 'ServiceList');
    assert.deepEqual(parsed.items, (await http(`${s.api}/services`)).json().items);
  });

  it('PUT with a YAML body replaces; GET output in YAML is valid PUT input', async () => {
    await createService(s.url, 'y-put');
    const got = YAML.parse((await http(`${s.api}/services/y-put`, { headers: YAML_OUT })).text);
    got.spec.replicas = 6;
    const res = await http(`${s.api}/services/y-put`, { method: 'PUT', headers: YAML_IN, body: YAML.stringify(got) });
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/, 'JSON by default');
    assert.equal(res.json().spec.replicas, 6);
  });

  it('error envelopes are YAML for Accept: application/yaml', async () => {
    const notFound = await http(`${s.api}/services/nope`, { headers: YAML_OUT });
    assert.equal(notFound.status, 404);
    assert.match(notFound.headers.get('content-type') ?? '', /^application\/yaml/);
    assert.deepEqual(YAML.parse(notFound.text), { error: { code: 404, reason: 'NotFound', message: 'service "nope" not found' } });

    const invalid = await http(`${s.api}/services`, { method: 'POST', headers: { ...YAML_IN, ...YAML_OUT }, body: 'metadata: {name: bad}\nspec: {replicas: -1, template: {command: [x]}}\n' });
    assert.equal(invalid.status, 422);
    const err = YAML.parse(invalid.text).error;
    assert.equal(err.reason, 'Invalid');
    assert.deepEqual(err.details.map((d: { path: string }) => d.path), ['/spec/replicas']);
    assertNoLeak(invalid.text);
  });

  for (const [what, body] of [
    ['malformed YAML', 'metadata: {name: web\nspec: ['],
    ['a tab-indented mapping', 'metadata:\n\tname: x\n'],
    ['two documents', 'metadata: {name: a}\n---\nmetadata: {name: b}\n'],
    ['a scalar', 'just a string'],
    ['an empty body', ''],
  ]) {
    it(`${what} answers 400 BadRequest and creates nothing`, async () => {
      const rev = await storeRevision(s.url);
      assertError(await http(`${s.api}/machines`, { method: 'POST', headers: YAML_IN, body }), 400, 'BadRequest');
      assert.equal(await storeRevision(s.url), rev);
    });
  }

  it('a YAML body with unknown fields answers 422 listing each path', async () => {
    const rev = await storeRevision(s.url);
    const body = 'metadata: {name: y-unknown, colour: red}\nspec:\n  replicas: 1\n  template: {command: [x], shell: bash}\nextra: 1\n';
    const err = assertError(await http(`${s.api}/services`, { method: 'POST', headers: YAML_IN, body }), 422, 'Invalid');
    assert.deepEqual(err.details?.map((d) => d.path).sort(), ['/extra', '/metadata/colour', '/spec/template/shell']);
    assert.equal(await storeRevision(s.url), rev);
  });

  it('YAML anchors beyond a small alias budget are refused (billion laughs)', async () => {
    const rev = await storeRevision(s.url);
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 0; i < 8; i++) {
      const prev = String.fromCharCode(97 + i);
      const next = String.fromCharCode(98 + i);
      lines.push(`${next}: &${next} [${Array(10).fill(`*${prev}`).join(',')}]`);
    }
    lines.push('metadata: {name: laughs}');
    assertError(await http(`${s.api}/machines`, { method: 'POST', headers: YAML_IN, body: lines.join('\n') }), 400, 'BadRequest', 'alias');
    assert.equal(await storeRevision(s.url), rev);
  });

  it('Accept: text/html answers 406 and a write with it changes nothing', async () => {
    await createService(s.url, 'y-html');
    const rev = await storeRevision(s.url);
    assertError(await http(`${s.api}/services/y-html`, { headers: { accept: 'text/html' } }), 406, 'NotAcceptable', 'text/html');
    assertError(await http(`${s.api}/services`, { headers: { accept: 'text/html' } }), 406, 'NotAcceptable');
    const post = await send(`${s.api}/machines`, 'POST', { metadata: { name: 'html-machine' } }, { accept: 'text/html' });
    assertError(post, 406, 'NotAcceptable');
    const del = await http(`${s.api}/services/y-html`, { method: 'DELETE', headers: { accept: 'text/html' } });
    assertError(del, 406, 'NotAcceptable');
    assert.equal(await storeRevision(s.url), rev);
    assert.equal((await http(`${s.api}/machines/html-machine`)).status, 404);
    assertError(await http(`${s.api}/system/version`, { headers: { accept: 'text/html' } }), 406, 'NotAcceptable');
    assertError(await http(`${s.url}/api`, { headers: { accept: 'text/html' } }), 406, 'NotAcceptable');
    assert.equal((await http(`${s.url}/healthz`, { headers: { accept: 'text/html' } })).status, 200, 'plain-text endpoints are not JSON endpoints');
  });

  it('a browser-like Accept header (with */*) gets JSON', async () => {
    const res = await http(`${s.api}/services`, { headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  });
});
