// How an Operation's per-host steps read on a terminal: the table `describe operation` prints, and
// the one-line progress a waiting command shows.
import type { Operation } from '../client/client.js';
import type { OperationStep } from '../model/index.js';
import { age, printTable } from './output.js';

/** "12s" from start to finish, or since the start while it runs. */
function took(s: OperationStep, now: number): string {
  if (!s.startedAt) return '';
  const end = s.finishedAt ? Date.parse(s.finishedAt) : now;
  return age(new Date(Date.parse(s.startedAt) - (end - now)).toISOString(), now);
}

/** The steps as a table, indented under a "Steps:" heading; the message's first line only. */
export function printSteps(steps: OperationStep[], print: (line: string) => void = console.log): void {
  print('Steps:');
  if (steps.length === 0) return print('  <none>');
  const now = Date.now();
  const rows = steps.map((s) => [`  ${s.name}`, s.address ?? '', s.phase, took(s, now), (s.message ?? '').split('\n')[0]!]);
  printTable(['  HOST', 'ADDRESS', 'PHASE', 'TOOK', 'MESSAGE'], rows, 2);
  // A failure's output is the part worth reading in full.
  for (const s of steps.filter((x) => x.phase === 'Failed' && x.message?.includes('\n'))) {
    print(`  ${s.name} failed:`);
    for (const line of s.message!.split('\n')) print(`    ${line}`);
  }
}

/** One line saying where an operation is: "ClusterUpgrade prod: 1/3 hosts done; node-b in progress". */
export function progressText(op: Operation): string {
  const target = op.spec.target ? ` ${op.spec.target.name}` : '';
  const p = op.status?.progress;
  return `${op.spec.type}${target} (operation/${op.metadata.name}): ${op.status?.phase ?? 'Pending'}${p ? `, ${p.message ?? `${p.completed}/${p.total}`}` : ''}`;
}
