// `drover rollout status|pause|resume|undo service/NAME` and `drover wait`: watching a service
// converge, with a progress line on a TTY and plain lines otherwise.
import type { Command } from 'commander';
import type { Client, Service } from '../client/client.js';
import type { AnyObject } from '../model/index.js';
import { PREVIOUS_TEMPLATE_ANNOTATION, rememberTemplate } from './apply.js';
import { clientFor } from './config.js';
import { parseRef, resolveKind, resourceOf, type CliKind } from './kinds.js';
import { resolveMachineName } from './machine-names.js';
import { parseDuration, ProgressLine, sleep, UsageError } from './output.js';

function serviceRef(arg: string): string {
  const ref = parseRef(arg, 'service');
  if (ref.kind.plural !== 'services') throw new UsageError(`rollout works on services, not ${ref.kind.plural}`);
  return ref.name;
}

/** Whether the service has converged on its current spec, and a line saying where it is. */
export function rolloutState(s: Service): { isDone: boolean; message: string } {
  const st = s.status ?? {};
  const desired = st.desiredReplicas ?? s.spec.replicas ?? 1;
  const name = `service/${s.metadata.name}`;
  if ((st.observedGeneration ?? 0) < s.metadata.generation) return { isDone: false, message: `${name}: waiting for the controller to see generation ${s.metadata.generation}` };
  if (s.spec.desiredState === 'inactive') return { isDone: (st.replicas ?? 0) === 0, message: `${name}: inactive, ${st.replicas ?? 0} tasks left` };
  if (s.spec.paused && (st.updatedReplicas ?? 0) < desired) return { isDone: false, message: `${name}: rollout paused at ${st.updatedReplicas ?? 0}/${desired} updated (drover rollout resume ${name})` };
  const updated = st.updatedReplicas ?? 0;
  const ready = st.readyReplicas ?? 0;
  const total = st.replicas ?? 0;
  if (s.spec.desiredState === 'loaded') return { isDone: updated >= desired && total === desired, message: `${name}: ${updated}/${desired} tasks loaded` };
  if (updated < desired) return { isDone: false, message: `${name}: ${updated} of ${desired} tasks updated, ${ready} ready` };
  if (total > desired) return { isDone: false, message: `${name}: ${total - desired} old tasks waiting to stop` };
  if (ready < desired) return { isDone: false, message: `${name}: ${ready} of ${desired} updated tasks ready` };
  return { isDone: true, message: `${name} rolled out: ${ready}/${desired} ready` };
}

async function rolloutStatus(client: Client, name: string, timeoutMs: number, watch: boolean): Promise<void> {
  const progress = new ProgressLine(process.stdout);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await client.services.get(name);
    const { isDone, message } = rolloutState(s);
    if (isDone || !watch) {
      progress.done(message);
      if (!isDone && !watch) process.exitCode = 1;
      return;
    }
    progress.update(message);
    if (Date.now() > deadline) {
      progress.done();
      throw new Error(`timed out waiting for service "${name}" to roll out: ${message}`);
    }
    await sleep(250);
  }
}

