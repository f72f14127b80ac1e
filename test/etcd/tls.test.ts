// drover on an etcd that serves clients only over TLS and wants a client certificate: a CA,
// a server and a client certificate made with the openssl CLI in a temp dir.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startServer, type RunningServer } from '../../src/server.js';
import { http, tempDir } from '../helpers.js';
import { etcdSkipReason, withEtcd } from './etcd-process.js';
import { isCompiled, spawnServer, type ServerProcess } from './server-process.js';

const OPENSSL = ['/usr/bin/openssl', '/usr/local/bin/openssl'].find((p) => existsSync(p));
const skip = etcdSkipReason() ?? (OPENSSL ? undefined : 'openssl CLI not found (apt-get install openssl) to make test certificates');
if (skip) console.log(`# skipping etcd TLS tests: ${skip}`);

/** A CA and two certificates it signed: for etcd (serving 127.0.0.1) and for drover (a client). */
function makeCertificates(dir: string): { ca: string; serverCert: string; serverKey: string; clientCert: string; clientKey: string } {
  const openssl = (...args: string[]) => execFileSync(OPENSSL!, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=drover test CA', '-days', '1');
  const sign = (name: string, extensions: string) => {
    writeFileSync(join(dir, `${name}.ext`), extensions);
    openssl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '1', '-extfile', `${name}.ext`);
  };
  sign('etcd', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n');
  sign('drover', 'extendedKeyUsage=clientAuth\n');
  return {
    ca: join(dir, 'ca.crt'),
    serverCert: join(dir, 'etcd.crt'),
    serverKey: join(dir, 'etcd.key'),
    clientCert: join(dir, 'drover.crt'),
    clientKey: join(dir, 'drover.key'),
  };
}

describe('etcd over TLS', { skip }, () => {
  let certDir: string;
  let certs: ReturnType<typeof makeCertificates>;
  // Registered before withEtcd's hooks: the certificates exist when etcd starts, and are
  // removed after it stops.
  before(() => {
    certDir = mkdtempSync(join(tmpdir(), 'drover-tls-'));
    certs = makeCertificates(certDir);
  });
  const etcd = withEtcd(1, {
    tls: () => ({ certFile: certs.serverCert, keyFile: certs.serverKey, caFile: certs.ca, clientCertAuth: true, clientCertFile: certs.clientCert, clientKeyFile: certs.clientKey }),
  });
  after(() => {
    if (certDir) rmSync(certDir, { recursive: true, force: true });
  });

  it('a server with the CA and a client certificate writes and reads; the CLI flags do the same', async () => {
    assert.match(etcd.endpoints[0]!, /^https:/);
    const prefix = `/drover-tls-${Date.now()}`;
    const dirs = [tempDir(), tempDir()];
    let server: RunningServer | undefined;
    let child: ServerProcess | undefined;
    try {
      server = await startServer({
        listen: '127.0.0.1:0',
        dataDir: dirs[0]!,
        logLevel: 'silent',
        controllers: false,
        prefix,
        etcd: { endpoints: etcd.endpoints, tls: { ca: readFileSync(certs.ca), cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) } },
      });
      const created = await http(`${server.url}/api/v1/tasks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ metadata: { name: 'over-tls' }, spec: { template: { command: ['true'] } } }),
      });
      assert.equal(created.status, 201, created.text);
      assert.equal((await http(`${server.url}/api/v1/tasks/over-tls`)).status, 200);

      if (!isCompiled) return; // the CLI half spawns bin/drover.js
      child = spawnServer([
        '--data', dirs[1]!, '--store', `etcd://${etcd.endpoints[0]!.replace('https://', '')}`, '--etcd-prefix', prefix,
        '--etcd-ca', certs.ca, '--etcd-cert', certs.clientCert, '--etcd-key', certs.clientKey, '--log-level', 'error',
      ]);
      const read = await http(`${await child.url}/api/v1/tasks/over-tls`);
      assert.equal(read.status, 200, read.text);
      assert.equal(read.json().metadata.name, 'over-tls');
    } finally {
      child?.proc.kill('SIGKILL');
      await server?.close();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    }
  });
});
