// Interactive exec (GET …/tasks/NAME/exec as a WebSocket) end to end: a real server that
// authenticates, a real agent process, real commands on a real pty; who may and may not; and
// nothing left running once the client goes away.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { Client } from '../../src/client/client.js';
import { openExecSession } from '../../src/client/exec-session.js';
import { ApiError } from '../../src/errors.js';
import type { AuditRecord } from '../../src/security/audit-log.js';
import { EXEC_PROTOCOL, ExecChannel, execFrame, execProtocols, type ExecStatus } from '../../src/model/exec-stream.js';
import { baseEnv, droverBin } from '../cli/drover.js';
import { until } from '../helpers.js';
import { startCluster, type Cluster } from './cluster.js';

/** What a session said so far: its output (stdout and stderr apart) and, at the end, its status. */
function listen(ws: WebSocket) {
  const seen = { stdout: '', stderr: '', status: undefined as ExecStatus | undefined, closed: false };
  ws.on('message', (d: Buffer) => {
    const text = d.subarray(1).toString('utf8');
    if (d[0] === ExecChannel.stdout) seen.stdout += text;
    else if (d[0] === ExecChannel.stderr) seen.stderr += text;
    else if (d[0] === ExecChannel.status) seen.status = JSON.parse(text) as ExecStatus;
  });
  ws.once('close', () => (seen.closed = true));
  return seen;
}

