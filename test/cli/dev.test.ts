// `drover dev` as an operator runs it: the built binary, a real server and agent, and fleet's
// unix socket when asked for.
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir, until } from '../helpers.js';
import { contextServer, drover, startDrover } from './drover.js';

/** GET over a unix socket: status, Server header and parsed body. */
function getOnSocket(socketPath: string, path: string): Promise<{ status: number; server: string | undefined; body: any }> {
  return new Promise((resolve, reject) => {
    request({ socketPath, path }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, server: res.headers.server as string | undefined, body: JSON.parse(text) }));
    })
      .on('error', reject)
      .end();
  });
}

describe('drover dev', () => {
  it('--fleet-socket serves fleet\'s API on the unix socket, with the dev agents as machines, and removes it on exit', async () => {
    const dir = tempDir('drover-dev-');
    const socket = join(dir, 'fleet.sock');
    const configFile = join(dir, 'config.yaml');
    const child = startDrover(['dev', '--agents', '1', '--listen', '127.0.0.1:0', '--data', join(dir, 'data'), '--fleet-socket', socket], { env: { DROVER_CONFIG: configFile } });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      await until(() => {
        if (child.exitCode !== null) throw new Error(`drover dev exited ${child.exitCode}: ${stderr}`);
        return stdout.includes(`fleet API on ${socket}`);
      }, 'drover dev to say it serves the fleet socket', 20_000);
      const machines = await until(async () => {
        const r = await getOnSocket(socket, '/fleet/v1/machines');
        return r.body.machines?.length === 1 && r;
      }, 'the dev agent to be a fleet machine', 20_000);
      assert.equal(machines.status, 200);
      assert.equal(machines.server, 'fleetd/v1.0.0');
      assert.match(machines.body.machines[0].id, /^[0-9a-f]{32}$/);
      // One command, then the CLI works: the dev context holds the admin token.
      assert.equal((await fetch(`${(await until(() => contextServer(configFile, 'dev'), 'the dev context')).url}/api/v1/machines`)).status, 401, 'the API needs credentials');
      const get = await drover(['get', 'machines', '-o', 'name'], { env: { DROVER_CONFIG: configFile } });
      assert.equal(get.code, 0, get.stderr);
      assert.match(get.stdout, /[0-9a-f]{32}/);
    } finally {
      child.kill('SIGTERM');
      assert.equal(await exited, 0, stderr);
    }
    assert.equal(existsSync(socket), false, 'the socket is gone with the server');
    rmSync(dir, { recursive: true, force: true });
  });
});
