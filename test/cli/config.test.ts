// The CLI's contexts and server resolution, usage errors, version and completion.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { configPath, readConfig, resolveServer, writeDevContext } from '../../src/cli/config.js';
import { startTestServer, tempDir, type TestServer } from '../helpers.js';
import { drover } from './drover.js';

describe('drover config and server resolution', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.close();
  });

  it('writeDevContext makes a current "dev" context that commands then use', async () => {
    const cfg = join(tempDir(), 'drover', 'config.yaml');
    writeDevContext(server.url, cfg);
    assert.deepEqual(parse(readFileSync(cfg, 'utf8')), { currentContext: 'dev', contexts: [{ name: 'dev', server: server.url }] });
    const r = await drover(['version', '-o', 'json'], { env: { DROVER_CONFIG: cfg } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).server.store, 'sqlite');
  });

  it('resolves --server, then DROVER_SERVER, then --context or the current context, then the default', () => {
    const cfg = join(tempDir(), 'config.yaml');
    const env = { DROVER_CONFIG: cfg };
    assert.deepEqual(resolveServer({}, env), { server: 'http://127.0.0.1:8080', source: 'default' });
    writeDevContext('http://ctx:1', cfg);
    assert.equal(resolveServer({}, env).server, 'http://ctx:1');
    assert.equal(resolveServer({}, { ...env, DROVER_SERVER: 'http://env:2' }).server, 'http://env:2');
    assert.equal(resolveServer({ server: 'http://flag:3' }, { ...env, DROVER_SERVER: 'http://env:2' }).server, 'http://flag:3');
    assert.equal(resolveServer({ context: 'dev' }, { ...env, DROVER_SERVER: 'http://env:2' }).server, 'http://ctx:1');
    assert.throws(() => resolveServer({ context: 'nope' }, env), /context "nope" not found/);
  });

  it('honours XDG_CONFIG_HOME when DROVER_CONFIG is unset', () => {
    assert.equal(configPath({ XDG_CONFIG_HOME: '/x/cfg' }), '/x/cfg/drover/config.yaml');
    assert.equal(configPath({ XDG_CONFIG_HOME: '/x/cfg', DROVER_CONFIG: '/y.yaml' }), '/y.yaml');
  });

  it('set-context, use-context, get-contexts and view manage the file', async () => {
    const dir = tempDir();
    const env = { DROVER_CONFIG: undefined, XDG_CONFIG_HOME: dir };
    let r = await drover(['config', 'set-context', 'prod', '--server', 'http://10.0.0.5:8080'], { env });
    assert.equal(r.code, 0, r.stderr);
    r = await drover(['config', 'set-context', 'local', '--server', server.url], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readConfig(join(dir, 'drover', 'config.yaml')).currentContext, 'prod', 'the first context becomes current');
    r = await drover(['config', 'use-context', 'local'], { env });
    assert.match(r.stdout, /switched to context "local"/);
    r = await drover(['config', 'get-contexts'], { env });
    assert.match(r.stdout, /^\*\s+local\s/m);
    r = await drover(['config', 'view'], { env });
    assert.match(r.stdout, new RegExp(`# in use: ${server.url} \\(from context "local"\\)`));
    r = await drover(['get', 'machines', '-o', 'json'], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { apiVersion: 'drover/v1', kind: 'MachineList', items: [] });
    r = await drover(['config', 'set-context', 'pair', '--server', 'http://10.0.0.5:8080,http://10.0.0.6:8080'], { env });
    assert.equal(r.code, 0, r.stderr);
    r = await drover(['config', 'set-context', 'broken', '--server', 'ftp://10.0.0.5'], { env });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error: --server: "ftp:\/\/10\.0\.0\.5" uses ftp/);
    assert.ok(!readConfig(join(dir, 'drover', 'config.yaml')).contexts.some((c) => c.name === 'broken'), 'a rejected context is not written');
    r = await drover(['config', 'use-context', 'missing'], { env });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: context "missing" not found/);
  });

  it('usage errors exit 2; unreachable servers exit 1 with a message, never a stack', async () => {
    for (const args of [['get'], ['get', 'widgets'], ['frobnicate'], ['get', 'svc', '-o', 'xml'], ['run', 'x'], ['logs', 'x', '--tail', 'many']]) {
      const r = await drover(['--server', server.url, ...args]);
      assert.equal(r.code, 2, `drover ${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /error/);
    }
    const r = await drover(['--server', 'http://127.0.0.1:1', 'get', 'services']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: cannot reach the drover server at http:\/\/127\.0\.0\.1:1/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });

  it('several servers, comma-separated, fail over from an unreachable one; bad URLs are usage errors', async () => {
    const created = await drover(['--server', `http://127.0.0.1:1,${server.url}`, 'run', 'failover-probe', '--', '/bin/true']);
    assert.equal(created.code, 0, created.stderr);
    // The same list from DROVER_SERVER and from a context.
    const viaEnv = await drover(['get', 'tasks', 'failover-probe', '-o', 'json'], { env: { DROVER_SERVER: `http://127.0.0.1:1, ${server.url}/` } });
    assert.equal(viaEnv.code, 0, viaEnv.stderr);
    assert.equal(JSON.parse(viaEnv.stdout).metadata.name, 'failover-probe');
    const cfg = join(tempDir(), 'config.yaml');
    writeDevContext(`http://127.0.0.1:1,${server.url}`, cfg);
    const viaContext = await drover(['get', 'tasks', 'failover-probe', '-o', 'name'], { env: { DROVER_CONFIG: cfg } });
    assert.equal(viaContext.code, 0, viaContext.stderr);
    assert.match(viaContext.stdout, /failover-probe/);
    // All unreachable: one message naming every server.
    const down = await drover(['--server', 'http://127.0.0.1:1,http://127.0.0.1:2', 'get', 'tasks']);
    assert.equal(down.code, 1);
    assert.match(down.stderr, /cannot reach the drover server at http:\/\/127\.0\.0\.1:1, http:\/\/127\.0\.0\.1:2/);
    for (const bad of ['ftp://x', 'not a url', ',']) {
      const r = await drover(['--server', bad, 'get', 'tasks']);
      assert.equal(r.code, 2, `--server ${bad}: ${r.stderr}`);
      assert.match(r.stderr, /^error: --server/);
    }
  });

  it('version prints client and server; --client needs no server', async () => {
    const r = await drover(['--server', server.url, 'version']);
    assert.match(r.stdout, /^Client: drover \d+\.\d+\.\d+/m);
    assert.match(r.stdout, /^Server: drover \d+\.\d+\.\d+ .*store sqlite/m);
    const c = await drover(['--server', 'http://127.0.0.1:1', 'version', '--client']);
    assert.equal(c.code, 0);
    assert.doesNotMatch(c.stdout, /Server:/);
  });

  it('completion prints bash, zsh and fish scripts naming the commands', async () => {
    const bash = await drover(['completion', 'bash']);
    assert.match(bash.stdout, /complete -F _drover drover/);
    for (const c of ['get', 'apply', 'unit', 'rollout', 'logs']) assert.match(bash.stdout, new RegExp(`\\b${c}\\b`));
    assert.match(bash.stdout, /unit\) words="submit load start stop unload destroy cat/);
    assert.match((await drover(['completion', 'zsh'])).stdout, /^#compdef drover/);
    assert.match((await drover(['completion', 'fish'])).stdout, /complete -c drover .* -a get /);
    assert.equal((await drover(['completion', 'tcsh'])).code, 2);
  });
});
