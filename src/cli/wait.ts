// `drover wait`: until a condition holds (a condition type, a phase, deletion) — or, as soon as
// it is known, that it never will: a task that ended Failed is never going to be Succeeded.
import type { Command } from 'commander';
import type { Service } from '../client/client.js';
import { TERMINAL_PHASES, type AnyObject } from '../model/index.js';
import { clientFor } from './config.js';
import { examples } from './help.js';
import { parseRef, resolveKind, resourceOf, type CliKind } from './kinds.js';
import { resolveMachineName } from './machine-names.js';
import { parseDuration, ProgressLine, sleep, UsageError } from './output.js';
import { rolloutState } from './rollout.js';

export function registerWaitCommand(program: Command): void {
  program
    .command('wait')
    .description('wait for a condition: --for=condition=Ready (or any condition type), --for=delete, or --for=phase=PHASE; fails at once when it can no longer happen')
    .argument('<targets...>', 'KIND/NAME..., or KIND NAME...')
    .requiredOption('--for <condition>', 'condition=TYPE[=STATUS] (Ready: machines Ready, services rolled out, tasks Running), delete, or phase=PHASE')
    .option('--timeout <duration>', 'give up after this long (exit 1)', '30s')
    .addHelpText(
      'after',
      examples(`
        drover wait task/backup --for=phase=Succeeded --timeout 10m   # exit 1 at once if it ends Failed
        drover wait service/web --for=condition=Ready                 # rolled out and ready
        drover wait machine/1a2b3c4d --for=condition=Ready
        drover wait svc web db --for=delete`),
    )
    .action(async (args: string[], opts: { for: string; timeout: string }, cmd: Command) => {
      const test = conditionTest(opts.for);
      const timeoutMs = parseDuration(opts.timeout, '--timeout');
      const client = clientFor(cmd);
      const targets: { kind: CliKind; name: string }[] = [];
      if (args[0]!.includes('/')) for (const a of args) targets.push(parseRef(a));
      else {
        const kind = resolveKind(args[0]!);
        if (args.length < 2) throw new UsageError('wait needs KIND NAME... or KIND/NAME...');
        for (const n of args.slice(1)) targets.push({ kind, name: n });
      }
      for (const t of targets) if (t.kind.plural === 'machines') t.name = await resolveMachineName(client, t.name).catch(() => t.name);
      const deadline = Date.now() + timeoutMs;
      const progress = new ProgressLine();
      for (const t of targets) {
        const ref = `${t.kind.singular}/${t.name}`;
        for (;;) {
          const obj = await resourceOf(client, t.kind).find(t.name);
          const { isMet, isImpossible, message } = test(obj, t);
          if (isMet) {
            progress.done();
            console.log(`${ref} ${opts.for === 'delete' ? 'deleted' : 'condition met'}`);
            break;
          }
          if (isImpossible) {
            progress.done();
            throw new Error(`${ref} will not meet ${opts.for}: ${message}`);
          }
          progress.update(`waiting for ${ref}: ${message}`);
          if (Date.now() > deadline) {
            progress.done();
            throw new Error(`timed out after ${opts.timeout} waiting for ${ref} (${opts.for}): ${message}`);
          }
          await sleep(200);
        }
      }
    });
}

interface Verdict {
  isMet: boolean;
  /** The object is where it can never leave (a terminal phase): the condition can no longer be met. */
  isImpossible?: boolean;
  message: string;
}

type ConditionTest = (obj: AnyObject | undefined, t: { kind: CliKind; name: string }) => Verdict;

/** "phase Failed: exited with code 1" */
function phaseText(obj: AnyObject): string {
  const st = obj.status ?? {};
  const why = [st.reason, st.message ?? st.error].filter(Boolean).join(': ');
  return `phase ${st.phase ?? 'Pending'}${why ? ` (${why})` : ''}`;
}

/** Operations end Succeeded or Failed; tasks Succeeded, Failed or Lost. */
const isFinal = (obj: AnyObject) => TERMINAL_PHASES.has(obj.status?.phase ?? '');

function conditionTest(spec: string): ConditionTest {
  if (spec === 'delete') return (obj) => ({ isMet: !obj, message: obj?.metadata.deletionTimestamp ? 'being deleted' : 'still exists' });
  const phase = /^phase=(\w+)$/i.exec(spec);
  if (phase) {
    const want = phase[1]!.toLowerCase();
    return (obj) => {
      if (!obj) return { isMet: false, message: 'not found' };
      const isMet = (obj.status?.phase ?? 'Pending').toLowerCase() === want;
      return { isMet, isImpossible: !isMet && isFinal(obj), message: isFinal(obj) && !isMet ? `it reached ${phaseText(obj)}` : phaseText(obj) };
    };
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
    if (type === 'Ready' && (t.kind.plural === 'tasks' || t.kind.plural === 'operations') && !obj.status?.conditions?.some((c: { type: string }) => c.type === 'Ready')) {
      const isReady = obj.status?.phase === (t.kind.plural === 'tasks' ? 'Running' : 'Succeeded');
      const isMet = isReady === (want === 'True');
      return { isMet, isImpossible: !isMet && isFinal(obj), message: isFinal(obj) && !isMet ? `it reached ${phaseText(obj)}` : phaseText(obj) };
    }
    const c = (obj.status?.conditions as { type: string; status: string; message?: string }[] | undefined)?.find((c) => c.type === type);
    return { isMet: c?.status === want, message: c ? `${type} is ${c.status}${c.message ? `: ${c.message}` : ''}` : `no ${type} condition yet` };
  };
}
