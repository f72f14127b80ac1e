import { execSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';

export interface Row {
  benchmark: string;
  metric: string;
  value: number;
  unit: string;
  baseline?: { name: string; value: number };
  /** value / baseline (or the inverse for lower-is-better metrics), when compared. */
  ratio?: number;
  target?: string;
  met?: boolean;
}

export function printTable(rows: Row[]): void {
  console.log(markdown(rows));
}

function markdown(rows: Row[]): string {
  const lines = ['| benchmark | metric | value | baseline | ratio | target | met |', '|---|---|---|---|---|---|---|'];
  for (const r of rows) {
    const base = r.baseline ? `${fmt(r.baseline.value)} ${r.unit} (${r.baseline.name})` : '';
    const ratio = r.ratio === undefined ? '' : `ratio ${formatRatio(r.ratio)}`;
    lines.push(`| ${r.benchmark} | ${r.metric} | ${fmt(r.value)} ${r.unit} | ${base} | ${ratio} | ${r.target ?? ''} | ${r.met === undefined ? '' : r.met ? 'yes' : 'NO'} |`);
  }
  return lines.join('\n');
}

/** Two decimals, or three significant figures for small ratios (end-to-end vs. a pure core is ~0.01). */
export function formatRatio(r: number): string {
  return Math.abs(r) >= 0.1 || r === 0 ? r.toFixed(2) : r.toPrecision(3);
}

function fmt(v: number): string {
  return Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(2);
}

export function writeResults(rows: Row[]): string {
  const dir = join('bench', 'results');
  mkdirSync(dir, { recursive: true });
  let commit = 'unknown';
  try {
    commit = execSync('git rev-parse --short HEAD', { encoding: 'utf8' }).trim();
    // Uncommitted changes were measured too: say so.
    if (execSync("git status --porcelain --untracked-files=no -- . ':(exclude)bench/results'", { encoding: 'utf8' }).trim()) commit += '-dirty';
  } catch {
    // not a git checkout
  }
  const meta = { date: new Date().toISOString(), commit, cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version };
  writeFileSync(join(dir, 'latest.json'), JSON.stringify({ ...meta, rows }, null, 2) + '\n');
  const header = `# Benchmark results\n\n${meta.date} · commit ${meta.commit} · ${meta.cores} cores · ${meta.memoryGiB} GiB · Node ${meta.node}\n\n`;
  writeFileSync(join(dir, 'latest.md'), header + markdown(rows) + '\n');
  return join(dir, 'latest.md');
}
