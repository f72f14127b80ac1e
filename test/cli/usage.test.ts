// What a user learns from the CLI without a server: examples in every command's help, usage
// errors that name the help to read (exit 2), and a server that accepts connections but never
// answers, named with the timeout.
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Command } from 'commander';
import { allCommands, commandPath } from '../../src/cli/help.js';
import { buildProgram } from '../../src/cli/program.js';
import { drover } from './drover.js';

function helpOf(cmd: Command): string {
  let text = '';
  const saved = cmd.configureOutput();
  cmd.configureOutput({ writeOut: (s) => (text += s) });
  cmd.outputHelp();
  cmd.configureOutput(saved);
  return text;
}

describe('drover usage', () => {
  it('every command\'s --help ends with examples', async () => {
    const program = await buildProgram({ serverCommands: 'all' });
    const visible = allCommands(program).filter((c) => !(c as unknown as { _hidden?: boolean })._hidden);
    assert.ok(visible.length > 40, `the whole tree is walked (${visible.length} commands)`);
    const without = visible.filter((c) => !/\nExamples:\n {2}drover /.test(helpOf(c))).map(commandPath);
    assert.deepEqual(without, [], 'commands without examples');
    assert.match((await drover(['scale', '--help'])).stdout, /Examples:\n {2}drover scale service\/web --replicas 5/, 'and the built binary prints them');
  });

  it('usage errors name the help of the command they were made in and exit 2', async () => {
    for (const [args, message] of [
      [['get', '--bogus'], /^error: unknown option '--bogus' \(run drover get --help for usage\)\n$/],
      [['rollout', 'status'], /^error: missing required argument 'service' \(run drover rollout status --help for usage\)\n$/],
      [['scale', 'svc', 'web', '--replicas', 'x'], /^error: .*--replicas takes a whole number ≥ 0, got "x" \(run drover scale --help for usage\)\n$/],
      // thrown by the command itself, not by commander
      [['wait', 'task/x', '--for=soon'], /^error: --for must be .*, got "soon" \(run drover wait --help for usage\)\n$/],
      [['delete', 'svc'], /^error: delete svc needs NAME\.\.\., --all, -l SELECTOR, or use -f FILE \(run drover delete --help for usage\)\n$/],
      [['exec', 'web-1'], /^error: exec needs a command after --.* \(run drover exec --help for usage\)\n$/],
    ] as const) {
      const r = await drover([...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
  });

  describe('a server that accepts connections and never answers', () => {
    let silent: Server;
    let url: string;
    const held = new Set<Socket>();
    before(async () => {
      silent = createServer((s) => held.add(s));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
      url = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
    });
    after(async () => {
      for (const s of held) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    });

    it('fails with the server\'s address and the timeout (--request-timeout, DROVER_REQUEST_TIMEOUT)', async () => {
      const flag = await drover(['--server', url, '--request-timeout', '1s', 'get', 'svc']);
      assert.equal(flag.code, 1);
      assert.equal(flag.stderr, `error: the server at ${url} did not answer within 1s\n`);
      // Streams too: their answer must begin within the timeout.
      for (const args of [['get', 'svc', '-w'], ['logs', '-f', 'web-1'], ['apply', '-f', '-']]) {
        const env = await drover(['--server', url, ...args], { env: { DROVER_REQUEST_TIMEOUT: '500ms' }, input: 'kind: Service\nmetadata: {name: x}\nspec: {template: {command: [x]}}\n' });
        assert.equal(env.code, 1, args.join(' '));
        assert.equal(env.stderr, `error: the server at ${url} did not answer within 500ms\n`, args.join(' '));
      }
      const bad = await drover(['--server', url, '--request-timeout', 'soon', 'get', 'svc']);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--request-timeout must look like 30s/);
    });
  });
});
