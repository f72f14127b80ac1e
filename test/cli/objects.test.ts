// scale, delete --all, wait on phases, finished tasks, validation errors, apply -f DIR, rollout
// history and completion of names, against a real server without agents.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestServer, tempDir, type TestServer } from '../helpers.js';
import { baseEnv, cli, droverBin } from './drover.js';

const MACHINE = 'cccccccc000000000000000000000003';

const service = (name: string, extra = '', command = 'sleep 300') => `kind: Service\nmetadata: {name: ${name}${extra}}\nspec: {replicas: 2, template: {command: [sh, -c, '${command}']}}\n`;

describe('drover object commands', () => {
  let server: TestServer;
  let d: ReturnType<typeof cli>;
  const dir = tempDir('drover-cli-objects-');
  before(async () => {
    server = await startTestServer();
    d = cli(server.url);
    await server.client.machines.create({ metadata: { name: MACHINE } });
  });
  after(async () => {
    await server.close();
  });

  it('values with control characters reach the terminal escaped, in tables and describe', async () => {
    const evil = 'x\x1b]0;owned\x07\x1b[2J\rY';
    await server.client.machines.patch(MACHINE, { metadata: { labels: { note: evil } } });
    for (const args of [['get', 'machines'], ['describe', `machine/${MACHINE}`]]) {
      const out = await d.ok(args);
      assert.doesNotMatch(out, /[\x00-\x09\x0b-\x1f\x7f-\x9f]/, `${args.join(' ')}: no control character but newlines`);
      assert.ok(out.includes('note=x\\x1b]0;owned\\x07\\x1b[2J\\rY'), `${args.join(' ')} shows them escaped:\n${out}`);
    }
    await server.client.machines.patch(MACHINE, { metadata: { labels: { note: null } } });
  });

  it('scale service/NAME and scale svc NAME set spec.replicas; a global service or a wrong --current-replicas changes nothing', async () => {
    await d.ok(['apply', '-f', '-'], { input: service('web') });
    assert.equal(await d.ok(['scale', 'service/web', '--replicas', '5']), 'service/web scaled\n');
    assert.equal((await server.client.services.get('web')).spec.replicas, 5);
    assert.equal(await d.ok(['scale', 'svc', 'web', '--replicas', '0']), 'service/web scaled\n');
    assert.equal((await server.client.services.get('web')).spec.replicas, 0);
    const stale = await d.run(['scale', 'svc/web', '--current-replicas', '3', '--replicas', '1']);
    assert.equal(stale.code, 1);
    assert.match(stale.stderr, /has 0 replicas, not 3 \(--current-replicas\); nothing changed/);
    assert.equal(await d.ok(['scale', 'svc/web', '--current-replicas', '0', '--replicas', '1']), 'service/web scaled\n');
    assert.equal((await server.client.services.get('web')).spec.replicas, 1);
    await server.client.services.create({ metadata: { name: 'everywhere' }, spec: { global: true, template: { command: ['true'] } } });
    const global = await d.run(['scale', 'service/everywhere', '--replicas', '2']);
    assert.equal(global.code, 1);
    assert.match(global.stderr, /service "everywhere" is global/);
    assert.equal((await server.client.services.get('everywhere')).spec.replicas, undefined);
    assert.equal((await d.run(['scale', 'task/x', '--replicas', '2'])).code, 2);
    assert.equal((await d.run(['scale', 'svc', 'missing', '--replicas', '2'])).stderr, 'error: service "missing" not found\n');
  });

  it('delete KIND --all deletes and reports every object; with -l only those that match', async () => {
    for (const [name, app] of [['a1', 'a'], ['a2', 'a'], ['b1', 'b']]) {
      await server.client.tasks.create({ metadata: { name, labels: { app: app! } }, spec: { template: { command: ['true'] } } });
    }
    assert.equal(await d.ok(['delete', 'tasks', '--all', '-l', 'app=a']), 'task/a1 deleted\ntask/a2 deleted\n');
    assert.deepEqual((await server.client.tasks.list({ labelSelector: 'app' })).items.map((t) => t.metadata.name), ['b1']);
    const all = await d.ok(['delete', 'svc', '--all']);
    assert.equal(all, 'service/everywhere deleted\nservice/web deleted\n');
    assert.equal((await server.client.services.list()).items.length, 0);
    const none = await d.run(['delete', 'svc', '--all']);
    assert.equal(none.code, 0);
    assert.equal(none.stderr, 'no services found\n');
    assert.equal((await d.run(['delete', 'svc', 'x', '--all'])).code, 2, 'names and --all together');
  });

  it('wait --for=phase=Succeeded fails at once, naming the phase reached and why, when the task ends otherwise', async () => {
    await server.client.tasks.create({ metadata: { name: 'job' }, spec: { template: { command: ['false'] } } });
    await server.client.tasks.patchStatus('job', { phase: 'Failed', reason: 'Error', message: 'exited with code 1', exitCode: 1 });
    // A deadline far beyond the test's: only failing at once passes.
    const r = await d.run(['wait', 'task/job', '--for=phase=Succeeded', '--timeout', '10m']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split('\n').pop(), 'error: task/job will not meet phase=Succeeded: it reached phase Failed (Error: exited with code 1)');
    assert.equal(await d.ok(['wait', 'task/job', '--for=phase=failed']), 'task/job condition met\n', 'the phase reached, in any case');
    const ready = await d.run(['wait', 'task/job', '--for=condition=Ready', '--timeout', '10m']);
    assert.equal(ready.code, 1, 'a finished task will never be Running either');
    assert.match(ready.stderr, /it reached phase Failed/);
  });

  it('apply of a finished task with a changed spec says it will not run again, exits 1 and changes nothing', async () => {
    const task = (cmd: string) => `kind: Task\nmetadata: {name: once}\nspec: {template: {command: [echo, ${cmd}]}}\n`;
    await d.ok(['apply', '-f', '-'], { input: task('one') });
    await server.client.tasks.patch('once', { spec: { machine: MACHINE } }); // as the scheduler would
    await server.client.tasks.patchStatus('once', { phase: 'Succeeded', exitCode: 0 });
    const before = await server.client.tasks.get('once');
    assert.equal(await d.ok(['apply', '-f', '-'], { input: task('one') }), 'task/once unchanged\n', 'the same manifest: nothing to say');
    const r = await d.run(['apply', '-f', '-'], { input: task('two') });
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'error: stdin: task/once: task/once is finished (Succeeded) and will not run again; delete it and apply again (apply --force does both), or use a Service\n');
    const after = await server.client.tasks.get('once');
    assert.deepEqual(after.spec, before.spec, 'spec untouched, still bound to its machine');
    assert.equal(after.metadata.generation, before.metadata.generation);
  });

  it('every field error of a refused manifest is listed with its path and file, enum errors with the allowed values', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'kind: Service\nmetadata: {name: bad}\nspec: {replicas: -1, strategy: bogus, desiredState: nope, foo: 1, template: {command: [x], restartPolicy: sometimes, env: {A: 1}}}\n');
    const r = await d.run(['apply', '-f', file]);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      `error: ${file}: service/bad: invalid object, 6 problems:
  /spec/foo: unknown field
  /spec/replicas: expected integer to be greater or equal to 0
  /spec/desiredState: must be one of "running", "loaded", "inactive", got "nope"
  /spec/strategy: must be one of "spread", "binpack", got "bogus"
  /spec/template/env/A: expected string
  /spec/template/restartPolicy: must be one of "always", "on-failure", "never", got "sometimes"
`,
    );
    assert.equal(await server.client.services.find('bad'), undefined);
    const run = await d.run(['run', 'r', '--cpu', 'lots', '--', 'true']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^error: invalid object: \/spec\/template\/resources\/cpu: .+\n$/, 'one problem: one line');
  });

  it('apply -f DIR applies every valid file and reports each failure with its file, then exits 1', async () => {
    const manifests = join(dir, 'manifests');
    mkdirSync(manifests);
    writeFileSync(join(manifests, '1-ok.yaml'), service('first'));
    writeFileSync(join(manifests, '2-broken.yaml'), 'kind: Service\nmetadata: {name: x\n');
    writeFileSync(join(manifests, '3-refused.yaml'), `${service('second')}---\nkind: Service\nmetadata: {name: refused}\nspec: {replicas: -2, template: {command: [x]}}\n`);
    writeFileSync(join(manifests, '4-nokind.json'), '{"metadata":{"name":"y"}}');
    writeFileSync(join(manifests, '5-ok.yaml'), service('third'));
    const r = await d.run(['apply', '-f', manifests, '-f', join(dir, 'missing.yaml')]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, 'service/first created\nservice/second created\nservice/third created\n');
    const lines = r.stderr.split('\n');
    assert.match(lines[0]!, new RegExp(`^error: ${manifests}/2-broken\\.yaml: not valid YAML: .+`));
    assert.match(lines[1]!, new RegExp(`^error: ${manifests}/3-refused\\.yaml \\(document 2\\): service/refused: invalid object: /spec/replicas: `));
    assert.equal(lines[2], `error: ${manifests}/4-nokind.json: kind is missing; add e.g. "kind: Service"`);
    assert.equal(lines[3], `error: ${join(dir, 'missing.yaml')}: cannot read it: no such file or directory`);
    assert.equal(lines[4], 'error: 4 of 7 manifests failed; the others were applied');
    assert.deepEqual((await server.client.services.list()).items.map((s) => s.metadata.name).sort(), ['first', 'second', 'third']);
    const strict = await d.run(['delete', '-f', manifests]);
    assert.equal(strict.code, 1, 'delete -f acts on all or nothing');
    assert.match(strict.stderr, /^error: 2 problems in the manifests; nothing was done:\n/);
    assert.equal((await server.client.services.list()).items.length, 3);
  });

  it('rollout history shows the current template, the previous one and the templates tasks run', async () => {
    await d.ok(['apply', '-f', '-'], { input: service('hist') });
    await d.ok(['apply', '-f', '-'], { input: service('hist', '', 'sleep 301') });
    const out = await d.ok(['rollout', 'history', 'service/hist']);
    const lines = out.trimEnd().split('\n');
    assert.equal(lines[0], 'service/hist');
    assert.match(lines[1]!, /^TEMPLATE\s+TASKS\s+SINCE\s+COMMAND\s+NOTE$/);
    assert.match(out, /^\S+\s+(none left|\d+ live.*)\s+\S+\s+sh -c sleep 300\s+previous: drover rollout undo restores it$/m);
    assert.match(lines.at(-1)!, /^[0-9a-f]{10}\s+\d+ live\s+\d+s\s+sh -c sleep 301\s+current \(generation 2\)$/);
    assert.equal((await d.run(['rollout', 'history', 'task/x'])).code, 2);
  });

  it('bash completion offers names from the server, and nothing when the server cannot be reached', async () => {
    const bin = tempDir('drover-cli-bin-');
    writeFileSync(join(bin, 'drover'), `#!/bin/sh\nexec "${process.execPath}" "${droverBin}" "$@"\n`);
    chmodSync(join(bin, 'drover'), 0o755);
    // The script once (it lists every command, so it loads the server's too), sourced per case.
    const scriptFile = join(bin, 'drover.bash');
    writeFileSync(scriptFile, await d.ok(['completion', 'bash']));
    const complete = (words: string[], url = server.url) =>
      new Promise<string>((resolve) => {
        const script = `source ${scriptFile}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _drover; printf '%s\\n' "\${COMPREPLY[@]}"`;
        const child = spawn('bash', ['-c', script], { env: baseEnv({ PATH: `${bin}:${process.env.PATH}`, DROVER_SERVER: url }) });
        let out = '';
        child.stdout.on('data', (b: Buffer) => (out += b.toString()));
        child.on('close', () => resolve(out));
      });
    for (const name of ['comp-one', 'comp-two']) await server.client.services.create({ metadata: { name }, spec: { replicas: 0, template: { command: ['true'] } } });
    assert.equal(await complete(['drover', 'get', 'svc', 'comp-']), 'comp-one\ncomp-two\n');
    assert.equal(await complete(['drover', 'describe', 'service', 'comp-t']), 'comp-two\n');
    assert.equal(await complete(['drover', 'get', 'svc/comp-o']), 'svc/comp-one\n');
    assert.equal(await complete(['drover', '--server', server.url, 'rollout', 'status', 'comp-t'], 'http://127.0.0.1:1'), 'comp-two\n', 'the --server typed on the line');
    assert.equal(await complete(['drover', 'cordon', '']), `${MACHINE}\n`);
    assert.equal(await complete(['drover', 'get', 'svc', 'comp-'], 'http://127.0.0.1:1'), '\n', 'unreachable: no names, no noise');
    assert.match(await complete(['drover', 'sc']), /^scale$/m, 'commands as before');
  });
});
