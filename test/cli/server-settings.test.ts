// drover server's settings and where each came from: a flag beats the environment
// (DROVER_SERVER_*), which beats --config-file, which beats the default; /api/v1/system/config
// shows each with its source, secret-looking ones redacted.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { tempDir } from '../helpers.js';
import { baseEnv, drover, droverBin } from './drover.js';

describe('drover server settings', () => {
  const dir = tempDir('drover-settings-');
  const children: ReturnType<typeof spawn>[] = [];
  after(() => {
    for (const c of children) c.kill('SIGKILL');
  });

  it('shows each setting with its source: flag, environment, file or default', async () => {
    const file = join(dir, 'server.yaml');
    writeFileSync(file, 'history: 5000\nmachine-grace: 3\nevent-ttl: 30m\ntls-san: [a.example, b.example]\n');
    const child = spawn(process.execPath, [droverBin, 'server', '--listen', '127.0.0.1:0', '--insecure-http', '--no-auth', '--no-write-context', '--data', join(dir, 'data'), '--machine-grace', '9', '--config-file', file], {
      env: baseEnv({ DROVER_SERVER_LOG_LEVEL: 'warn', DROVER_SERVER_HISTORY: '7000', DROVER_SERVER_ETCD_KEY: '/etc/drover/etcd-client.key' }),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.push(child);
    let stderr = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
        const m = /listening on (http:\/\/\S+)/.exec(stderr);
        if (m) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`drover server exited with ${code}: ${stderr}`)));
    });
    const config = (await (await fetch(`${url}/api/v1/system/config`)).json()) as { settings: Record<string, { value: unknown; source: string }>; machineGraceSeconds: number };
    const s = config.settings;
    assert.deepEqual(s.machineGrace, { value: 9, source: 'flag' }, 'a flag beats the file');
    assert.deepEqual(s.history, { value: 7000, source: 'environment' }, 'the environment beats the file');
    assert.deepEqual(s.logLevel, { value: 'warn', source: 'environment' });
    assert.deepEqual(s.eventTtl, { value: '30m', source: 'file' });
    assert.deepEqual(s.tlsSan, { value: ['a.example', 'b.example'], source: 'file' });
    assert.deepEqual(s.fleetNamespace, { value: 'default', source: 'default' });
    assert.deepEqual(s.heapGrowth, { value: 100, source: 'default' }, "the heap may double past the live state, as Go's GOGC=100");
    assert.equal(config.machineGraceSeconds, 9, 'the value in effect is the one shown');
    assert.equal(s.auth?.source, 'flag');
    assert.deepEqual(s.etcdKey, { value: '<redacted>', source: 'environment' }, 'a secret-looking setting is shown redacted');
  });

  it('a heap growth that is no whole percent from 0 to 1000 is refused, saying what is allowed', async () => {
    for (const bad of ['-5', 'lots', '1001', '1.5']) {
      const r = await drover(['server', '--data', join(dir, 'growth-data'), '--heap-growth', bad]);
      assert.notEqual(r.code, 0, bad);
      assert.match(r.stderr, /heap growth must be a whole percent from 0 to 1000 \(0: V8's own choice\), got "?/, bad);
    }
  });

  it('a config file with an unknown setting is refused, naming it', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'listen-on: 0.0.0.0:1\n');
    const r = await drover(['server', '--data', join(dir, 'bad-data'), '--config-file', file]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /unknown setting "listen-on"/);
  });
});
