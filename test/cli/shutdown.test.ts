// `drover dev` and `drover server` stop promptly on SIGTERM/SIGINT whatever clients are
// connected: watches end with an event saying where to resume, followed logs end, and the
// process exits (once it waited for its HTTP clients: a followed log held it 300 s).
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir, until } from '../helpers.js';
import { drover, startServing, type ServingDrover } from './drover.js';

/** `drover dev` or `drover server` on `dir`, with its config file (and HOME) beside it. */
async function start(args: string[], dir: string): Promise<ServingDrover & { config: string }> {
  const config = join(dir, 'config.yaml');
  const server = await startServing([...args, '--data', dir], { config, context: args[0] === 'dev' ? 'dev' : 'default', env: { HOME: dir } });
  return { ...server, config };
}

/** Reads a streaming response into a string as it arrives. */
function collect(res: Response): { text: () => string; done: Promise<void> } {
  let text = '';
  const done = (async () => {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) text += decoder.decode(chunk, { stream: true });
    } catch {
      // the server went away
    }
  })();
  return { text: () => text, done };
}

describe('shutdown with clients connected', () => {
  for (const command of ['dev', 'server']) {
    it(`drover ${command} exits on SIGTERM while a watch${command === 'dev' ? ' and a followed log' : ''} are open; the watch is told where to resume`, async () => {
      const dir = tempDir();
      const s = await start(command === 'dev' ? ['dev', '--agents', '1'] : ['server', '--log-level', 'error'], join(dir, 'data'));
      try {
        const watch = collect(await s.fetch('/api/v1/services?watch=true'));
        await until(() => watch.text().includes('BOOKMARK'), 'the watch to start');
        let log: ReturnType<typeof collect> | undefined;
        if (command === 'dev') {
          // No --server: the CLI uses the context drover dev wrote, token included.
          const run = await drover(['run', 'sleeper', '--', 'sh', '-c', 'echo hello; exec sleep 1000'], { env: { DROVER_CONFIG: s.config } });
          assert.equal(run.code, 0, run.stderr);
          await until(async () => (await s.client.tasks.get('sleeper')).status?.phase === 'Running', 'the task to run');
          log = collect(await s.fetch('/api/v1/tasks/sleeper/log?follow=true'));
          await until(() => log!.text().includes('hello'), 'the followed log to show the output');
        }
        s.child.kill('SIGTERM');
        // Not a timing: before the fix the process stayed up for the 300 s of Node's request timeout.
        const code = await Promise.race([s.exited, new Promise((r) => setTimeout(() => r('still running'), 20_000))]);
        assert.equal(code, 0, `drover ${command} exit: ${String(code)}; output: ${s.output()}`);
        await watch.done;
        const last = watch.text().trim().split('\n').at(-1)!;
        const ev = JSON.parse(last);
        assert.equal(ev.type, 'ERROR');
        assert.equal(ev.object.error.code, 503);
        assert.match(ev.object.error.message, /shutting down; watch again from revision \d+/);
        assert.equal(typeof ev.object.metadata.revision, 'number');
        if (log) await log.done;
      } finally {
        if (s.child.exitCode === null) s.child.kill('SIGKILL');
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
