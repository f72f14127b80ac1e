// One registry for every write: whichever door an object comes in by (the native API, the CLI,
// fleet's API), the same rules hold and the same input makes the same object.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestServer, tempDir, type TestServer } from '../helpers.js';
import { drover } from '../cli/drover.js';
import { fleet, readyMachine } from './fleet.js';

const UNIT = `[Unit]
Description=the same unit through two doors

[Service]
ExecStart=/bin/sleep 3000
Restart=on-failure
Environment=GREETING=hello

[X-Fleet]
MachineMetadata=region=eu
Conflicts=other*.service
`;

const OPTIONS = [
  { section: 'Unit', name: 'Description', value: 'the same unit through two doors' },
  { section: 'Service', name: 'ExecStart', value: '/bin/sleep 3000' },
  { section: 'Service', name: 'Restart', value: 'on-failure' },
  { section: 'Service', name: 'Environment', value: 'GREETING=hello' },
  { section: 'X-Fleet', name: 'MachineMetadata', value: 'region=eu' },
  { section: 'X-Fleet', name: 'Conflicts', value: 'other*.service' },
];

describe('one door for every write', () => {
  let s: TestServer;
  let f: ReturnType<typeof fleet>;
  before(async () => {
    s = await startTestServer({ controllers: false });
    f = fleet(s.url);
  });
  after(() => s.close());

  /** What a Service is apart from its identity and the times and revisions of its writes. */
  const essence = (svc: any) => ({ apiVersion: svc.apiVersion, kind: svc.kind, labels: svc.metadata.labels, annotations: svc.metadata.annotations, spec: svc.spec });

  for (const [unit, what] of [
    ['same.service', 'a unit'],
    ['same@.service', 'a unit template'],
  ] as const) {
    it(`${what} submitted with the CLI and PUT through fleet's API becomes the same Service`, async () => {
      const dir = tempDir();
      const file = join(dir, unit);
      writeFileSync(file, UNIT);
      const submitted = await drover(['unit', 'submit', file, '--server', s.url]);
      assert.equal(submitted.code, 0, submitted.stderr);
      const viaCli = await s.client.services.get(unit);
      await s.client.services.delete(unit);

      const put = await f.put(`/units/${encodeURIComponent(unit)}`, { desiredState: 'inactive', options: OPTIONS });
      assert.equal(put.status, 201, put.text);
      const viaFleet = await s.client.services.get(unit);
      await s.client.services.delete(unit);

      assert.deepEqual(essence(viaFleet), essence(viaCli));
      // …and it is what a fleet user means: run by the unit driver, restarted as Restart= says.
      assert.equal(viaCli.spec.template.driver, 'unit');
      assert.equal(viaCli.spec.template.restartPolicy, 'on-failure');
      assert.equal(viaCli.spec.desiredState, 'inactive');
    });
  }

  it("fleet's PATCH /machines refuses a label value the native API refuses, with fleet's error entity, and applies nothing", async () => {
    const id = 'e'.repeat(32);
    await readyMachine(s.client, id, { zone: 'a' });
    const before = await s.client.machines.get(id);
    const res = await f.patch('/machines', [
      { op: 'add', path: `/${id}/metadata/rack`, value: { value: 'r1' } },
      { op: 'add', path: `/${id}/metadata/long`, value: { value: 'x'.repeat(1000) } },
    ]);
    assert.equal(res.status, 400, res.text);
    assert.equal(res.headers.get('content-type'), 'application/json');
    const body = res.json();
    assert.deepEqual(Object.keys(body), ['error']);
    assert.deepEqual(Object.keys(body.error), ['code', 'message']);
    assert.equal(body.error.code, 400);
    assert.match(body.error.message, /\/metadata\/labels\/long: label values are at most 256 characters, got 1000/);
    const afterPatch = await s.client.machines.get(id);
    assert.deepEqual(afterPatch.metadata.labels, { zone: 'a' }, 'the valid operation before it was not applied either');
    assert.equal(afterPatch.metadata.revision, before.metadata.revision);

    // And GET output stays valid PUT input: the machine fleet left behind is accepted as it is.
    const again = await fetch(`${s.url}/api/v1/machines/${id}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(afterPatch) });
    assert.equal(again.status, 200, await again.text());
  });

  it("fleet's PATCH /machines is all or nothing across machines", async () => {
    const a = 'a1'.repeat(16);
    const b = 'b1'.repeat(16);
    await readyMachine(s.client, a);
    await readyMachine(s.client, b);
    const res = await f.patch('/machines', [
      { op: 'add', path: `/${a}/metadata/ok`, value: { value: 'yes' } },
      { op: 'add', path: `/${b}/metadata/bad`, value: { value: 'y'.repeat(300) } },
    ]);
    assert.equal(res.status, 400, res.text);
    assert.deepEqual((await s.client.machines.get(a)).metadata.labels ?? {}, {});
    assert.deepEqual((await s.client.machines.get(b)).metadata.labels ?? {}, {});
  });
});
