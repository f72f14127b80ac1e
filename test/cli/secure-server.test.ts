// `drover server` secure by default, as an operator meets it: HTTPS and authentication, and the
// CLI working right after with no step; tokens and certificates from the CLI.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { tempDir, until } from '../helpers.js';
import { bearer, raw } from '../security/tls.js';
import { contextServer, drover, startDrover, type ContextServer } from './drover.js';

describe('drover server, secure by default', () => {
  let dir: string;
  let config: string;
  let child: ChildProcess;
  let output = '';
  let server: ContextServer;
  const env = () => ({ DROVER_CONFIG: config });
  before(async () => {
    dir = tempDir();
    config = join(dir, 'config.yaml');
    child = startDrover(['server', '--listen', '127.0.0.1:0', '--data', join(dir, 'data'), '--log-level', 'error', '--tls-san', 'drover.example.com'], { env: env() });
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    server = await until(async () => {
      if (child.exitCode !== null) throw new Error(`drover server exited: ${output}`);
      const s = await contextServer(config, 'default');
      return s && (await s.fetch('/healthz').catch(() => ({ status: 0 }))).status === 200 && s;
    }, 'drover server to answer', 30_000);
  });
  after(async () => {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves HTTPS and writes a 0600 context with the CA and the admin token; the CLI then works with no flags', async () => {
    assert.match(server.url, /^https:\/\//);
    assert.equal(statSync(config).mode & 0o777, 0o600);
    const ctx = (parse(readFileSync(config, 'utf8')) as { contexts: { name: string; token?: string; certificateAuthorityData?: string }[] }).contexts[0]!;
    assert.match(ctx.token!, /^drover\./);
    assert.match(ctx.certificateAuthorityData!, /BEGIN CERTIFICATE/);
    const r = await drover(['get', 'services'], { env: env() });
    assert.equal(r.code, 0, r.stderr);
    const view = await drover(['config', 'view'], { env: env() });
    assert.doesNotMatch(view.stdout, /drover\.[0-9a-f]{16}\./, 'config view does not print the token');
    assert.equal((await raw(`${server.url}/api/v1/services`, { ca: ctx.certificateAuthorityData })).status, 401, 'without the token: 401');
  });

  it('the server certificate covers loopback, this host and --tls-san', async () => {
    const cert = new X509Certificate(readFileSync(join(dir, 'data', 'pki', 'server.crt')));
    assert.match(cert.subjectAltName!, /DNS:localhost/);
    assert.match(cert.subjectAltName!, /IP Address:127\.0\.0\.1/);
    assert.match(cert.subjectAltName!, /DNS:drover\.example\.com/);
  });

  it('drover token create prints a token that works; token list shows no secret; revoke ends it', async () => {
    const made = await drover(['token', 'create', '--user', 'admin2', '--group', 'system:administrators', '--ttl', '1h'], { env: env() });
    assert.equal(made.code, 0, made.stderr);
    const token = made.stdout.trim();
    const ca = readFileSync(join(dir, 'data', 'pki', 'ca.crt'), 'utf8');
    assert.equal((await raw(`${server.url}/api/v1/services`, { ca, headers: bearer(token) })).status, 200);
    const list = await drover(['token', 'list'], { env: env() });
    assert.match(list.stdout, /admin2\s+system:administrators/);
    assert.ok(!list.stdout.includes(token.split('.')[2]!), 'no secret in the list');
    const revoked = await drover(['token', 'revoke', token.split('.')[1]!], { env: env() });
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.equal((await raw(`${server.url}/api/v1/services`, { ca, headers: bearer(token) })).status, 401);
  });

  it('drover user add, then basic auth; drover cert issue, then a client certificate', async () => {
    const add = await drover(['user', 'add', 'erin', '--group', 'system:administrators'], { env: env(), input: 'a good password\n' });
    assert.equal(add.code, 0, add.stderr);
    const ca = readFileSync(join(dir, 'data', 'pki', 'ca.crt'), 'utf8');
    const auth = { authorization: `Basic ${Buffer.from('erin:a good password').toString('base64')}` };
    assert.equal((await raw(`${server.url}/api/v1/services`, { ca, headers: auth })).status, 200);
    const out = tempDir();
    const issued = await drover(['cert', 'issue', 'frank', '--group', 'system:administrators', '--data', join(dir, 'data'), '--out-dir', out], { env: env() });
    assert.equal(issued.code, 0, issued.stderr);
    assert.equal(statSync(join(out, 'frank.key')).mode & 0o777, 0o600);
    const r = await raw(`${server.url}/api/v1/services`, { ca, cert: readFileSync(join(out, 'frank.crt'), 'utf8'), key: readFileSync(join(out, 'frank.key'), 'utf8') });
    assert.equal(r.status, 200);
  });

  it('drover cert rotate renews the server certificate under the same CA; SIGHUP serves it', async () => {
    const before = readFileSync(join(dir, 'data', 'pki', 'server.crt'), 'utf8');
    const caBefore = readFileSync(join(dir, 'data', 'pki', 'ca.crt'), 'utf8');
    const r = await drover(['cert', 'rotate', '--data', join(dir, 'data')], { env: env() });
    assert.equal(r.code, 0, r.stderr);
    const after = readFileSync(join(dir, 'data', 'pki', 'server.crt'), 'utf8');
    assert.notEqual(after, before);
    assert.equal(readFileSync(join(dir, 'data', 'pki', 'ca.crt'), 'utf8'), caBefore);
    assert.ok(new X509Certificate(after).verify(new X509Certificate(caBefore).publicKey));
    const served = () =>
      new Promise<string>((resolve, reject) => {
        const u = new URL(server.url);
        const sock = tlsConnect({ host: u.hostname, port: Number(u.port), ca: caBefore }, () => {
          resolve(sock.getPeerCertificate().fingerprint256);
          sock.end();
        });
        sock.on('error', reject);
      });
    assert.equal(await served(), new X509Certificate(before).fingerprint256);
    child.kill('SIGHUP');
    await until(async () => (await served()) === new X509Certificate(after).fingerprint256, 'the renewed certificate to be served');
  });
});

describe('drover server --insecure-http', () => {
  it('serves plain HTTP, says so, and still authenticates', async () => {
    const dir = tempDir();
    const config = join(dir, 'config.yaml');
    const child = startDrover(['server', '--listen', '127.0.0.1:0', '--data', join(dir, 'data'), '--insecure-http'], { env: { DROVER_CONFIG: config } });
    let output = '';
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    try {
      const s = await until(async () => {
        if (child.exitCode !== null) throw new Error(`drover server exited: ${output}`);
        const c = await contextServer(config, 'default');
        return c && (await c.fetch('/healthz').catch(() => ({ status: 0 }))).status === 200 && c;
      }, 'drover server to answer', 30_000);
      assert.match(s.url, /^http:\/\//);
      assert.match(output, /warning: --insecure-http/);
      assert.equal((await fetch(`${s.url}/api/v1/services`)).status, 401);
      assert.equal((await s.fetch('/api/v1/services')).status, 200);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
