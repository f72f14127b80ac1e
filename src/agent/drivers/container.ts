// The container driver: runs a template's image through podman or docker — whichever works on
// this machine, found once by asking each for `info` (docker's fails without its daemon) — as one
// shim-supervised `run --rm` process, so stopping, logs and exit codes work as for exec. With no
// working engine the task is not failed but left waiting with the reason NoContainerEngine.
import { execFile } from 'node:child_process';
import type { Task } from '../../client/client.js';
import { plainEnv, volumeEnvName } from '../../model/index.js';
import { Supervised } from '../supervisor.js';
import { execRun } from './exec.js';
import { TaskCannotStart, type Driver, type Run, type StartContext } from './driver.js';

export const CONTAINER_ENGINES = ['podman', 'docker'] as const;
export const NO_ENGINE_REASON = 'NoContainerEngine';
const PROBE_TIMEOUT_MS = 15_000;

/** The first of `engines` whose `info` succeeds, or undefined. */
export async function findEngine(engines: readonly string[], path = process.env.PATH): Promise<string | undefined> {
  for (const engine of engines) {
    const works = await new Promise<boolean>((resolve) => {
      execFile(engine, ['info'], { timeout: PROBE_TIMEOUT_MS, env: { ...process.env, PATH: path } }, (err) => resolve(!err));
    });
    if (works) return engine;
  }
  return undefined;
}

export class ContainerDriver implements Driver {
  readonly name = 'container';
  private engine?: Promise<string | undefined>;

  constructor(
    private readonly shimPath: string,
    private readonly logMaxBytes: number,
    private readonly engines: readonly string[] = CONTAINER_ENGINES,
  ) {}

  /** The engine, probed on first use only: a start must not pay for it each time. */
  engineFound(): Promise<string | undefined> {
    return (this.engine ??= findEngine(this.engines));
  }

  async start(task: Task, ctx: StartContext): Promise<Run> {
    const t = task.spec.template;
    const engine = await this.engineFound();
    if (!engine) {
      throw new TaskCannotStart(
        NO_ENGINE_REASON,
        `no container engine works on this machine: looked for ${this.engines.join(' and ')} on PATH (\`<engine> info\` must succeed); install one (or start docker's daemon) and restart the agent to run image "${t.image}"`,
      );
    }
    const env = plainEnv(t.env);
    const volumes = (t.volumes ?? []).flatMap((v) => {
      const host = ctx.baseEnv[volumeEnvName(v.dataset)];
      return host ? ['--volume', `${host}:${v.path}${v.readOnly ? ':ro' : ''}`] : [];
    });
    const argv = [
      engine,
      'run',
      '--rm',
      // Named after the task's directory (its uid), so a leftover is easy to find and remove.
      '--name',
      `drover-${task.metadata.uid}`,
      ...Object.entries(env).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
      ...volumes,
      t.image!,
      ...(t.command ?? []),
      ...(t.args ?? []),
    ];
    const run = await Supervised.start(ctx.dir, { argv, env: ctx.baseEnv, cwd: '/' }, this.shimPath, this.logMaxBytes);
    await run.waitStarted();
    return execRun(run);
  }

  adopt(_task: Task, ctx: StartContext): Run | undefined {
    const run = Supervised.adopt(ctx.dir);
    return run && execRun(run);
  }
}
