// Agents join with a join token and get a certificate of their own; their API answers only the
// server's client certificate; the server proxies only to an agent that proves it is the
// machine's (TLS, the cluster CA, CN system:node:<machine>).
import assert from 'node:assert/strict';
import { randomBytes, X509Certificate } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer as createTlsServer } from 'node:tls';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startAgent, type RunningAgent } from '../../src/agent/run.js';
import { systemContext } from '../../src/registry/index.js';
import { issueCertificate } from '../../src/security/pki.js';
import { startTestServer, tempDir, until, type TestServer } from '../helpers.js';
import { bearer, curlStatus, hasCurl, raw } from './tls.js';

describe('agents: join, certificates and the agent API', () => {
  let s: TestServer;
  let agent: RunningAgent;
  let dataDir: string;
  const id = randomBytes(16).toString('hex');
  before(async () => {
    s = await startTestServer({ auth: true, tls: true, agentAnswerMs: 1_000 });
    const join = await s.server.registry.credentials!.createToken(systemContext, { user: 'system:bootstrap', purpose: 'join', ttlSeconds: 600 });
    dataDir = tempDir('drover-agent-');
    agent = await startAgent({ server: s.url, dataDir, id, joinToken: join.token, ca: s.server.caCert, logLevel: 'error', heartbeatMs: 500 });
  });
  after(async () => {
    await agent?.close(true);
    await s.close();
  });

  it('exchanges its join token for a certificate of system:node:<machine> from the cluster CA, kept 0600 in its data dir, and registers with it', async () => {
    const cert = new X509Certificate(readFileSync(join(dataDir, 'identity', 'node.crt')));
    assert.match(cert.subject, new RegExp(`CN=system:node:${id}`));
    assert.match(cert.subject, /O=system:nodes/);
    assert.ok(cert.verify(new X509Certificate(s.server.caCert!).publicKey), 'signed by the cluster CA');
    assert.equal(statSync(join(dataDir, 'identity', 'node.key')).mode & 0o777, 0o600);
    const machine = await until(() => s.client.machines.find(id), 'the machine to register');
    assert.match(machine.status!.agentEndpoint!, /^https:\/\//);
  });

  it('a join token is good only for joining, and a server that authenticates refuses an agent without one', async () => {
    const join = await s.server.registry.credentials!.createToken(systemContext, { user: 'system:bootstrap', purpose: 'join', ttlSeconds: 600 });
    const r = await raw(`${s.url}/api/v1/services`, { ca: s.server.caCert, headers: bearer(join.token) });
    assert.equal(r.status, 403);
    await assert.rejects(
      startAgent({ server: s.url, dataDir: tempDir('drover-agent-'), id: randomBytes(16).toString('hex'), ca: s.server.caCert, logLevel: 'error' }),
      /join token/,
    );
  });

  it('the agent API refuses a caller without the server\'s client certificate', async () => {
    const endpoint = (await s.client.machines.get(id)).status!.agentEndpoint!;
    const ca = s.server.caCert!;
    // No certificate: the TLS handshake itself fails.
    await assert.rejects(raw(`${endpoint}/v1/tasks/x/log`, { ca }));
    // A certificate from the cluster CA, but not the server's (an administrator's): 403.
    const admin = await issueCertificate(s.server.pki.ca, { commonName: 'admin', organizations: ['system:administrators'], usage: 'client', days: 1 });
    const asAdmin = await raw(`${endpoint}/v1/tasks/x/log`, { ca, cert: admin.cert, key: admin.key });
    assert.equal(asAdmin.status, 403);
    // The server's own certificate: in (404: no such task here).
    const server = s.server.pki.serverClient;
    assert.equal((await raw(`${endpoint}/v1/tasks/x/log`, { ca, cert: server.cert, key: server.key })).status, 404);
  });

  it('curl without the server\'s certificate is refused by the agent API', async (t) => {
    if (!hasCurl) return t.skip('curl is not installed');
    const endpoint = (await s.client.machines.get(id)).status!.agentEndpoint!;
    const caFile = join(tempDir(), 'ca.crt');
    writeFileSync(caFile, s.server.caCert!);
    assert.equal(await curlStatus(['--cacert', caFile, '-X', 'POST', '-H', 'content-type: application/json', '-d', '{"command":["id"]}', `${endpoint}/v1/tasks/x/exec`]), '000');
  });

  it('the server proxies exec to the agent over TLS, and refuses an endpoint that is not the machine\'s agent', async () => {
    await s.client.tasks.create({ metadata: { name: 'sleeper' }, spec: { machine: id, template: { command: ['sleep', '1000'] } } });
    await until(async () => (await s.client.tasks.get('sleeper')).status?.phase === 'Running', 'the task to run');
    const res = await raw(`${s.url}/api/v1/tasks/sleeper/exec`, { ca: s.server.caCert, method: 'POST', headers: bearer(s.server.adminToken!), body: JSON.stringify({ command: ['echo', 'hi'] }) });
    assert.equal(res.status, 200);
    assert.match(res.text, /"data":"hi\\n"/);
    // The endpoint pointed at the API server itself (forgery): refused, not fetched.
    await s.client.machines.patchStatus(id, { agentEndpoint: s.url });
    const forged = await raw(`${s.url}/api/v1/tasks/sleeper/exec`, { ca: s.server.caCert, method: 'POST', headers: bearer(s.server.adminToken!), body: JSON.stringify({ command: ['echo', 'hi'] }) });
    assert.equal(forged.status, 503);
    assert.match(forged.json().error.message, /not machine|certificate/);
    await s.client.machines.patchStatus(id, { agentEndpoint: 'http://127.0.0.1:1/' });
    const plain = await raw(`${s.url}/api/v1/tasks/sleeper/log`, { ca: s.server.caCert, headers: bearer(s.server.adminToken!) });
    assert.equal(plain.status, 503);
    assert.match(plain.json().error.message, /no TLS endpoint/);
  });

  it('a silent agent does not hang the request: 503 after the answer deadline', async () => {
    // A TLS endpoint with this machine's own certificate that accepts and never answers.
    const identity = { cert: readFileSync(join(dataDir, 'identity', 'node.crt'), 'utf8'), key: readFileSync(join(dataDir, 'identity', 'node.key'), 'utf8') };
    const silent = createTlsServer(identity, () => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      await s.client.machines.patchStatus(id, { agentEndpoint: `https://127.0.0.1:${(silent.address() as { port: number }).port}` });
      const started = Date.now();
      const r = await raw(`${s.url}/api/v1/tasks/sleeper/log`, { ca: s.server.caCert, headers: bearer(s.server.adminToken!) });
      assert.equal(r.status, 503);
      assert.match(r.json().error.message, /no answer in 1s/);
      assert.ok(Date.now() - started < 5_000);
    } finally {
      silent.close();
    }
  });
});
