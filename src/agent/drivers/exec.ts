// The exec driver: command + args + env + workingDir, one shim-supervised process group.
import type { Task } from '../../client/client.js';
import { plainEnv } from '../../model/index.js';
import { resolveRunAs, runAsEnv } from '../run-as.js';
import { Supervised } from '../supervisor.js';
import type { Driver, Run, StartContext } from './driver.js';

export class ExecDriver implements Driver {
  readonly name = 'exec';
  constructor(
    private readonly shimPath: string,
    private readonly logMaxBytes: number,
  ) {}

  async start(task: Task, ctx: StartContext): Promise<Run> {
    const t = task.spec.template;
    const argv = [...(t.command ?? []), ...(t.args ?? [])];
    // Like systemd, a task without a working directory runs in /.
    const credentials = resolveRunAs(t.user, t.group);
    const env = { ...ctx.baseEnv, ...runAsEnv(credentials), ...plainEnv(t.env) };
    const run = await Supervised.start(ctx.dir, { argv, env, cwd: t.workingDir || '/', credentials }, this.shimPath, this.logMaxBytes);
    await run.waitStarted();
    return execRun(run);
  }

  adopt(_task: Task, ctx: StartContext): Run | undefined {
    const run = Supervised.adopt(ctx.dir);
    return run && execRun(run);
  }
}

export function execRun(run: Supervised): Run {
  return {
    get pid() {
      return run.pid?.pid;
    },
    exited: run.exited,
    stop: (graceMs) => run.stop(graceMs),
    signal: (s) => run.signal(s),
    detach: () => run.detach(),
    supervisor: run.shim,
    killForMemory: (exceeded, pids) => run.killForMemory(exceeded, pids),
  };
}
