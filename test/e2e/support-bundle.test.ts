// The system area of a real secure cluster: the server's and an agent's own logs through the
// server, administrators only, and a support bundle that holds each listed part and no secret.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { extract } from 'tar-stream';
import { http, tempDir, until } from '../helpers.js';
import { drover } from '../cli/drover.js';
import { startCluster, type Cluster } from './cluster.js';

/** The files of a tar.gz, by name. */
async function unpack(gz: Buffer): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const ex = extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        files.set(header.name, Buffer.concat(chunks).toString('utf8'));
        next();
      });
    });
    ex.on('finish', () => resolve());
    ex.on('error', reject);
  });
  ex.end(gunzipSync(gz));
  await done;
  return files;
}

describe('system logs and the support bundle', () => {
  let c: Cluster;
  const secretValue = `s3cret-${Math.random().toString(36).slice(2)}`;
  before(async () => {
    c = await startCluster(1, { secure: true });
  });
  after(() => c.close());

  const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

  it('serves the server\'s and an agent\'s own log lines, to administrators only', async () => {
    const machine = c.agents[0]!.id;
    const server = await http(`${c.server.url}/api/v1/system/logs?component=server&tail=3`, { headers: c.auth });
    assert.equal(server.status, 200);
    const lines = server.text.trim().split('\n');
    assert.ok(lines.length >= 1 && lines.length <= 3, server.text);
    // pino's records; the server's parts name themselves (store, leader, workloads…).
    for (const l of lines) assert.equal(typeof JSON.parse(l).msg, 'string');
    const agent = await until(async () => {
      const r = await http(`${c.server.url}/api/v1/system/logs?component=agent/${machine}&tail=50`, { headers: c.auth });
      return r.status === 200 && r.text.trim() && r;
    }, 'the agent to have logged');
    assert.ok(agent.text.trim().split('\n').some((l) => String(JSON.parse(l).msg).startsWith('agent started')), agent.text);

    // Following: a line logged from now on arrives on the open stream (opening a maintenance window logs one).
    const abort = new AbortController();
    const followed = await fetch(`${c.server.url}/api/v1/system/logs?component=server&tail=0&follow=true`, { headers: c.auth, signal: abort.signal });
    assert.equal(followed.status, 200);
    const reader = followed.body!.getReader();
    await c.client.machines.patch(machine, { spec: { maintenance: { reason: 'follow test' } } });
    let seen = '';
    try {
      await until(async () => {
        const { value } = await reader.read();
        seen += Buffer.from(value ?? []).toString();
        return seen.includes('maintenance window opened');
      }, 'the followed log to show the new line');
    } finally {
      abort.abort();
      await c.client.machines.patch(machine, { spec: { maintenance: null } });
    }
    assert.equal((await http(`${c.server.url}/api/v1/system/logs?component=nobody`, { headers: c.auth })).status, 400);
    assert.equal((await http(`${c.server.url}/api/v1/system/logs?component=agent/0123456789abcdef0123456789abcdef`, { headers: c.auth })).status, 404);

    await c.client.request('POST', '/api/v1/users', { body: { name: 'vic', password: 'vic-password', groups: [] } });
    await c.client.request('POST', '/api/v1/clusterrolebindings', { body: { metadata: { name: 'vic-view' }, spec: { roleRef: { kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'User', name: 'vic' }] } } });
    const vic = basic('vic', 'vic-password');
    assert.equal((await http(`${c.server.url}/api/v1/system/version`, { headers: vic })).status, 200, 'a viewer reads the system area…');
    assert.equal((await http(`${c.server.url}/api/v1/system/logs`, { headers: vic })).status, 403, '…but not the logs');
    assert.equal((await http(`${c.server.url}/api/v1/system/logs?component=agent/${machine}`, { headers: vic })).status, 403);
    assert.equal((await http(`${c.server.url}/api/v1/system/bundle`, { headers: vic })).status, 403);
  });

  it('a support bundle has every listed part and no secret value or token', async () => {
    const machine = c.agents[0]!.id;
    const token = c.server.adminToken!;
    // Planted where a careless bundle would pick them up: a Secret, and a token in a label and an event.
    assert.equal((await c.client.fetch('POST', '/api/v1/secrets', { body: { metadata: { name: 'db' }, spec: { data: { password: secretValue } } } })).status, 201);
    await c.client.machines.patch(machine, { metadata: { labels: { note: token } } });
    await c.client.events.create({
      metadata: { name: 'planted' },
      spec: { involvedObject: { kind: 'Machine', name: machine }, reason: 'Planted', message: `someone pasted ${token} here`, type: 'Normal', count: 1, firstTimestamp: new Date().toISOString(), lastTimestamp: new Date().toISOString(), source: { component: 'test' } },
    });
    const file = join(tempDir('drover-bundle-'), 'bundle.tar.gz');
    const r = await drover(['--server', c.server.url, 'support', 'bundle', '-o', file], { env: { DROVER_TOKEN: token } });
    assert.equal(r.code, 0, r.stderr);
    const gz = readFileSync(file);
    const files = await unpack(gz);
    const names = [...files.keys()].map((n) => n.replace(/^drover-bundle\//, '')).sort();
    for (const part of ['version.json', 'config.json', 'machines.json', 'events.json', 'store.json', 'metrics.txt', 'leaders.json', 'logs/server.log', `logs/agent-${machine}.log`]) assert.ok(names.includes(part), `${part} in ${names.join(', ')}`);
    const read = (name: string) => files.get(`drover-bundle/${name}`)!;
    assert.equal(JSON.parse(read('version.json')).agents[0].machine, machine);
    assert.ok(JSON.parse(read('machines.json'))[0].status.conditions.some((x: { type: string }) => x.type === 'Ready'));
    assert.ok(JSON.parse(read('events.json')).some((e: { reason: string }) => e.reason === 'Planted'));
    assert.ok(JSON.parse(read('store.json')).kinds.some((k: { kind: string; objects: number }) => k.kind === 'Secret' && k.objects >= 1));
    assert.match(read('metrics.txt'), /^# HELP /m);
    assert.ok(read('logs/server.log').trim().length > 0, 'the server log has lines');
    assert.match(read(`logs/agent-${machine}.log`), /"msg":"agent started/, 'the agent log is its pino lines');
    const everything = [...files.values()].join('\n') + gunzipSync(gz).toString('latin1');
    assert.ok(!everything.includes(secretValue), 'no secret value');
    assert.ok(!everything.includes(token), 'no token');
    assert.ok(!everything.includes(token.split('.')[2]!), 'not even the token\'s secret part');
    assert.match(read('machines.json'), /drover\.<redacted>/);
  });
});
