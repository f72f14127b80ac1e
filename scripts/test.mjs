#!/usr/bin/env node
// Runs the compiled test files (dist/**/*.test.js) with node's built-in test runner.
// Arguments filter the files by substring: `npm test -- store` runs only the store tests.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function find(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) find(p, out);
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const filters = process.argv.slice(2).filter((a) => !a.startsWith('-'));
// The longest files start first (longest-processing-time order): with two at a time, a several-
// minute file that happened to sort last would run alone at the end and set the suite's wall time.
// Measured by a full run (the suites' duration_ms); a file missing here just runs in name order.
const LONGEST_FIRST = [
  'test/hosts/cluster-operations.test.js',
  'test/hosts/ssh-hosts.test.js',
  'test/cli/resources.test.js',
  'test/ui/console.test.js',
  'test/cli/cluster.test.js',
  'test/cli/objects.test.js',
  'test/e2e/datasets-faults.test.js',
  'test/ui/pages.test.js',
  'test/e2e/health-checks.test.js',
  'test/cli/processes.test.js',
  'test/cli/config.test.js',
  'test/e2e/timers.test.js',
  'test/compat/replicante/local.test.js',
  'test/e2e/ingress.test.js',
  'test/etcd/quorum.test.js',
  'test/e2e/agents.test.js',
  'test/cli/datasets.test.js',
];
const rank = (f) => {
  const i = LONGEST_FIRST.findIndex((suffix) => f.endsWith(suffix));
  return i === -1 ? LONGEST_FIRST.length : i;
};
const files = find('dist')
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort()
  .sort((a, b) => rank(a) - rank(b));
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=2', '--test-timeout=300000', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
