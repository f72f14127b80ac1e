// get/describe/apply/delete/label/cordon/rollout/wait/unit against a real server without
// agents: what the CLI stores and prints.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import type { Service } from '../../src/client/client.js';
import { startTestServer, tempDir, until, type TestServer } from '../helpers.js';
import { cli, startDrover, streamUntil } from './drover.js';

const MACHINE_A = 'aaaaaaaa000000000000000000000001';
const MACHINE_B = 'bbbbbbbb000000000000000000000002';

const webManifest = (replicas: number, cmd = 'sleep 300') => `apiVersion: drover/v1
kind: Service
metadata: {name: web, labels: {app: web}}
spec:
  replicas: ${replicas}
  template:
    command: [sh, -c, '${cmd}']
---
# a second document in the same file
apiVersion: drover/v1
kind: Service
metadata: {name: db}
spec:
  template: {command: [sleep, "300"]}
`;

describe('drover resource commands', () => {
  let server: TestServer;
  let d: ReturnType<typeof cli>;
  const dir = tempDir('drover-cli-manifests-');
  before(async () => {
    server = await startTestServer();
    d = cli(server.url);
    for (const [name, labels] of [[MACHINE_A, { region: 'eu' }], [MACHINE_B, { region: 'us' }]] as const) {
      await server.client.machines.create({ metadata: { name, labels } });
    }
  });
  after(async () => {
    await server.close();
  });

  it('apply is idempotent: created, then unchanged, then configured', async () => {
    const file = join(dir, 'web.yaml');
    writeFileSync(file, webManifest(2));
    assert.equal(await d.ok(['apply', '-f', file]), 'service/web created\nservice/db created\n');
    assert.equal(await d.ok(['apply', '-f', file]), 'service/web unchanged\nservice/db unchanged\n');
    const before = await server.client.services.get('web');
    writeFileSync(file, webManifest(3));
    assert.equal(await d.ok(['apply', '-f', file]), 'service/web configured\nservice/db unchanged\n');
    const after = await server.client.services.get('web');
    assert.equal(after.spec.replicas, 3);
    assert.equal(after.metadata.generation, before.metadata.generation + 1);
    assert.equal(after.metadata.annotations?.['drover.io/previous-template'], undefined, 'a replica change is not a template change');
  });

  it('apply reads stdin, directories and JSON Lists', async () => {
    const sub = join(dir, 'more');
    mkdirSync(sub);
    writeFileSync(join(sub, 'a.json'), JSON.stringify({ apiVersion: 'drover/v1', kind: 'ServiceList', items: [{ kind: 'Service', metadata: { name: 'list-a' }, spec: { template: { command: ['true'] } } }] }));
    writeFileSync(join(sub, 'b.yml'), 'kind: Service\nmetadata: {name: list-b}\nspec: {template: {command: ["true"]}}\n');
    writeFileSync(join(sub, 'ignored.txt'), 'not a manifest');
    assert.equal(await d.ok(['apply', '-f', sub]), 'service/list-a created\nservice/list-b created\n');
    assert.equal(await d.ok(['apply', '-f', '-'], { input: 'kind: Service\nmetadata: {name: list-b}\nspec: {template: {command: ["true"]}}\n' }), 'service/list-b unchanged\n');
    assert.equal(await d.ok(['delete', '-f', sub]), 'service/list-a deleted\nservice/list-b deleted\n');
    assert.equal(await server.client.services.find('list-a'), undefined);
  });

  it('a manifest the server refuses exits 1 with the server\'s message and creates nothing', async () => {
    const r = await d.run(['apply', '-f', '-'], { input: 'kind: Service\nmetadata: {name: bad}\nspec: {replicas: -1, template: {command: ["x"]}}\n' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: .*replicas/);
    assert.equal(await server.client.services.find('bad'), undefined);
    const noKind = await d.run(['apply', '-f', '-'], { input: 'metadata: {name: x}\n' });
    assert.equal(noKind.code, 1);
    assert.match(noKind.stderr, /error: stdin: kind is missing/);
  });

  it('get prints tables, wide tables, json and yaml Lists, single objects and names', async () => {
    const table = await d.ok(['get', 'services']);
    const lines = table.trimEnd().split('\n');
    assert.match(lines[0]!, /^NAME\s+READY\s+DESIRED\s+STATE\s+AGE$/);
    assert.match(table, /^web\s+0\s+3\s+\S+\s+\d+s$/m);
    assert.doesNotMatch(await d.ok(['get', 'services'], { env: { NO_COLOR: undefined } }), /\x1b\[/, 'no colour when stdout is not a TTY');
    assert.match(await d.ok(['get', 'svc', '-o', 'wide']), /^NAME\s+READY\s+DESIRED\s+STATE\s+AGE\s+UP-TO-DATE\s+TARGET\s+COMMAND$/m);
    const list = JSON.parse(await d.ok(['get', 'services', '-o', 'json', '-l', 'app=web']));
    assert.equal(list.apiVersion, 'drover/v1');
    assert.equal(list.kind, 'ServiceList');
    assert.deepEqual(list.items.map((s: Service) => s.metadata.name), ['web']);
    const one = parse(await d.ok(['get', 'service/web', '-o', 'yaml']));
    assert.equal(one.kind, 'Service');
    assert.equal(one.spec.replicas, 3);
    assert.equal(await d.ok(['get', 'svc', '-o', 'name']), 'service/db\nservice/web\n');
    const machines = await d.ok(['get', 'nodes']);
    assert.match(machines, /^NAME\s+STATUS\s+ADDRESS\s+CPU\s+MEMORY\s+TASKS\s+LABELS\s+AGE$/m);
    assert.match(machines, new RegExp(`^${MACHINE_A}\\s+(Unknown|NotReady)\\s+<none>\\s+-\\s+-\\s+0\\s+region=eu\\s+\\d+s$`, 'm'));
    assert.equal(await d.ok(['machines', '-o', 'name', '-l', 'region=us']), `machine/${MACHINE_B}\n`);
    const none = await d.run(['get', 'tasks', '-l', 'app=none']);
    assert.equal(none.stdout, '', 'nothing found: an empty stdout');
    assert.equal(none.stderr, 'no tasks found matching app=none\n');
    assert.match(await d.ok(['get', 'tasks']), /^web-\w+\s+web\s+<none>\s+Pending\s+0\s+\d+s$/m, 'no agents: tasks wait unplaced');
    const missing = await d.run(['get', 'service', 'nope']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, 'error: service "nope" not found\n');
  });

  it('get -w prints the current rows, then a row per change', async () => {
    const child = startDrover(['--server', server.url, 'get', 'services', '-w']);
    const seen = streamUntil(child, (out) => /^watched\s+0\s+1\s+/m.test(out) && /^watched\s.*Deleted/m.test(out));
    // The header is printed at the watch's first BOOKMARK: from then on rows are changes.
    await new Promise<void>((resolve) => child.stdout!.on('data', (b: Buffer) => b.toString().includes('NAME') && resolve()));
    await server.client.services.create({ metadata: { name: 'watched' }, spec: { template: { command: ['true'] } } });
    await server.client.services.delete('watched');
    const out = await seen;
    assert.match(out.split('\n')[0]!, /^NAME\s+READY/);
    assert.match(out, /^web\s/m);
  });

  it('describe shows metadata, spec, status and conditions', async () => {
    await server.client.machines.patchStatus(MACHINE_A, { conditions: [{ type: 'Ready', status: 'False', reason: 'NoHeartbeat', message: 'no heartbeat for 20s' }] });
    const out = await d.ok(['describe', 'machine', MACHINE_A.slice(0, 8)]);
    assert.match(out, new RegExp(`^Name:\\s+${MACHINE_A}$`, 'm'));
    assert.match(out, /^Labels:\s+region=eu$/m);
    assert.match(out, /^Status:\s+NotReady$/m);
    assert.match(out, /^\s+Ready\s+False\s+\w+\s+.*no heartbeat for/m); // ours or the node lifecycle controller's
    assert.match(out, /^Tasks:\n\s+<none>$/m);
    const svc = await d.ok(['describe', 'service/web']);
    assert.match(svc, /^Spec:\n(?:.*\n)*\s+replicas: 3$/m);
  });

  it('label sets and removes labels; a changed value needs --overwrite', async () => {
    assert.equal(await d.ok(['label', `machine/${MACHINE_B.slice(0, 8)}`, 'rack=r1', 'disk=ssd']), `machine/${MACHINE_B} labeled\n`);
    assert.deepEqual((await server.client.machines.get(MACHINE_B)).metadata.labels, { region: 'us', rack: 'r1', disk: 'ssd' });
    const refused = await d.run(['label', `machine/${MACHINE_B}`, 'rack=r2']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /already has rack=r1; use --overwrite/);
    await d.ok(['label', `machine/${MACHINE_B}`, 'rack=r2', 'disk-', '--overwrite']);
    assert.deepEqual((await server.client.machines.get(MACHINE_B)).metadata.labels, { region: 'us', rack: 'r2' });
    assert.equal((await d.run(['label', `machine/${MACHINE_B}`, 'justakey'])).code, 2);
  });

  it('cordon and uncordon flip spec.unschedulable and show in the table', async () => {
    assert.equal(await d.ok(['cordon', MACHINE_B.slice(0, 8)]), `machine/${MACHINE_B} cordoned\n`);
    assert.equal((await server.client.machines.get(MACHINE_B)).spec?.unschedulable, true);
    assert.match(await d.ok(['get', 'machines']), new RegExp(`^${MACHINE_B}\\s+(Unknown|NotReady),SchedulingDisabled\\s`, 'm'));
    assert.equal(await d.ok(['uncordon', MACHINE_B]), `machine/${MACHINE_B} uncordoned\n`);
    assert.equal((await server.client.machines.get(MACHINE_B)).spec?.unschedulable, undefined);
    const ambiguous = await d.run(['cordon', 'nomatch']);
    assert.equal(ambiguous.code, 1);
    assert.match(ambiguous.stderr, /machine "nomatch" not found/);
  });

  it('rollout undo restores the recorded template whole: a field added since goes too', async () => {
    const file = join(dir, 'undoer.yaml');
    const manifest = (env: string) => `apiVersion: drover/v1\nkind: Service\nmetadata: {name: undoer}\nspec:\n  replicas: 0\n  template:\n    command: [sleep, '300']\n${env}`;
    writeFileSync(file, manifest(''));
    await d.ok(['apply', '-f', file]);
    writeFileSync(file, manifest('    env: {EXTRA: added}\n'));
    await d.ok(['apply', '-f', file]);
    assert.deepEqual((await server.client.services.get('undoer')).spec.template.env, { EXTRA: 'added' });
    assert.equal(await d.ok(['rollout', 'undo', 'service/undoer']), 'service/undoer rolled back\n');
    const undone = await server.client.services.get('undoer');
    assert.equal(undone.spec.template.env, undefined, 'the env added since the recorded template');
    assert.deepEqual(undone.spec.template.command, ['sleep', '300']);
    assert.deepEqual(JSON.parse(undone.metadata.annotations!['drover.io/previous-template']!).env, { EXTRA: 'added' }, 'undo twice is redo');
  });

  it('rollout pause/resume set spec.paused; undo restores the template apply recorded', async () => {
    const file = join(dir, 'web.yaml');
    writeFileSync(file, webManifest(3, 'sleep 301'));
    assert.match(await d.ok(['apply', '-f', file]), /^service\/web configured$/m);
    const changed = await server.client.services.get('web');
    assert.deepEqual(JSON.parse(changed.metadata.annotations!['drover.io/previous-template']!).command, ['sh', '-c', 'sleep 300']);
    assert.equal(await d.ok(['rollout', 'pause', 'service/web']), 'service/web paused\n');
    assert.equal((await server.client.services.get('web')).spec.paused, true);
    assert.equal(await d.ok(['rollout', 'resume', 'web']), 'service/web resumed\n');
    assert.equal((await server.client.services.get('web')).spec.paused, undefined);
    assert.equal(await d.ok(['rollout', 'undo', 'service/web']), 'service/web rolled back\n');
    const undone = await server.client.services.get('web');
    assert.deepEqual(undone.spec.template.command, ['sh', '-c', 'sleep 300']);
    assert.deepEqual(JSON.parse(undone.metadata.annotations!['drover.io/previous-template']!).command, ['sh', '-c', 'sleep 301'], 'undo twice is redo');
    assert.match(await d.ok(['rollout', '--help']), /drover\.io\/previous-template/);
    const none = await d.run(['rollout', 'undo', 'service/db']);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /no previous template recorded/);
    const status = await d.run(['rollout', 'status', 'service/web', '--no-watch']);
    assert.equal(status.code, 1, 'no agents: not rolled out');
    const timeout = await d.run(['rollout', 'status', 'service/web', '--timeout', '300ms']);
    assert.equal(timeout.code, 1);
    assert.match(timeout.stderr, /timed out waiting for service "web" to roll out/);
  });

  it('rollout restart sets the template annotation to now: a new generation and template hash, the rest of the spec kept', async () => {
    await server.client.services.create({ metadata: { name: 'restarter' }, spec: { replicas: 0, template: { command: ['sleep', '300'], env: { KEEP: 'me' } } } });
    const before = await server.client.services.get('restarter');
    const asked = Date.now();
    assert.equal(await d.ok(['rollout', 'restart', 'service/restarter']), 'service/restarter restarted\n');
    const first = await server.client.services.get('restarter');
    const at = first.spec.template.annotations?.['drover.io/restartedAt'];
    assert.match(at ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(Date.parse(at!) >= asked - 1_000);
    assert.equal(first.metadata.generation, before.metadata.generation + 1);
    assert.deepEqual(first.spec.template.env, { KEEP: 'me' });
    // Again: a later time, so the tasks roll once more.
    await until(() => Date.now() > Date.parse(at!), 'the clock to move on');
    await d.ok(['rollout', 'restart', 'restarter']);
    const second = await server.client.services.get('restarter');
    assert.notEqual(second.spec.template.annotations?.['drover.io/restartedAt'], at);
    assert.equal(second.metadata.generation, before.metadata.generation + 2);
    const missing = await d.run(['rollout', 'restart', 'service/nope']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /service "nope" not found/);
    assert.equal((await d.run(['rollout', 'restart', 'task/x'])).code, 2);
  });

  it('delete KIND NAME and delete -f; wait --for=delete; a missing name exits 1', async () => {
    await server.client.services.create({ metadata: { name: 'gone' }, spec: { template: { command: ['true'] } } });
    assert.equal(await d.ok(['delete', 'svc', 'gone']), 'service/gone deleted\n');
    assert.equal(await d.ok(['wait', 'service/gone', '--for=delete', '--timeout', '5s']), 'service/gone deleted\n');
    const missing = await d.run(['delete', 'service', 'gone']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, 'error: service "gone" not found\n');
    assert.equal((await d.run(['delete', 'service', 'gone', '--ignore-not-found'])).code, 0);
    assert.equal((await d.run(['delete', 'service'])).code, 2);
    const waited = await d.run(['wait', 'service/db', '--for=condition=Ready', '--timeout', '300ms']);
    assert.equal(waited.code, 1);
    assert.match(waited.stderr, /timed out after 300ms waiting for service\/db/);
    assert.equal(await d.ok(['delete', '-f', join(dir, 'web.yaml')]), 'service/web deleted\nservice/db deleted\n');
  });

  it('unit submit stores unit files as services: options, X-Fleet constraints, templates never scheduled', async () => {
    const units = tempDir('drover-cli-units-');
    writeFileSync(
      join(units, 'api.service'),
      '[Unit]\nDescription=API server\n\n[Service]\nExecStart=/bin/sleep 300\n\n[X-Fleet]\nMachineMetadata=region=eu\nMachineMetadata=region=us\nConflicts=api*.service\n',
    );
    writeFileSync(join(units, 'shard@.service'), '[Unit]\nDescription=Shard %i\n\n[Service]\nExecStart=/bin/echo shard %i\n\n[X-Fleet]\nGlobal=true\n');
    const out = await d.ok(['unit', 'submit', join(units, 'api.service'), join(units, 'shard@.service')], { cwd: units });
    assert.equal(out, 'Unit api.service submitted\nUnit shard@.service submitted\n');
    const api = await server.client.services.get('api.service');
    assert.equal(api.spec.desiredState, 'inactive');
    assert.deepEqual(api.spec.constraints, { machineSelector: { region: ['eu', 'us'] }, conflicts: ['api*.service'] });
    assert.deepEqual(api.spec.template.unit?.[1], { section: 'Service', name: 'ExecStart', value: '/bin/sleep 300' });
    const tmpl = await server.client.services.get('shard@.service');
    assert.equal(tmpl.spec.desiredState, 'inactive');
    assert.equal(tmpl.spec.global, true);
    assert.equal(tmpl.metadata.annotations?.['drover.io/unit-template'], 'true');
    assert.equal(await d.ok(['unit', 'cat', 'api']), '[Unit]\nDescription=API server\n\n[Service]\nExecStart=/bin/sleep 300\n\n[X-Fleet]\nMachineMetadata=region=eu\nMachineMetadata=region=us\nConflicts=api*.service\n');
    const files = await d.ok(['unit', 'list-files']);
    assert.match(files, /^UNIT\s+HASH\s+DSTATE\s+STATE\s+TARGET\s+DESCRIPTION$/m);
    assert.match(files, /^api\.service\s+[0-9a-f]{7}\s+inactive\s+inactive\s+-\s+API server$/m);

    // An instance is made from the submitted template, with its own name in the rules.
    assert.equal(await d.ok(['unit', 'load', '--no-block', 'shard@7.service']), 'Triggered unit shard@7.service load\n');
    const inst = await server.client.services.get('shard@7.service');
    assert.deepEqual(inst.spec.template.unit, tmpl.spec.template.unit);
    assert.equal(inst.spec.desiredState, 'loaded');
    assert.equal(inst.spec.global, true);
    assert.equal(inst.metadata.annotations?.['drover.io/unit-template'], undefined);
    await d.ok(['unit', 'stop', '--no-block', 'shard@7.service']);
    assert.equal((await server.client.services.get('shard@7.service')).spec.desiredState, 'loaded');
    await d.ok(['unit', 'unload', '--no-block', 'shard@7']);
    assert.equal((await server.client.services.get('shard@7.service')).spec.desiredState, 'inactive');
    const tmplStart = await d.run(['unit', 'start', 'shard@.service']);
    assert.equal(tmplStart.code, 1);
    assert.match(tmplStart.stderr, /it is a template/);
    const unknown = await d.run(['unit', 'start', 'nothing@1.service']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /unable to find unit nothing@1\.service or its template nothing@\.service/);
    assert.equal(await d.ok(['unit', 'destroy', 'shard@7.service', 'shard@.service', 'api.service']), 'Destroyed shard@7.service\nDestroyed shard@.service\nDestroyed api.service\n');
    assert.equal((await server.client.services.list()).items.filter((s) => s.metadata.name.endsWith('.service')).length, 0);
    const bad = await d.run(['unit', 'submit', '-'], { cwd: units });
    assert.equal(bad.code, 1);
  });
});
