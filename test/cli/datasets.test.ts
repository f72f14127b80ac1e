// The dataset commands as an operator runs them (the built binary against a real server with
// controllers and no agents). Moving data is the agents' work, built separately: where a test
// needs a move to progress, it writes the status an agent would (as the admin, through the API).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import type { Dataset } from '../../src/client/client.js';
import { until, type TestServer } from '../helpers.js';
import { addMachine, M1, M2, M3, startDatasetServer } from '../datasets/support.js';
import { moveDataset } from '../../src/cli/dataset-move.js';
import { cli, collect, startDrover } from './drover.js';

const MiB = 1024 * 1024;
const TOTAL = Math.round(29.1 * MiB);

describe('drover dataset commands', () => {
  let s: TestServer;
  let d: ReturnType<typeof cli>;
  before(async () => {
    s = await startDatasetServer();
    d = cli(s.url);
    await addMachine(s, M1);
    await addMachine(s, M2);
    await addMachine(s, M3);
  });
  after(async () => {
    await s.close();
  });

  /** What the agents write as they move `name` from `from` to `to` (see the file comment). */
  const agentReports = (name: string, status: NonNullable<Dataset['status']>) => s.client.datasets.patchStatus(name, status);
  const sending = (from: string, to: string, done: number) => ({ move: { from, to, phase: 'Sending' as const, bytesDone: done, bytesTotal: TOTAL, startedAt: new Date().toISOString(), attempts: 1 } });

  it('create: the server picks a machine without --primary; flags set size, machine (short id), backend and metadata', async () => {
    assert.match(await d.ok(['dataset', 'create', 'data']), /^dataset\/data created \(id [0-9a-f-]{36}; the server picks its machine\)\n$/);
    await until(async () => (await s.client.datasets.get('data')).spec.primary, 'a default primary');
    const out = await d.ok(['dataset', 'create', 'img', '--size', '1Gi', '--primary', M2.slice(0, 8), '--backend', 'loopback', '--meta', 'owner=ann', '--meta', 'tier=db']);
    assert.match(out, new RegExp(`on ${M2}\\)`));
    const img = await s.client.datasets.get('img');
    assert.deepEqual(img.spec, { ...img.spec, primary: M2, maximumSize: 1024 ** 3, backend: 'loopback', metadata: { owner: 'ann', tier: 'db' } });
    const small = await d.run(['dataset', 'create', 'tiny', '--size', '1Mi']);
    assert.equal(small.code, 1);
    assert.match(small.stderr, /64 MiB/);
    const nowhere = await d.run(['dataset', 'create', 'lost', '--primary', 'nosuch']);
    assert.equal(nowhere.code, 1);
    assert.match(nowhere.stderr, /machine "nosuch" not found/);
    assert.equal((await d.run(['dataset', 'create', 'x', '--backend', 'zfs'])).code, 2);
    assert.equal(await s.client.datasets.find('lost'), undefined, 'nothing created by a failed command');
  });

  it('get datasets: a table of where each lives and how its move goes; -o json and yaml', async () => {
    await agentReports('img', { phase: 'Moving', machine: M2, size: 5 * MiB, ...sending(M2, M1, Math.round(12.3 * MiB)) });
    const table = await d.ok(['get', 'datasets']);
    const [header, ...rows] = table.trimEnd().split('\n');
    assert.deepEqual(header!.split(/\s{2,}/), ['NAME', 'ID', 'PRIMARY', 'HELD-BY', 'PHASE', 'SIZE', 'MOVE', 'AGE']);
    const img = await s.client.datasets.get('img');
    const row = rows.find((r) => r.startsWith('img '))!;
    assert.deepEqual(row.split(/\s{2,}/).slice(0, 7), ['img', img.spec.id!.slice(0, 8), M2.slice(0, 8), M2.slice(0, 8), 'Moving', '5Mi', '42% 12.3/29.1 MiB']);
    assert.match(rows.find((r) => r.startsWith('data '))!, /\sPending\s+-\s+-\s/);
    const json = JSON.parse(await d.ok(['get', 'ds', '-o', 'json']));
    assert.equal(json.kind, 'DatasetList');
    assert.deepEqual(json.items.map((x: Dataset) => x.metadata.name).sort(), ['data', 'img']);
    const yaml = parse(await d.ok(['get', 'dataset', 'img', '-o', 'yaml'])) as Dataset;
    assert.equal(yaml.status?.move?.bytesDone, Math.round(12.3 * MiB));
  });

  it('get datasets -w prints a row per change as a move progresses', async () => {
    const watch = collect(startDrover(['--server', s.url, 'get', 'datasets', '-w']));
    try {
      await watch.until((out) => /^img\s/m.test(out), 'the first rows');
      await agentReports('img', sending(M2, M1, Math.round(20.4 * MiB)));
      await watch.until((out) => /^img\s.*70% 20\.4\/29\.1 MiB/m.test(out), 'a row with the new progress');
      await agentReports('img', { phase: 'Ready', machine: M1, move: null });
      await watch.until((out) => /^img\s.*Ready\s+5Mi\s+-/m.test(out), 'a row once the move is done');
    } finally {
      watch.child.kill();
      await watch.exited;
    }
  });

  it('move --wait: sets the primary, shows progress until the new machine holds the data', async () => {
    await agentReports('data', { phase: 'Ready', machine: M1, size: 0 });
    await s.client.datasets.patch('data', { spec: { primary: M1 } });
    const move = collect(startDrover(['--server', s.url, 'dataset', 'move', 'data', M2.slice(0, 8), '--wait', '--timeout', '20s']));
    await until(async () => (await s.client.datasets.get('data')).spec.primary === M2, 'the primary to change');
    await agentReports('data', { phase: 'Moving', move: { from: M1, to: M2, phase: 'Waiting', bytesDone: 0, bytesTotal: TOTAL, startedAt: new Date().toISOString() } });
    await move.until((_, err) => err.includes(`waiting for the tasks using it on ${M1} to stop`), 'the waiting line');
    await agentReports('data', sending(M1, M2, Math.round(12.3 * MiB)));
    await move.until((_, err) => err.includes('42% 12.3/29.1 MiB'), 'a progress line');
    await agentReports('data', { phase: 'Ready', machine: M2, size: TOTAL, move: null });
    assert.equal(await move.exited, 0, move.stderr());
    assert.match(move.stdout(), new RegExp(`^dataset/data moved to ${M2} \\(29\\.1Mi\\) in [\\d.]+s\\n$`));
    assert.ok(!move.stderr().includes('\r'), 'plain lines when not on a terminal');
  });

  it('move --wait on a terminal rewrites one line with bytes moved of total and the rate (in-process: a pseudo-terminal stream)', async () => {
    await s.client.datasets.create({ metadata: { name: 'tty' }, spec: { primary: M1 }, status: {} });
    await agentReports('tty', { phase: 'Ready', machine: M1 });
    let written = '';
    const tty = { isTTY: true, write: (chunk: string) => ((written += chunk), true) } as unknown as NodeJS.WriteStream;
    const done = moveDataset(s.client, 'tty', M2, { wait: true, timeoutMs: 20_000, timeoutText: '20s', stream: tty });
    await until(async () => (await s.client.datasets.get('tty')).spec.primary === M2, 'the primary to change');
    await agentReports('tty', sending(M1, M2, 1 * MiB));
    await until(() => written.includes('1.0/29.1 MiB'), 'the first progress line');
    await agentReports('tty', { move: { ...sending(M1, M2, 2 * MiB).move, startedAt: (await s.client.datasets.get('tty')).status!.move!.startedAt } });
    await until(() => /\r\x1b\[Kmoving tty to \w+: 6% 2\.0\/29\.1 MiB, [\d.]+ (B|KiB|MiB|GiB)\/s/.test(written), () => `a rewritten line with the rate: ${JSON.stringify(written)}`);
    await agentReports('tty', { phase: 'Ready', machine: M2, move: null });
    await done;
    assert.ok(written.endsWith('\n'), 'the line is left on screen, ended');
  });

  it('move fails clearly: an unknown machine changes nothing, and --wait gives up at its timeout', async () => {
    const bad = await d.run(['dataset', 'move', 'data', 'nosuch']);
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr, 'error: machine "nosuch" not found\n');
    assert.equal((await s.client.datasets.get('data')).spec.primary, M2);
    assert.equal(await d.ok(['dataset', 'move', 'data', M1]), `dataset/data moving to ${M1} from ${M2}\n`);
    const slow = await d.run(['dataset', 'move', 'data', M1, '--wait', '--timeout', '300ms']);
    assert.equal(slow.code, 1);
    assert.match(slow.stderr, /timed out after 300ms waiting for dataset "data" to reach d1\w+: waiting for d2\w+ to start sending/);
  });

  it('describe dataset: placement, move, lease and the tasks mounting it', async () => {
    await s.client.tasks.create({ metadata: { name: 'reader' }, spec: { template: { command: ['cat'], volumes: [{ dataset: 'img', path: '/img' }] } } });
    await agentReports('img', { phase: 'Moving', machine: M1, ...sending(M1, M2, 3 * MiB) });
    await s.client.leases.create({ metadata: { name: 'img' }, spec: { dataset: 'img', machine: M1, expiresAt: null } });
    const out = await d.ok(['describe', 'dataset', 'img']);
    assert.match(out, new RegExp(`^Primary: +${M2}$`, 'm'));
    assert.match(out, new RegExp(`^Held by: +${M1}$`, 'm'));
    assert.match(out, new RegExp(`^Move: +${M1} → ${M2}: Sending 10% 3\\.0/29\\.1 MiB`, 'm'));
    assert.match(out, new RegExp(`^Lease: +pinned to ${M1} until released$`, 'm'));
    assert.match(out, /^Tasks:\n {2}NAME .*\n {2}reader /m);
    await s.client.leases.delete('img');
  });

  it('lease and release: pins the dataset where it is, refuses another machine, and lets go', async () => {
    const wrong = await d.run(['dataset', 'lease', 'img', '--machine', M3.slice(0, 8)]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, new RegExp(`dataset "img" is on ${M1} \\(moving to ${M2}\\), not ${M3}: a lease pins it where it is`));
    const before = Date.now();
    assert.match(await d.ok(['dataset', 'lease', 'img', '--machine', M1.slice(0, 8), '--expires', '60s']), new RegExp(`^lease/img: dataset img pinned to ${M1} until `));
    const lease = await s.client.leases.get('img');
    assert.equal(lease.spec.machine, M1);
    const expires = Date.parse(lease.spec.expiresAt!);
    assert.ok(expires >= before + 59_000 && expires <= Date.now() + 61_000, `expires in about 60s: ${lease.spec.expiresAt}`);
    assert.equal(await d.ok(['dataset', 'release', 'img']), 'lease/img released: dataset img may move again\n');
    assert.equal(await s.client.leases.find('img'), undefined);
    const again = await d.run(['dataset', 'release', 'img']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /has no lease/);
  });

  it('delete leaves a tombstone and says so', async () => {
    const id = (await s.client.datasets.get('data')).spec.id!;
    assert.equal(await d.ok(['dataset', 'delete', 'data']), `dataset/data deleted: its data is removed; the tombstone keeps id ${id} from being reused\n`);
    assert.equal((await s.client.datasets.get('data')).spec.deleted, true);
    assert.match(await d.ok(['get', 'datasets']), /^data\s.*Deleted/m);
    assert.equal(await d.ok(['dataset', 'delete', 'data']), 'dataset/data was already deleted (a tombstone)\n');
    const moved = await d.run(['dataset', 'move', 'data', M2]);
    assert.equal(moved.code, 1);
    assert.match(moved.stderr, /deleted dataset cannot move/);
  });
});
