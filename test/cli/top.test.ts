// `drover top` against a real server without agents: the figures are written into status the
// way agents write them, and the tables read them back.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ResourceUsage } from '../../src/model/index.js';
import { startTestServer, type TestServer } from '../helpers.js';
import { cli } from './drover.js';

const MACHINE_A = 'aaaaaaaa000000000000000000000001';
const MACHINE_B = 'bbbbbbbb000000000000000000000002';
const MACHINE_C = 'cccccccc000000000000000000000003';
const MiB = 2 ** 20;
const at = new Date().toISOString();
const usage = (cpuMilli: number, mib: number): ResourceUsage => ({ cpuMilli, memoryBytes: mib * MiB, sampledAt: at });

describe('drover top', () => {
  let server: TestServer;
  let d: ReturnType<typeof cli>;
  before(async () => {
    server = await startTestServer();
    d = cli(server.url);
    const c = server.client;
    const machines: [string, ResourceUsage | undefined][] = [
      [MACHINE_A, usage(500, 1024)],
      [MACHINE_B, usage(1500, 512)],
      [MACHINE_C, undefined], // an agent that has not measured yet
    ];
    for (const [name, u] of machines) {
      await c.machines.create({ metadata: { name, labels: { rack: name === MACHINE_C ? 'r2' : 'r1' } } });
      await c.machines.patchStatus(name, { capacity: { cpu: '2', memory: '4Gi' }, allocatable: { cpu: '2', memory: '4Gi' }, ...(u && { usage: u }) });
    }
    const tasks: [string, string, Record<string, unknown>, ResourceUsage | undefined, string?][] = [
      ['web-1', MACHINE_A, { memory: '256Mi' }, usage(20, 180)],
      ['web-2', MACHINE_B, { memory: '256Mi' }, usage(900, 40)],
      ['batch', MACHINE_A, {}, usage(300, 700)],
      ['fresh', MACHINE_B, {}, undefined], // running, not measured yet
      ['done', MACHINE_A, {}, usage(0, 1), 'Succeeded'], // not running: not shown
    ];
    for (const [name, machine, resources, u, phase] of tasks) {
      await c.tasks.create({ metadata: { name }, spec: { machine, template: { command: ['sleep', '1'], resources } } });
      await c.tasks.patch(name, { status: { phase: phase ?? 'Running', ...(u && { usage: u }) } }, { subresource: 'status' });
    }
  });
  after(() => server.close());

  const table = async (args: string[]) =>
    (await d.ok(args))
      .trim()
      .split('\n')
      .map((l) => l.split(/\s{2,}/));

  it('top tasks: running tasks by name, with machine, CPU, memory and limit', async () => {
    assert.deepEqual(await table(['top', 'tasks']), [
      ['NAME', 'MACHINE', 'CPU', 'MEMORY', 'LIMIT'],
      ['batch', 'aaaaaaaa', '300m', '700Mi', '-'],
      ['fresh', 'bbbbbbbb', '<unknown>', '<unknown>', '-'],
      ['web-1', 'aaaaaaaa', '20m', '180Mi', '256Mi'],
      ['web-2', 'bbbbbbbb', '900m', '40Mi', '256Mi'],
    ]);
  });

  it('--sort-by cpu and --sort-by memory put the heaviest first and the unmeasured last', async () => {
    assert.deepEqual((await table(['top', 'tasks', '--sort-by', 'cpu'])).slice(1).map((r) => r[0]), ['web-2', 'batch', 'web-1', 'fresh']);
    assert.deepEqual((await table(['top', 'tasks', '--sort-by', 'memory'])).slice(1).map((r) => r[0]), ['batch', 'web-1', 'web-2', 'fresh']);
  });

  it('top machines: used against allocatable, with percentages and live tasks', async () => {
    assert.deepEqual(await table(['top', 'machines']), [
      ['NAME', 'CPU', 'CPU%', 'MEMORY', 'MEMORY%', 'TASKS'],
      [MACHINE_A, '500m/2000m', '25%', '1024Mi/4096Mi', '25%', '2'],
      [MACHINE_B, '1500m/2000m', '75%', '512Mi/4096Mi', '13%', '2'],
      [MACHINE_C, '<unknown>', '<unknown>', '<unknown>', '<unknown>', '0'],
    ]);
    assert.deepEqual((await table(['top', 'machines', '--sort-by', 'cpu'])).slice(1).map((r) => r[0]), [MACHINE_B, MACHINE_A, MACHINE_C]);
    assert.deepEqual((await table(['top', 'nodes', '--sort-by', 'memory', '-l', 'rack=r1'])).slice(1).map((r) => r[0]), [MACHINE_A, MACHINE_B]);
  });

  it('a bad --sort-by is a usage error that names the choices', async () => {
    const r = await d.run(['top', 'tasks', '--sort-by', 'disk']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--sort-by must be cpu or memory, got "disk"/);
    assert.equal(r.stdout, '');
  });

  it('says so when nothing matches', async () => {
    const r = await d.run(['top', 'tasks', '-l', 'app=none']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /no running tasks found/);
  });
});
