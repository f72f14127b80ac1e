// get -w and logs -f through a proxy that the test cuts and restores: both say when they lose
// the server and when they have it back, on stderr, and carry on where they were — a watch with
// the changes it missed, a log with every line once.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Client } from '../../src/client/client.js';
import { startServer } from '../../src/server.js';
import { tempDir, until } from '../helpers.js';
import { processesWith, startCluster, type Cluster } from '../e2e/cluster.js';
import { collect, startDrover } from './drover.js';
import { startProxy, type TcpProxy } from './proxy.js';

describe('drover streams across a lost server', () => {
  let c: Cluster;
  let proxy: TcpProxy;
  before(async () => {
    c = await startCluster(1);
    proxy = await startProxy(c.server.url);
  });
  after(async () => {
    await proxy.close();
    await c.close();
    assert.deepEqual(processesWith(c.marker), [], 'no task process may outlive the suite');
  });

  it('get -w says "lost connection … retrying" and "reconnected", then shows what changed meanwhile', async () => {
    const out = collect(startDrover(['--server', proxy.url, 'get', 'services', '-w']));
    try {
      await out.until((stdout) => /^NAME\s+READY/m.test(stdout), 'the header');
      await proxy.cut();
      await out.until((_, stderr) => stderr.includes('lost connection'), 'the loss to be noticed');
      await c.client.services.create({ metadata: { name: 'meanwhile' }, spec: { replicas: 0, template: { command: ['true'] } } });
      await proxy.restore();
      await out.until((stdout, stderr) => stderr.includes('reconnected') && /^meanwhile\s/m.test(stdout), 'the change made during the outage');
      assert.match(out.stderr(), new RegExp(`^lost connection to ${proxy.url}: \\S.*; retrying\\nreconnected\\n$`));
      assert.equal(out.child.exitCode, null, 'still watching');
    } finally {
      out.child.kill();
      await c.client.services.delete('meanwhile').catch(() => {});
    }
  });

  it('logs -f carries on after the server comes back, every line once and none missed', async () => {
    await c.client.tasks.create({
      metadata: { name: 'counter' },
      spec: { template: { command: ['sh', '-c', 'i=0; while [ $i -lt 100000 ]; do i=$((i+1)); echo line $i; sleep 0.02; done'], env: c.env() } },
    });
    await until(async () => (await c.client.tasks.get('counter')).status?.phase === 'Running', 'counter to run');
    const out = collect(startDrover(['--server', proxy.url, 'logs', '-f', 'counter']));
    const last = (text: string) => Number(/line (\d+)\n$/.exec(text)?.[1] ?? 0);
    try {
      await out.until((stdout) => last(stdout) >= 5, 'the first lines');
      await proxy.cut();
      await out.until((_, stderr) => stderr.includes('lost connection'), 'the loss to be noticed');
      const seen = last(out.stdout());
      // Output the command cannot have seen: written while it was cut off.
      await until(async () => {
        const res = await fetch(`${c.server.url}/api/v1/tasks/counter/log?tail=1`);
        return Number(/line (\d+)/.exec(await res.text())?.[1] ?? 0) > seen + 10;
      }, 'the task to write more while the client is away');
      await proxy.restore();
      await out.until((stdout, stderr) => stderr.includes('reconnected') && last(stdout) > seen + 20, 'lines after the outage');
      const numbers = out.stdout().trimEnd().split('\n').map((l) => Number(/^line (\d+)$/.exec(l)?.[1]));
      const first = numbers[0]!;
      assert.deepEqual(numbers, numbers.map((_, i) => first + i), 'consecutive: no line twice, none missed');
      assert.match(out.stderr(), new RegExp(`^lost connection to ${proxy.url}: \\S.*; retrying\\nreconnected\\n$`));
    } finally {
      out.child.kill();
      await c.client.tasks.delete('counter').catch(() => {});
    }
  });

  it('get -w passes on the words of a server that shuts down, and resumes when it is back on the same store', async () => {
    const dir = tempDir('drover-cli-restart-');
    let server = await startServer({ listen: '127.0.0.1:0', dataDir: dir, logLevel: 'error' });
    const url = server.url;
    const out = collect(startDrover(['--server', url, 'get', 'services', '-w']));
    try {
      await out.until((stdout) => /^NAME\s+READY/m.test(stdout), 'the header');
      await server.close();
      await out.until((_, stderr) => stderr.includes('lost connection'), 'the shutdown to be noticed');
      assert.match(out.stderr(), new RegExp(`^lost connection to ${url}: the server is shutting down; watch again from revision \\d+.*; retrying\\n$`));
      server = await startServer({ listen: url.slice('http://'.length), dataDir: dir, logLevel: 'error' });
      await new Client({ server: url }).services.create({ metadata: { name: 'after-restart' }, spec: { replicas: 0, template: { command: ['true'] } } });
      await out.until((stdout, stderr) => stderr.endsWith('reconnected\n') && /^after-restart\s/m.test(stdout), 'the change made after the restart');
    } finally {
      out.child.kill();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
