import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { until } from '../../../test/until.js';
import { execProbe } from './exec-probe.js';
import { httpProbe } from './http-probe.js';
import { tcpProbe } from './tcp-probe.js';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.startsWith('Z');
  } catch {
    return false;
  }
}

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const s = createTcpServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

describe('http probe', () => {
  let server: Server;
  let port: number;
  before(async () => {
    server = createServer((req, res) => {
      if (req.url === '/hang') return; // never answers
      const code = Number(req.url!.slice(1)) || 200;
      res.writeHead(code, code >= 300 && code < 400 ? { location: '/elsewhere' } : {}).end('body');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  const cases: [string, string, boolean, RegExp][] = [
    ['/200', '200-399', true, /^HTTP 200$/],
    ['/302', '200-399', true, /^HTTP 302$/], // a redirect is an answer, not followed
    ['/404', '200-399', false, /^HTTP 404 \(expected 200-399\)$/],
    ['/503', '200-399', false, /^HTTP 503/],
    ['/204', '204', true, /^HTTP 204$/],
    ['/200', '204', false, /^HTTP 200 \(expected 204\)$/],
  ];
  for (const [path, expect, ok, output] of cases) {
    it(`GET ${path} expecting ${expect}: ${ok ? 'passes' : 'fails'}`, async () => {
      const r = await httpProbe({ port, path, expectStatus: expect, timeoutMs: 2_000 });
      assert.equal(r.ok, ok);
      assert.match(r.output, output);
    });
  }

  it('fails within its timeout when the server does not answer', async () => {
    const started = Date.now();
    const r = await httpProbe({ port, path: '/hang', expectStatus: '200-399', timeoutMs: 300 });
    assert.equal(r.ok, false);
    assert.match(r.output, /no answer within 0.3s/);
    assert.ok(Date.now() - started < 2_000);
  });

  it('fails with "connection refused" when nothing listens', async () => {
    const r = await httpProbe({ port: await closedPort(), path: '/', expectStatus: '200-399', timeoutMs: 1_000 });
    assert.deepEqual(r, { ok: false, output: 'connection refused' });
  });
});

describe('tcp probe', () => {
  it('passes when a connection opens, fails with "connection refused" when nothing listens', async () => {
    const s = createTcpServer((c) => c.destroy());
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const { port } = s.address() as AddressInfo;
    try {
      assert.equal((await tcpProbe({ port, timeoutMs: 1_000 })).ok, true);
    } finally {
      await new Promise((r) => s.close(r));
    }
    assert.deepEqual(await tcpProbe({ port: await closedPort(), timeoutMs: 1_000 }), { ok: false, output: 'connection refused' });
  });
});

describe('exec probe', () => {
  const dir = mkdtempSync(join(tmpdir(), 'drover-exec-probe-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', GREETING: 'hello' };

  it('passes on exit 0, in the given environment and working directory', async () => {
    const r = await execProbe({ command: ['sh', '-c', 'echo "$GREETING from $(pwd)"'], env, cwd: dir, timeoutMs: 2_000 });
    assert.deepEqual(r, { ok: true, output: `hello from ${dir}` });
  });

  it('fails on another exit code, with the exit code and the output tail', async () => {
    const r = await execProbe({ command: ['sh', '-c', 'echo not ready >&2; exit 3'], env, cwd: dir, timeoutMs: 2_000 });
    assert.deepEqual(r, { ok: false, output: 'exit code 3: not ready' });
  });

  it('fails when the command cannot run', async () => {
    const r = await execProbe({ command: ['/nonexistent/check'], env, cwd: dir, timeoutMs: 2_000 });
    assert.equal(r.ok, false);
    assert.match(r.output, /cannot run \/nonexistent\/check/);
  });

  it('kills the whole process group on timeout: nothing it started outlives the attempt', async () => {
    const pidFile = join(dir, 'bg.pid');
    const started = Date.now();
    const r = await execProbe({ command: ['sh', '-c', `sleep 60 & echo $! > ${pidFile}; echo waiting; sleep 60`], env, cwd: dir, timeoutMs: 500 });
    assert.equal(r.ok, false);
    assert.match(r.output, /^timed out after 0.5s: waiting$/);
    assert.ok(Date.now() - started < 5_000, 'ended at its timeout');
    const bg = Number(readFileSync(pidFile, 'utf8'));
    await until(() => !isAlive(bg), 'the background sleep to be killed', 2_000);
  });

  it('an aborted attempt (the checks stopped) kills its command', async () => {
    const pidFile = join(dir, 'fg.pid');
    const abort = new AbortController();
    const attempt = execProbe({ command: ['sh', '-c', `echo $$ > ${pidFile}; exec sleep 60`], env, cwd: dir, timeoutMs: 30_000, signal: abort.signal });
    await until(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '', 'the command to start');
    abort.abort();
    const r = await attempt;
    assert.equal(r.ok, false);
    assert.match(r.output, /the checks stopped/);
    assert.equal(isAlive(Number(readFileSync(pidFile, 'utf8'))), false);
  });
});
