import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { resolveRunAs, runAsEnv } from './run-as.js';

describe('resolveRunAs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'drover-run-as-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const files = { passwd: join(dir, 'passwd'), group: join(dir, 'group') };
  writeFileSync(files.passwd, 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\napp:x:1000:1001::/home/app:/bin/sh\n');
  writeFileSync(files.group, 'root:x:0:\nnogroup:x:65534:\nstaff:x:50:\n');

  it('no user and no group: the agent\'s own', () => assert.equal(resolveRunAs(undefined, undefined, files), undefined));
  it('a name: its uid, primary gid and home', () => assert.deepEqual(resolveRunAs('app', undefined, files), { uid: 1000, gid: 1001, name: 'app', home: '/home/app' }));
  it('a name and a group name', () => assert.deepEqual(resolveRunAs('nobody', 'staff', files), { uid: 65534, gid: 50, name: 'nobody', home: '/nonexistent' }));
  it('a numeric uid without an entry: gid the same number', () => assert.deepEqual(resolveRunAs('4242', undefined, files), { uid: 4242, gid: 4242 }));
  it('a numeric gid', () => assert.equal(resolveRunAs('app', '7', files)?.gid, 7));
  it('an unknown user says so', () => assert.throws(() => resolveRunAs('ghost', undefined, files), /user "ghost" does not exist on this machine/));
  it('an unknown group says so', () => assert.throws(() => resolveRunAs('app', 'ghosts', files), /group "ghosts" does not exist on this machine/));
  it('USER, LOGNAME and HOME for a named user', () => assert.deepEqual(runAsEnv(resolveRunAs('app', undefined, files)), { USER: 'app', LOGNAME: 'app', HOME: '/home/app' }));
});
