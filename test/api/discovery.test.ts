// Discovery (/api, /api/v1), /openapi.json from the validating schemas, health, metrics and
// the system endpoints.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import YAML from 'yaml';
import { http, until } from '../helpers.js';
import { createService, storeRevision, watchNdjson, useApiServer } from './support.js';

describe('discovery and system endpoints', () => {
  const s = useApiServer();

  it('/api lists the versions', async () => {
    const res = await http(`${s.url}/api`);
    assert.equal(res.status, 200);
    const body = res.json();
    assert.deepEqual(body.versions, ['v1']);
    assert.equal(body.preferredVersion, 'v1');
    assert.equal(body.links.openapi, '/openapi.json');
    assert.deepEqual(YAML.parse((await http(`${s.url}/api`, { headers: { accept: 'application/yaml' } })).text), body);
  });

  it('/api/v1 lists every kind with its verbs', async () => {
    const body = (await http(`${s.url}/api/v1`)).json();
    assert.equal(body.kind, 'APIResourceList');
    const byName = new Map<string, any>(body.resources.map((r: { name: string }) => [r.name, r]));
    const all = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];
    for (const [plural, kind] of [
      ['machines', 'Machine'],
      ['services', 'Service'],
      ['tasks', 'Task'],
    ]) {
      const r = byName.get(plural);
      assert.ok(r, `${plural} is listed`);
      assert.equal(r.kind, kind);
      assert.deepEqual(r.verbs, all);
      assert.deepEqual(r.subresources, ['status']);
    }
    assert.deepEqual(byName.get('operations').verbs, ['get', 'list', 'watch', 'create', 'delete']);
    assert.ok(byName.get('tasks').selectableFields.includes('spec.machine'));
    assert.deepEqual(byName.get('system/version').verbs, ['get']);
    // Every listed kind is really served.
    for (const r of body.resources) assert.equal((await http(`${s.url}/api/v1/${r.name}`)).status, 200, r.name);
  });

  it('/openapi.json holds the schemas that validate requests, and the paths', async () => {
    const res = await http(`${s.url}/openapi.json`);
    assert.equal(res.status, 200);
    const doc = res.json();
    assert.match(doc.openapi, /^3\./);
    const schemas = doc.components.schemas;
    assert.equal(schemas.Service.properties.spec.properties.replicas.type, 'integer');
    assert.equal(schemas.Service.properties.spec.properties.replicas.minimum, 0);
    assert.equal(schemas.Service.properties.spec.additionalProperties, false);
    assert.ok(schemas.Task.properties.spec.properties.machine);
    assert.ok(schemas.Machine.properties.status.properties.conditions);
    assert.ok(schemas.Operation.properties.spec.properties.type);
    assert.ok(schemas.Error.properties.error.required.includes('reason'));
    for (const p of ['/api/v1/services', '/api/v1/services/{name}', '/api/v1/services/{name}/status', '/api/v1/operations/{name}', '/api/v1/system/version']) {
      assert.ok(doc.paths[p], `${p} is documented`);
    }
    assert.ok(doc.paths['/api/v1/services/{name}'].put && doc.paths['/api/v1/services/{name}'].patch);
    assert.equal(doc.paths['/api/v1/operations/{name}'].put, undefined, 'operations have no PUT');

    // One source of truth: a field the schema lacks is what the server rejects.
    const rejected = await http(`${s.url}/api/v1/services`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ metadata: { name: 'x' }, spec: { replicas: 1, template: { command: ['x'] }, notInSchema: 1 } }),
    });
    assert.equal(rejected.status, 422);
    assert.equal(schemas.Service.properties.spec.properties.notInSchema, undefined);
  });

  it('/healthz and /readyz answer ok', async () => {
    for (const p of ['/healthz', '/readyz']) {
      const res = await http(`${s.url}${p}`);
      assert.equal(res.status, 200, p);
      assert.equal(res.text, 'ok\n');
    }
  });

  it('/metrics counts requests by route and code, and reports open watches', async () => {
    await createService(s.url, 'metered');
    await http(`${s.url}/api/v1/services/metered`);
    await http(`${s.url}/api/v1/services/absent`);
    const w = await watchNdjson(`${s.url}/api/v1/services?watch=true`);
    try {
      await w.take(2);
      const text = await until(async () => {
        const t = (await http(`${s.url}/metrics`)).text;
        return /^drover_watchers\{kind="Service"\} 1$/m.test(t) ? t : undefined;
      }, 'the open watch to show in drover_watchers');
      assert.match(text, /^drover_http_requests_total\{method="GET",route="\/api\/v1\/services\/:name",code="200"\} [1-9]\d*$/m);
      assert.match(text, /^drover_http_requests_total\{method="GET",route="\/api\/v1\/services\/:name",code="404"\} [1-9]\d*$/m);
      assert.match(text, /^drover_http_requests_total\{method="POST",route="\/api\/v1\/services",code="201"\} [1-9]\d*$/m);
      assert.match(text, /^drover_http_request_duration_seconds_bucket\{.*route="\/api\/v1\/services\/:name"/m);
      assert.match(text, new RegExp(`^drover_store_revision ${await storeRevision(s.url)}$`, 'm'));
      assert.match(text, /^drover_cache_objects\{kind="Service"\} 1$/m);
    } finally {
      await w.close();
    }
    await until(async () => /^drover_watchers\{kind="Service"\} 0$/m.test((await http(`${s.url}/metrics`)).text), 'the closed watch to leave drover_watchers');
  });

  it('/api/v1/system/version, /time and /config', async () => {
    const version = (await http(`${s.url}/api/v1/system/version`)).json();
    assert.equal(version.kind, 'Version');
    assert.match(version.version, /^\d+\.\d+\.\d+/);
    assert.equal(version.store, 'sqlite');
    const time = (await http(`${s.url}/api/v1/system/time`)).json();
    assert.ok(Math.abs(Date.parse(time.time) - Date.now()) < 60_000);
    assert.equal(time.revision, await storeRevision(s.url));
    const config = (await http(`${s.url}/api/v1/system/config`)).json();
    assert.equal(config.kind, 'Config');
    assert.equal(config.store, 'sqlite');
    assert.ok(config.dataDir.endsWith(s.dir.split('/').pop()!));
  });
});
