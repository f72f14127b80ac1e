// The audit log, read from its file: every mutating request (native API and the fleet façade),
// every log/exec/kill, secret values read, and every denial, with who, from where, by which door,
// what and the result; never a body, a token, a password or a secret value.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fleetFacade } from '../../src/compat/fleet/index.js';
import { AuditLog, type AuditRecord } from '../../src/security/audit-log.js';
import { ADMINISTRATORS_GROUP } from '../../src/security/principal.js';
import { http, tempDir, until } from '../helpers.js';
import { admin, as, startTestApp, tableAuthorizer, type TestApp } from './test-app.js';

const JSON_TYPE = { 'content-type': 'application/json' };
const viewer = as('vic', 'viewers');

describe('audit log', () => {
  let t: TestApp;
  let path: string;
  let audit: AuditLog;
  before(async () => {
    const dir = tempDir('drover-audit-');
    path = join(dir, 'audit.log');
    audit = new AuditLog({ path });
    t = await startTestApp({ dir, authorizer: tableAuthorizer({ viewers: ['get secrets', 'list secrets'] }), app: { audit, facades: [fleetFacade] } });
  });
  after(async () => {
    await t.close();
    audit.close();
  });

  const records = (): AuditRecord[] => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as AuditRecord) : []);
  /** Waits for the record `match` finds (records are written once per event-loop turn). */
  const recorded = (what: string, match: (r: AuditRecord) => boolean) => until(() => records().find(match), `an audit record of ${what}`);

  test('a create through the native API is recorded with who, from where, by which door, what and the result', async () => {
    const res = await http(`${t.api}/secrets`, { method: 'POST', headers: { ...admin, ...JSON_TYPE }, body: JSON.stringify({ metadata: { name: 'audited' }, spec: { data: { k: 'v' } } }) });
    assert.equal(res.status, 201);
    const r = await recorded('the create', (r) => r.verb === 'create' && r.name === 'audited');
    assert.deepEqual({ ...r, time: undefined }, { time: undefined, user: 'ann', groups: [ADMINISTRATORS_GROUP], source: '127.0.0.1', door: 'api', verb: 'create', kind: 'secrets', name: 'audited', code: 201 });
    assert.ok(Date.now() - Date.parse(r.time) < 60_000);
    assert.equal(statSync(path).mode & 0o777, 0o600);
  });

  test('updates, patches, deletes and refused writes are recorded with their codes', async () => {
    const put = await http(`${t.api}/secrets/audited`, { method: 'PUT', headers: { ...admin, ...JSON_TYPE }, body: JSON.stringify({ spec: { data: { k: 'w' } } }) });
    assert.equal(put.status, 200);
    const bad = await http(`${t.api}/secrets/audited`, { method: 'PATCH', headers: { ...admin, 'content-type': 'application/merge-patch+json' }, body: JSON.stringify({ spec: { data: { 'a/b': 'x' } } }) });
    assert.equal(bad.status, 422);
    const del = await http(`${t.api}/secrets/audited`, { method: 'DELETE', headers: admin });
    assert.equal(del.status, 200);
    await recorded('the update', (r) => r.verb === 'update' && r.name === 'audited' && r.code === 200);
    await recorded('the refused patch', (r) => r.verb === 'patch' && r.name === 'audited' && r.code === 422);
    await recorded('the delete', (r) => r.verb === 'delete' && r.name === 'audited' && r.code === 200);
  });

  test('denials are recorded: 403 for a caller without permission, 401 for bad credentials, on reads too', async () => {
    const denied = await http(`${t.api}/secrets`, { method: 'POST', headers: { ...viewer, ...JSON_TYPE }, body: JSON.stringify({ metadata: { name: 'nope' }, spec: { data: {} } }) });
    assert.equal(denied.status, 403);
    const unauthenticated = await http(`${t.api}/secrets`, { headers: { 'x-test-user': 'bad' } });
    assert.equal(unauthenticated.status, 401);
    const readDenied = await http(`${t.api}/tasks`, { headers: viewer });
    assert.equal(readDenied.status, 403);
    await recorded('the 403 create', (r) => r.code === 403 && r.user === 'vic' && r.verb === 'create' && r.kind === 'secrets');
    await recorded('the 401', (r) => r.code === 401 && r.user === 'unauthenticated' && r.kind === 'secrets' && r.verb === 'list');
    await recorded('the 403 list', (r) => r.code === 403 && r.user === 'vic' && r.kind === 'tasks' && r.verb === 'list');
  });

  test('plain reads are not recorded; reading secret values and log/exec/kill are', async () => {
    await http(`${t.api}/secrets`, { method: 'POST', headers: { ...admin, ...JSON_TYPE }, body: JSON.stringify({ metadata: { name: 'read-me' }, spec: { data: { k: 'v' } } }) });
    assert.equal((await http(`${t.api}/secrets/read-me`, { headers: viewer })).status, 200);
    assert.equal((await http(`${t.api}/secrets/read-me?showValues=true`, { headers: admin })).status, 200);
    await http(`${t.api}/tasks`, { method: 'POST', headers: { ...admin, ...JSON_TYPE }, body: JSON.stringify({ metadata: { name: 'proxied' }, spec: { template: { command: ['true'] } } }) });
    await http(`${t.api}/tasks/proxied/log`, { headers: admin });
    await http(`${t.api}/tasks/proxied/kill`, { method: 'POST', headers: { ...admin, ...JSON_TYPE }, body: '{}' });
    await http(`${t.api}/tasks/proxied/exec`, { method: 'POST', headers: { ...admin, ...JSON_TYPE }, body: JSON.stringify({ command: ['id'] }) });
    await recorded('the values read', (r) => r.verb === 'get' && r.name === 'read-me' && r.subresource === 'values' && r.user === 'ann' && r.code === 200);
    for (const sub of ['log', 'kill', 'exec']) await recorded(`the ${sub}`, (r) => r.kind === 'tasks' && r.name === 'proxied' && r.subresource === sub);
    assert.ok(!records().some((r) => r.name === 'read-me' && r.verb === 'get' && r.subresource === undefined), 'a plain GET was recorded');
  });

  test("the fleet façade's writes are recorded with door fleet", async () => {
    const res = await http(`${t.url}/fleet/v1/units/audit.service`, {
      method: 'PUT',
      headers: { ...admin, ...JSON_TYPE },
      body: JSON.stringify({ desiredState: 'inactive', options: [{ section: 'Service', name: 'ExecStart', value: '/bin/true' }] }),
    });
    assert.equal(res.status, 201, res.text);
    const r = await recorded('the fleet PUT', (r) => r.door === 'fleet' && r.name === 'audit.service');
    assert.equal(r.verb, 'update');
    assert.equal(r.kind, 'units');
    assert.equal(r.code, 201);
  });

  test('no body, token, password or secret value is ever recorded', async () => {
    const value = 'audit-s3cr3t-value-7731';
    await http(`${t.api}/secrets`, {
      method: 'POST',
      headers: { ...admin, ...JSON_TYPE, authorization: 'Bearer tok-audit-9931' },
      body: JSON.stringify({ metadata: { name: 'quiet' }, spec: { data: { password: value } } }),
    });
    await http(`${t.api}/secrets/quiet?showValues=true&token=tok-query-5511`, { headers: admin });
    await http(`${t.api}/secrets/quiet`, { method: 'PUT', headers: { ...viewer, ...JSON_TYPE }, body: JSON.stringify({ spec: { data: { password: value } } }) });
    await recorded('the denied PUT', (r) => r.name === 'quiet' && r.code === 403);
    const bytes = readFileSync(path, 'utf8');
    for (const s of [value, 'tok-audit-9931', 'tok-query-5511', 'Bearer', '"spec"', 'data']) assert.ok(!bytes.includes(s), `the audit log holds ${s}`);
  });
});

describe('audit log rotation', () => {
  test('the file rotates by size and keeps the configured number of old files', async () => {
    const dir = tempDir('drover-audit-rotate-');
    const path = join(dir, 'audit.log');
    const log = new AuditLog({ path, maxBytes: 2_000, maxFiles: 2 });
    const record = (i: number): AuditRecord => ({ time: new Date().toISOString(), user: `u${i}`, groups: [], source: '127.0.0.1', door: 'api', verb: 'create', kind: 'tasks', name: `t${i}`, code: 201 });
    for (let i = 0; i < 100; i++) {
      log.record(record(i));
      log.flush();
    }
    log.close();
    assert.deepEqual(readdirSync(dir).sort(), ['audit.log', 'audit.log.1', 'audit.log.2']);
    for (const f of readdirSync(dir)) assert.ok(statSync(join(dir, f)).size <= 2_000, `${f} is larger than the limit`);
    const last = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as AuditRecord);
    assert.equal(last.at(-1)!.name, 't99');
    const older = readFileSync(`${path}.1`, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as AuditRecord);
    assert.equal(Number(older.at(-1)!.name!.slice(1)) + 1, Number(last[0]!.name!.slice(1)), 'audit.log.1 holds the records just before audit.log');
  });
});
