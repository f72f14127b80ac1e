#!/usr/bin/env node
// Compiles the per-task supervisor (native/drover-shim.c) into dist/drover-shim with the
// system C compiler (the same toolchain better-sqlite3 needs).
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';

mkdirSync('dist', { recursive: true });
const cc = process.env.CC ?? 'cc';
const r = spawnSync(cc, ['-O2', '-Wall', '-o', 'dist/drover-shim', 'native/drover-shim.c'], { stdio: 'inherit' });
if (r.error || r.status !== 0) {
  console.error(`error: could not compile native/drover-shim.c with ${cc}${r.error ? `: ${r.error.message}` : ''}; install a C compiler (apt-get install gcc) and run npm run build`);
  process.exit(1);
}