/** `drover ARGS` on a terminal of its own (util-linux script makes the pty), fed `input`: its output, the terminal's modes after it, and its exit code. */
function droverOnTerminal(args: string[], env: Record<string, string>, input: string): Promise<{ code: number | null; out: string }> {
  const line = [process.execPath, droverBin, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  // After drover, the terminal's modes: raw mode left on would read "-icanon -echo".
  const modes = `stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e -icanon -e echo -e -echo | tr '\\n' ' '`;
  const child = spawn('script', ['-qfec', `stty cols 90 rows 20; ${line}; rc=$?; echo; echo "modes after: $(${modes})"; exit $rc`, '/dev/null'], { env: baseEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  child.stdin.end(input);
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise((resolve) => child.once('close', (code) => (clearTimeout(timer), resolve({ code, out }))));
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('interactive exec over a WebSocket', () => {
  let c: Cluster;
  let ann: Client, vic: Client;
  let annToken: string;

  before(async () => {
    c = await startCluster(1, { secure: true });
    const token = async (user: string) => (await c.client.request<{ token: string }>('POST', '/api/v1/tokens', { body: { user } })).body.token;
    annToken = await token('ann');
    const vicToken = await token('vic');
    await c.client.resource('clusterrolebindings').create({ metadata: { name: 'ann-edit' }, spec: { roleRef: { kind: 'ClusterRole', name: 'edit' }, subjects: [{ kind: 'User', name: 'ann' }] } } as never);
    await c.client.resource('clusterrolebindings').create({ metadata: { name: 'vic-view' }, spec: { roleRef: { kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'User', name: 'vic' }] } } as never);
    ann = new Client({ server: c.server.url, credentials: { token: annToken } });
    vic = new Client({ server: c.server.url, credentials: { token: vicToken } });
    await c.client.tasks.create({ metadata: { name: 'box' }, spec: { template: { command: ['sh', '-c', 'exec sleep 1000'], env: c.env({ GREETING: 'from-the-task' }), workingDir: '/tmp' } } });
    await until(async () => (await c.client.tasks.get('box')).status?.phase === 'Running', 'the task to run', 20_000);
  });
  after(async () => c.close());

  it('runs a command on a terminal: its output, in the task\'s environment, then its exit code', async () => {
    const ws = await openExecSession(ann, 'box', { command: ['sh', '-c', 'echo hello-$((6*7)) $GREETING $(pwd); test -t 1 && echo on-a-tty; exit 3'], tty: true });
    assert.equal(ws.protocol, EXEC_PROTOCOL);
    const seen = listen(ws);
    await until(() => seen.closed, 'the session to end');
    assert.match(seen.stdout, /hello-42 from-the-task \/tmp\r?\n/);
    assert.match(seen.stdout, /on-a-tty/);
    assert.equal(seen.status?.exitCode, 3);
  });

  it('runs as the task\'s user, on a terminal and without one, as POST exec does', async () => {
    await c.client.tasks.create({ metadata: { name: 'as-nobody' }, spec: { template: { command: ['sleep', '1000'], env: c.env(), user: 'nobody', workingDir: '/tmp' } } });
    await until(async () => (await c.client.tasks.get('as-nobody')).status?.phase === 'Running', 'the task to run', 20_000);
    for (const tty of [true, false]) {
      const seen = listen(await openExecSession(ann, 'as-nobody', { command: ['id', '-un'], tty }));
      await until(() => seen.closed, 'the session to end');
      assert.equal(seen.stdout.trim(), 'nobody', `tty ${tty}`);
    }
    const res = await ann.fetch('POST', ann.tasks.pathOf('as-nobody', '/exec'), { body: { command: ['id', '-un'] } });
    assert.match(await res.text(), /"data":"nobody\\n"/);
  });

  it('forwards stdin, ends it on an empty message, and keeps stdout and stderr apart without a tty', async () => {
    const ws = await openExecSession(ann, 'box', { command: ['sh', '-c', 'cat; echo done >&2'], stdin: true });
    const seen = listen(ws);
    ws.send(execFrame(ExecChannel.stdin, 'line one\n'));
    await until(() => seen.stdout === 'line one\n', () => `cat to echo the first line (stdout ${JSON.stringify(seen.stdout)})`);
    ws.send(execFrame(ExecChannel.stdin, 'line two\n'));
    ws.send(execFrame(ExecChannel.stdin));
    await until(() => seen.closed, 'the session to end');
    assert.equal(seen.stdout, 'line one\nline two\n');
    assert.equal(seen.stderr, 'done\n');
    assert.equal(seen.status?.exitCode, 0);
  });

  it('carries a large output whole, a client reading slowly included (flow control, not loss)', async () => {
    const ws = await openExecSession(ann, 'box', { command: ['head', '-c', '6000000', '/dev/zero'] });
    let bytes = 0;
    let status: ExecStatus | undefined;
    // Reading pauses now and then, as a slow terminal would; the command waits meanwhile.
    ws.on('message', (d: Buffer) => {
      if (d[0] === ExecChannel.stdout) bytes += d.length - 1;
      if (d[0] === ExecChannel.status) status = JSON.parse(d.subarray(1).toString('utf8')) as ExecStatus;
      if (bytes % 7 === 0) {
        ws.pause();
        setImmediate(() => ws.resume());
      }
    });
    await until(() => status, 'the status');
    assert.equal(bytes, 6_000_000);
    assert.equal(status!.exitCode, 0);
  });

  it('is a shell one types into, with a browser\'s credential as a subprotocol, and it resizes', async () => {
    // As a browser does: no Authorization header, the token in Sec-WebSocket-Protocol.
    const url = `${c.server.url.replace(/^http/, 'ws')}/api/v1/namespaces/default/tasks/box/exec?command=sh&tty=true&stdin=true&cols=100&rows=30`;
    const ws = new WebSocket(url, execProtocols(`Bearer ${annToken}`));
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    assert.equal(ws.protocol, EXEC_PROTOCOL, 'the credential is never the protocol chosen');
    const seen = listen(ws);
    ws.send(execFrame(ExecChannel.stdin, 'stty size; echo typed-$((2+3))\n'));
    await until(() => /30 100[\s\S]*typed-5/.test(seen.stdout), () => `the size and the echo (stdout ${JSON.stringify(seen.stdout)})`);
    ws.send(execFrame(ExecChannel.resize, JSON.stringify({ cols: 123, rows: 45 })));
    // The size changes on the pty a moment after the message: ask until it shows.
    await until(
      () => {
        ws.send(execFrame(ExecChannel.stdin, 'stty size\n'));
        return /45 123/.test(seen.stdout);
      },
      () => `the new size (stdout ${JSON.stringify(seen.stdout)})`,
    );
    ws.send(execFrame(ExecChannel.stdin, 'exit 7\n'));
    await until(() => seen.closed, 'the shell to exit');
    assert.equal(seen.status?.exitCode, 7);

    // A user and password travel the same way (a console session logged in with them).
    await c.client.request('POST', '/api/v1/users', { body: { name: 'bob', password: 'bob-password', groups: [] } });
    await c.client.resource('clusterrolebindings').create({ metadata: { name: 'bob-edit' }, spec: { roleRef: { kind: 'ClusterRole', name: 'edit' }, subjects: [{ kind: 'User', name: 'bob' }] } } as never);
    const basic = new WebSocket(url.replace('command=sh', 'command=whoami'), execProtocols(`Basic ${Buffer.from('bob:bob-password').toString('base64')}`));
    const heard = listen(basic);
    await until(() => heard.closed, 'the session as bob to end');
    assert.equal(heard.status?.exitCode, 0, JSON.stringify(heard));
  });

  it('kills everything the session started once the client goes away', async () => {
    // A background process that ignores SIGHUP would outlive a closed terminal: it must go too.
    const ws = await openExecSession(ann, 'box', { command: ['sh', '-c', 'trap "" HUP; sleep 1000 & echo pids $$ $!; wait'], tty: true });
    const seen = listen(ws);
    const m = await until(() => /pids (\d+) (\d+)/.exec(seen.stdout), 'the shell to say its pids');
    const pids = [Number(m[1]), Number(m[2])];
    assert.ok(pids.every(isAlive));
    ws.terminate();
    await until(() => !pids.some(isAlive), () => `processes ${pids.filter(isAlive).join(', ')} to be gone`);
  });

  it('drover exec -it: our terminal\'s size, what we type, the remote exit code as ours', async () => {
    const r = await droverOnTerminal(['--server', c.server.url, 'exec', '-it', 'box', '--', 'sh'], { DROVER_TOKEN: annToken }, 'stty size; echo typed-$((2+2))\nexit 4\n');
    assert.match(r.out, /20 90/, r.out);
    assert.match(r.out, /typed-4/, r.out);
    assert.match(r.out, /modes after: icanon echo/, r.out);
    assert.equal(r.code, 4, r.out);
  });

  it('refuses before the upgrade: 403 without exec, 404 unknown task, 409 not running, 400 no command or no upgrade', async () => {
    const rejects = (p: Promise<unknown>, code: number, text: RegExp) => assert.rejects(p, (e: unknown) => e instanceof ApiError && e.code === code && text.test(e.message));
    await rejects(openExecSession(vic, 'box', { command: ['id'], tty: true }), 403, /user "vic" cannot create tasks\/exec/);
    await rejects(openExecSession(ann, 'nope', { command: ['id'] }), 404, /task "nope" not found/);
    await rejects(openExecSession(ann, 'box', { command: [] }), 400, /parameter command is required/);
    await c.client.tasks.create({ metadata: { name: 'done' }, spec: { template: { command: ['true'], env: c.env(), restartPolicy: 'never' } } });
    await until(async () => (await c.client.tasks.get('done')).status?.phase === 'Succeeded', 'the task to finish');
    await rejects(openExecSession(ann, 'done', { command: ['id'] }), 409, /task "done" is not running \(phase Succeeded\)/);
    const plain = await fetch(`${c.server.url}/api/v1/tasks/box/exec?command=id`, { headers: { authorization: `Bearer ${annToken}` } });
    assert.equal(plain.status, 400);
    assert.match(await plain.text(), /needs a WebSocket upgrade/);
  });

  it('is audited like POST exec: who opened a session, and who was refused', async () => {
    const path = join(c.server.dir, 'audit.log');
    const records = () => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as AuditRecord) : []);
    const execs = () => records().filter((r) => r.subresource === 'exec' && r.name === 'box');
    await until(() => execs().some((r) => r.user === 'vic' && r.code === 403) && execs().some((r) => r.user === 'ann' && r.code === 101), () => `exec records for vic (403) and ann (101) (${JSON.stringify(execs())})`);
  });

  it('ends open sessions when the server shuts down, saying so, and kills their commands', async () => {
    const ws = await openExecSession(ann, 'box', { command: ['sh', '-c', 'echo pid $$; exec sleep 1000'], tty: true });
    const seen = listen(ws);
    const pid = Number((await until(() => /pid (\d+)/.exec(seen.stdout), 'the shell to say its pid'))[1]);
    await c.server.restart();
    await until(() => seen.closed, 'the session to end with the server');
    assert.match(seen.status?.error ?? '', /the server is shutting down/);
    await until(() => !isAlive(pid), `process ${pid} to be gone`);
  });
});
