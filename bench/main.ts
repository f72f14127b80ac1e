// `npm run bench [-- NAME…] [--quick]`: runs benchmarks, each printing its figures beside a
// baseline measured in the same run (ratios decide on these noisy machines). Only a full run
// (no names, no --quick) records results under bench/results/.
import { benchmarks } from './registry.js';
import { formatRatio, printTable, writeResults, type Row } from './report.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const names = args.filter((a) => !a.startsWith('--'));
const unknown = names.filter((n) => !benchmarks.some((b) => b.name === n));
if (unknown.length) {
  console.error(`error: unknown benchmark ${unknown.join(', ')}; known: ${benchmarks.map((b) => b.name).join(', ') || '(none yet)'}`);
  process.exit(2);
}
const selected = names.length ? benchmarks.filter((b) => names.includes(b.name)) : benchmarks;
const rows: Row[] = [];
const failed: string[] = [];
const started = performance.now();
const seconds = (t0: number) => ((performance.now() - t0) / 1000).toFixed(1);
for (const b of selected) {
  console.error(`running ${b.name}${quick ? ' (quick)' : ''}…`);
  const t0 = performance.now();
  let got: Row[];
  try {
    got = await b.run({ quick });
  } catch (err) {
    // One benchmark that fails does not lose the others' figures: it shows as a failed row.
    console.error(`${b.name} failed: ${(err as Error).stack ?? String(err)}`);
    failed.push(b.name);
    got = [{ benchmark: b.name, metric: `failed: ${String((err as Error).message ?? err).split('\n')[0]}`, value: NaN, unit: '', met: false }];
  }
  console.error(`${b.name} took ${seconds(t0)} s`);
  // Each benchmark's rows as soon as it ends, so an interrupted run keeps what it measured.
  for (const r of got) console.error(`  ${r.metric}: ${r.value.toFixed(2)} ${r.unit}${r.baseline ? ` vs ${r.baseline.value.toFixed(2)} (${r.baseline.name})` : ''}${r.ratio === undefined ? '' : `, ratio ${formatRatio(r.ratio)}`}`);
  rows.push(...got);
}
printTable(rows);
if (!quick && names.length === 0) {
  const file = writeResults(rows);
  console.error(`results written to ${file}`);
}
console.error(`total ${seconds(started)} s for ${selected.length} benchmark${selected.length === 1 ? '' : 's'}${quick ? ' (quick)' : ''}`);
if (failed.length) console.error(`failed: ${failed.join(', ')}`);
// Done: a timer or socket a benchmark left behind must not hold the run open.
process.exit(failed.length ? 1 : 0);
