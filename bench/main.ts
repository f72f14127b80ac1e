// `npm run bench [-- NAME…] [--quick]`: runs benchmarks, each printing its figures beside a
// baseline measured in the same run (ratios decide on these noisy machines). Only a full run
// (no names, no --quick) records results under bench/results/.
import { benchmarks } from './registry.js';
import { printTable, writeResults, type Row } from './report.js';

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
for (const b of selected) {
  console.error(`running ${b.name}${quick ? ' (quick)' : ''}…`);
  const got = await b.run({ quick });
  // Each benchmark's rows as soon as it ends, so an interrupted run keeps what it measured.
  for (const r of got) console.error(`  ${r.metric}: ${r.value.toFixed(2)} ${r.unit}${r.baseline ? ` vs ${r.baseline.value.toFixed(2)} (${r.baseline.name})` : ''}${r.ratio === undefined ? '' : `, ratio ${r.ratio.toFixed(2)}`}`);
  rows.push(...got);
}
printTable(rows);
if (!quick && names.length === 0) {
  const file = writeResults(rows);
  console.error(`results written to ${file}`);
}