export function registerRolloutCommands(program: Command): void {
  const rollout = program
    .command('rollout')
    .description('follow and steer a service\'s rolling update')
    .addHelpText(
      'after',
      `\nundo restores the template recorded in the annotation ${PREVIOUS_TEMPLATE_ANNOTATION}, which drover apply and\ndrover rollout undo write whenever they change a service's template (changes made by other clients are not recorded).`,
    );

  rollout
    .command('status')
    .description('wait until the service runs its current template everywhere (exit 1 on timeout)')
    .argument('<service>', 'service/NAME or NAME')
    .option('--timeout <duration>', 'give up after this long', '5m')
    .option('--no-watch', 'print the state once and exit (1 if not rolled out)')
    .action(async (arg: string, opts: { timeout: string; watch: boolean }, cmd: Command) => {
      await rolloutStatus(clientFor(cmd), serviceRef(arg), parseDuration(opts.timeout, '--timeout'), opts.watch);
    });

  for (const [verb, paused] of [['pause', true], ['resume', false]] as const) {
    rollout
      .command(verb)
      .description(paused ? 'stop replacing tasks (lost tasks are still replaced)' : 'continue a paused rollout')
      .argument('<service>', 'service/NAME or NAME')
      .action(async (arg: string, _opts: unknown, cmd: Command) => {
        const name = serviceRef(arg);
        const client = clientFor(cmd);
        const before = await client.services.get(name);
        if (!!before.spec.paused === paused) return void console.log(`service/${name} already ${paused ? 'paused' : 'resumed'}`);
        await client.services.patch(name, { spec: { paused: paused ? true : null } });
        console.log(`service/${name} ${paused ? 'paused' : 'resumed'}`);
      });
  }

  rollout
    .command('undo')
    .description(`go back to the template before the last change made through the CLI (from the ${PREVIOUS_TEMPLATE_ANNOTATION} annotation)`)
    .argument('<service>', 'service/NAME or NAME')
    .action(async (arg: string, _opts: unknown, cmd: Command) => {
      const name = serviceRef(arg);
      const client = clientFor(cmd);
      const current = await client.services.get(name);
      const recorded = current.metadata.annotations?.[PREVIOUS_TEMPLATE_ANNOTATION];
      if (!recorded) throw new Error(`service "${name}" has no previous template recorded; only changes made with drover apply or rollout undo can be undone`);
      const previous = JSON.parse(recorded) as Service['spec']['template'];
      const updated = await client.services.patch(name, { spec: { template: previous } }, { ifMatch: current.metadata.revision });
      await rememberTemplate(client, current, updated);
      console.log(`service/${name} rolled back`);
    });

  program
    .command('wait')
    .description('wait for a condition: --for=condition=Ready (or any condition type), --for=delete, or --for=phase=PHASE')
    .argument('<targets...>', 'KIND/NAME..., or KIND NAME...')
    .requiredOption('--for <condition>', 'condition=TYPE[=STATUS] (Ready: machines Ready, services rolled out, tasks Running), delete, or phase=PHASE')
    .option('--timeout <duration>', 'give up after this long (exit 1)', '30s')
    .action(async (args: string[], opts: { for: string; timeout: string }, cmd: Command) => {
      const client = clientFor(cmd);
      const targets: { kind: CliKind; name: string }[] = [];
      if (args[0]!.includes('/')) for (const a of args) targets.push(parseRef(a));
      else {
        const kind = resolveKind(args[0]!);
        if (args.length < 2) throw new UsageError('wait needs KIND NAME... or KIND/NAME...');
        for (const n of args.slice(1)) targets.push({ kind, name: n });
      }
      for (const t of targets) if (t.kind.plural === 'machines') t.name = await resolveMachineName(client, t.name).catch(() => t.name);
      const test = conditionTest(opts.for);
      const deadline = Date.now() + parseDuration(opts.timeout, '--timeout');
      const progress = new ProgressLine();
      for (const t of targets) {
        for (;;) {
          const obj = await resourceOf(client, t.kind).find(t.name);
          const { isMet, message } = test(obj, t);
          if (isMet) {
            progress.done();
            console.log(`${t.kind.singular}/${t.name} ${opts.for === 'delete' ? 'deleted' : 'condition met'}`);
            break;
          }
          progress.update(`waiting for ${t.kind.singular}/${t.name}: ${message}`);
          if (Date.now() > deadline) {
            progress.done();
            throw new Error(`timed out after ${opts.timeout} waiting for ${t.kind.singular}/${t.name} (${opts.for}): ${message}`);
          }
          await sleep(200);
        }
      }
    });
}

type ConditionTest = (obj: AnyObject | undefined, t: { kind: CliKind; name: string }) => { isMet: boolean; message: string };

function conditionTest(spec: string): ConditionTest {
  if (spec === 'delete') return (obj) => ({ isMet: !obj, message: obj?.metadata.deletionTimestamp ? 'being deleted' : 'still exists' });
  const phase = /^phase=(\w+)$/i.exec(spec);
  if (phase) {
    return (obj) => ({ isMet: obj?.status?.phase === phase[1], message: obj ? `phase ${obj.status?.phase ?? 'Pending'}` : 'not found' });
  }
  const m = /^condition=([A-Za-z]+)(?:=(True|False|Unknown|true|false))?$/.exec(spec);
  if (!m) throw new UsageError(`--for must be condition=TYPE[=STATUS], delete or phase=PHASE, got "${spec}"`);
  const type = m[1]!;
  const want = m[2] ? m[2][0]!.toUpperCase() + m[2].slice(1).toLowerCase() : 'True';
  return (obj, t) => {
    if (!obj) return { isMet: false, message: 'not found' };
    // "Ready" for kinds that do not carry a Ready condition: what an operator means by it.
    if (type === 'Ready' && t.kind.plural === 'services') {
      const { isDone, message } = rolloutState(obj as Service);
      return { isMet: isDone === (want === 'True'), message };
    }
    if (type === 'Ready' && t.kind.plural === 'tasks' && !obj.status?.conditions?.some((c: { type: string }) => c.type === 'Ready')) {
      const running = obj.status?.phase === 'Running';
      return { isMet: running === (want === 'True'), message: `phase ${obj.status?.phase ?? 'Pending'}` };
    }
    if (type === 'Ready' && t.kind.plural === 'operations') {
      const done = obj.status?.phase === 'Succeeded';
      return { isMet: done === (want === 'True'), message: `phase ${obj.status?.phase ?? 'Pending'}` };
    }
    const c = (obj.status?.conditions as { type: string; status: string; message?: string }[] | undefined)?.find((c) => c.type === type);
    return { isMet: c?.status === want, message: c ? `${type} is ${c.status}${c.message ? `: ${c.message}` : ''}` : `no ${type} condition yet` };
  };
}
