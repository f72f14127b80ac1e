// The unix socket tells its peers apart by uid (SO_PEERCRED): root and the socket group's
// members are administrators, another local user is authenticated as unix:<name> and no more.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { hasPeerCredentials } from '../../src/security/peer-cred.js';
import { startTestServer, tempDir } from '../helpers.js';
import { raw } from './tls.js';

const NOBODY = 65534;

/** GET `path` on the socket as uid `uid` (a child process: the peer credentials are its own). */
function getAs(uid: number, gid: number, socketPath: string, path: string): Promise<string> {
  const script = `require('node:http').get({ socketPath: ${JSON.stringify(socketPath)}, path: ${JSON.stringify(path)} }, (r) => { let t = ''; r.on('data', (d) => (t += d)); r.on('end', () => console.log(r.statusCode + ' ' + t)); }).on('error', (e) => console.log('error ' + e.code));`;
  return new Promise((resolve, reject) =>
    execFile(process.execPath, ['-e', script], { uid, gid, cwd: '/' }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}: ${stderr}`)) : resolve(stdout.trim()))),
  );
}

describe('the API unix socket', () => {
  it('root is an administrator; another local user is unix:<name> with no permissions; the socket group makes it one', async (t) => {
    if (!hasPeerCredentials) return t.skip('dist/drover-peercred.node was not built (no Node headers): peers cannot be told apart');
    if (process.getuid?.() !== 0) return t.skip('needs root to connect as another user');
    const dir = tempDir('drover-sock-');
    // The test's temp dir must be reachable by nobody.
    chmodSync(dir, 0o755);
    const socket = join(dir, 'api.sock');
    const plain = await startTestServer({ auth: true, tls: true, socket });
    try {
      assert.equal((await raw('http://localhost/api/v1/services', { socketPath: socket })).status, 200, 'root');
      assert.match(await getAs(NOBODY, NOBODY, socket, '/api/v1/services'), /^error EACCES/, 'mode 0660, owned by root: nobody cannot connect');
      chmodSync(socket, 0o666);
      const asNobody = await getAs(NOBODY, NOBODY, socket, '/api/v1/services');
      assert.match(asNobody, /^403 /, asNobody);
      assert.match(asNobody, /unix:nobody/);
    } finally {
      await plain.close();
    }
    const socket2 = join(dir, 'api2.sock');
    const grouped = await startTestServer({ auth: true, tls: true, socket: socket2, socketGroup: String(NOBODY) });
    try {
      const asMember = await getAs(NOBODY, NOBODY, socket2, '/api/v1/services');
      assert.match(asMember, /^200 /, asMember);
    } finally {
      await grouped.close();
    }
  });
});
