// The Flocker listener's TLS: only a certificate of the cluster CA with CN user-NAME gets past the
// handshake; the user is a principal RBAC decides for; the server is control-service.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { connect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { createCa, issueCertificate } from '../../../src/security/pki.js';
import { request } from 'node:https';
import { http } from '../../helpers.js';
import { bind, call, NODE_A, MACHINE_A, readyMachine, startFlocker, userCertificate, type FlockerServer } from './flocker.js';

describe('Flocker TLS and authorization', () => {
  let fs: FlockerServer;
  before(async () => {
    fs = await startFlocker();
    await readyMachine(fs, MACHINE_A, '10.0.0.1');
  });
  after(() => fs.close());

  it('a request without a client certificate fails in TLS, not with an HTTP status', async () => {
    await assert.rejects(call(fs, 'GET', '/version', { cert: null }));
  });

  it('a certificate of the cluster CA without the user- prefix fails in TLS', async () => {
    const agentLike = await userCertificate(fs, 'system:node:abc');
    await assert.rejects(call(fs, 'GET', '/version', { cert: agentLike }));
    const bare = await userCertificate(fs, 'alice');
    await assert.rejects(call(fs, 'GET', '/version', { cert: bare }));
  });

  it('a user certificate of another CA fails in TLS', async () => {
    const other = await createCa('someone-else');
    const forged = await issueCertificate(other, { commonName: 'user-alice', usage: 'client', days: 1 });
    await assert.rejects(call(fs, 'GET', '/version', { cert: forged }));
  });

  it('the server certificate is the control service\'s, valid for control-service and the address', async () => {
    const peer = await new Promise<X509Certificate>((resolve, reject) => {
      const url = new URL(fs.flocker);
      const socket = connect({ host: url.hostname, port: Number(url.port), ca: fs.server.pki.ca.cert, cert: fs.alice.cert, key: fs.alice.key, servername: 'control-service' }, () => {
        resolve(new X509Certificate(socket.getPeerX509Certificate()!.raw));
        socket.end();
      });
      socket.on('error', reject);
    });
    assert.match(peer.subject, /CN=control-service/);
    assert.equal(peer.checkHost('control-service'), 'control-service');
    assert.equal(peer.checkIP('127.0.0.1'), '127.0.0.1');
  });

  it('a user without a binding is refused by RBAC with Flocker\'s 403 body', async () => {
    const bob = await userCertificate(fs, 'user-bob');
    const res = await call(fs, 'POST', '/configuration/datasets', { body: { primary: NODE_A }, cert: bob });
    assert.equal(res.status, 403, res.text);
    assert.match(res.json().description, /^The user is not authorized to do this operation\./);
    const list = await call(fs, 'GET', '/configuration/datasets', { cert: bob });
    assert.equal(list.status, 403);
  });

  it('a user bound to the view role may read but not write', async () => {
    const carol = await userCertificate(fs, 'user-carol');
    await bind(fs, 'carol', 'view');
    assert.equal((await call(fs, 'GET', '/configuration/datasets', { cert: carol })).status, 200);
    assert.equal((await call(fs, 'POST', '/configuration/datasets', { body: { primary: NODE_A }, cert: carol })).status, 403);
  });

  it('the main listener does not serve /v1, and the Flocker listener serves nothing but /v1', async () => {
    const get = (base: string, path: string, headers: Record<string, string> = {}) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const url = new URL(path, base);
        request(url, { ca: fs.server.pki.ca.cert, cert: fs.alice.cert, key: fs.alice.key, headers, agent: false }, (r) => {
          let body = '';
          r.on('data', (c: Buffer) => (body += c.toString()));
          r.on('end', () => resolve({ status: r.statusCode!, body }));
        })
          .on('error', reject)
          .end();
      });
    // The main listener (plain HTTP in tests) answers /v1 with the native 404, and serves its API.
    const auth = { authorization: `Bearer ${fs.server.adminToken}` };
    const main = await http(`${fs.url}/v1/version`, { headers: auth });
    assert.equal(main.status, 404);
    assert.equal(main.json().error.reason, 'NotFound');
    assert.equal((await http(`${fs.url}/api/v1/machines`, { headers: auth })).status, 200);
    assert.equal((await get(fs.flocker, '/api/v1/machines')).status, 404);
  });

  it('unknown paths and methods under /v1 answer 404 and 405', async () => {
    assert.equal((await call(fs, 'GET', '/nothing/here')).status, 404);
    const wrong = await call(fs, 'PUT', '/configuration/datasets');
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.allow, 'GET, POST');
  });
});
