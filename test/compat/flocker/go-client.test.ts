// ClusterHQ's own Go client (Debian's golang-github-clusterhq-flocker-go-dev) against a real
// drover server over TLS, with credentials `drover flocker certs` wrote: it finds its node by
// address, creates a dataset and waits until the dataset is in the cluster state, finds it by
// its metadata name, moves it to another node and deletes it. The dataset agent's part (holding
// the data and reporting where) is played here by writing the Dataset's status as an agent would.
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { packageRoot } from '../../../src/paths.js';
import type { Dataset } from '../../../src/model/index.js';
import { systemContext } from '../../../src/registry/index.js';
import { tempDir } from '../../helpers.js';
import { MACHINE_A, MACHINE_B, NODE_A, NODE_B, readyMachine, startFlocker, type FlockerServer } from './flocker.js';

const GO_PACKAGE = '/usr/share/gocode/src/github.com/ClusterHQ/flocker-go';
const SOURCE = join(packageRoot, 'test', 'compat', 'flocker-go');

function skipReason(): string | false {
  if (spawnSync('go', ['version']).status !== 0) return '`go` is not installed (apt-get install golang-go)';
  if (!existsSync(GO_PACKAGE)) return `${GO_PACKAGE} is missing (apt-get install golang-github-clusterhq-flocker-go-dev)`;
  return false;
}

describe('the Flocker Go client', { skip: skipReason() }, () => {
  let fs: FlockerServer;
  let work: string;
  let binary: string;
  let agent: NodeJS.Timeout;
  before(async () => {
    work = tempDir('drover-flocker-go-');
    binary = join(work, 'flocker-go');
    // GOPATH mode against Debian's source tree: offline, nothing fetched; the build stays in the temp dir.
    execFileSync('go', ['build', '-o', binary, '.'], { cwd: SOURCE, env: { ...process.env, GO111MODULE: 'off', GOPATH: '/usr/share/gocode', GOCACHE: join(work, 'gocache'), GOFLAGS: '' }, stdio: 'pipe' });
    fs = await startFlocker();
    await readyMachine(fs, MACHINE_A, '10.0.0.1');
    await readyMachine(fs, MACHINE_B, '10.0.0.2');
    // The dataset agents' stand-in: a dataset is held where its primary is, at its path.
    const datasets = fs.server.registry.kind<Dataset>('datasets', 'default');
    agent = setInterval(() => {
      for (const ds of datasets.list(systemContext)) {
        if (ds.spec.primary && ds.status?.machine !== ds.spec.primary && !ds.spec.deleted) {
          void datasets.replaceStatus(systemContext, ds.metadata.name, { status: { phase: 'Ready', machine: ds.spec.primary, path: `/var/lib/drover/datasets/${ds.metadata.name}` } }).catch(() => {});
        }
      }
    }, 50);
  });
  after(async () => {
    clearInterval(agent);
    await fs?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('creates, finds, moves and deletes a dataset', async () => {
    const certs = join(work, 'gopher');
    // The real command, binding the user through the API with the administrator's token (async:
    // the server runs in this process and must answer it).
    const { stdout: out } = await promisify(execFile)(process.execPath, [join(packageRoot, 'bin', 'drover.js'), '--server', fs.url, 'flocker', 'certs', '--user', 'gopher', '--data', fs.dir, certs], {
      env: { ...process.env, DROVER_TOKEN: fs.server.adminToken!, DROVER_CONFIG: join(work, 'config.yaml') },
      encoding: 'utf8',
    });
    assert.match(out, /bound user "gopher" to cluster role "edit"/);
    assert.ok(readFileSync(join(certs, 'cluster.crt'), 'utf8').includes('BEGIN CERTIFICATE'));

    const url = new URL(fs.flocker);
    const args = [url.hostname, url.port, '10.0.0.1', join(certs, 'cluster.crt'), join(certs, 'gopher.crt'), join(certs, 'gopher.key'), 'go-demo', NODE_B];
    const run = await promisify(execFile)(binary, args, { encoding: 'utf8', timeout: 60_000 }).catch((err: { stdout?: string; stderr?: string }) => {
      throw new Error(`the Go client failed: ${err.stderr ?? ''}${err.stdout ?? ''}`);
    });
    console.log(run.stdout.trimEnd());
    const lines = run.stdout.trim().split('\n');
    assert.equal(lines[0], `primary ${NODE_A}`);
    const created = /^created (\S+) primary (\S+) path (\S+)$/.exec(lines[1]!);
    assert.ok(created, lines[1]);
    const id = created[1]!;
    assert.equal(created[2], NODE_A);
    assert.equal(lines[2], `found ${id}`);
    assert.equal(lines[3], `moved ${id} primary ${NODE_B}`);
    assert.equal(lines[4], `deleted ${id} status 200`);
    assert.match(lines[5]!, /^gone /);

    const ds = await fs.server.registry.kind<Dataset>('datasets', 'default').find(systemContext, id);
    assert.equal(ds?.spec.metadata?.name, 'go-demo');
    assert.equal(ds?.spec.maximumSize, 107374182400, 'the client\'s default size');
    assert.equal(ds?.spec.primary, MACHINE_B);
    assert.equal(ds?.spec.deleted, true);
  });
});
