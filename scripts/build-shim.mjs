#!/usr/bin/env node
// Compiles the per-task supervisor (native/drover-shim.c) into dist/drover-shim with the
// system C compiler (the same toolchain better-sqlite3 needs).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

mkdirSync('dist', { recursive: true });
const cc = process.env.CC ?? 'cc';
// Static when the C library allows (Debian's libc6-dev does): one shim runs beside every task, and
// a static one is ~0.9 MiB resident instead of ~1.6 MiB (mostly the dynamic loader's and libc's
// mapped pages). Dynamic otherwise, which works the same.
let r = spawnSync(cc, ['-O2', '-Wall', '-static', '-o', 'dist/drover-shim', 'native/drover-shim.c'], { stdio: ['ignore', 'ignore', 'pipe'] });
if (r.error || r.status !== 0) {
  console.error('note: no static C library; building the task supervisor dynamically linked');
  r = spawnSync(cc, ['-O2', '-Wall', '-o', 'dist/drover-shim', 'native/drover-shim.c'], { stdio: 'inherit' });
}
if (r.error || r.status !== 0) {
  console.error(`error: could not compile native/drover-shim.c with ${cc}${r.error ? `: ${r.error.message}` : ''}; install a C compiler (apt-get install gcc) and run npm run build`);
  process.exit(1);
}

// The unix socket peer's credentials (SO_PEERCRED) as a tiny Node-API addon, built against the
// headers installed with Node. Optional: without it the API socket trusts whoever its file mode
// lets connect (and the server says so at start).
const include = [join(dirname(process.execPath), '..', 'include', 'node'), '/usr/include/node'].find((d) => existsSync(join(d, 'node_api.h')));
const addon = include
  ? spawnSync(cc, ['-O2', '-Wall', '-shared', '-fPIC', '-DNODE_GYP_MODULE_NAME=drover_peercred', `-I${include}`, '-o', 'dist/drover-peercred.node', 'native/drover-peercred.c'], { stdio: 'inherit' })
  : undefined;
if (!addon || addon.error || addon.status !== 0) console.error('warning: could not build native/drover-peercred.c (Node headers not found or no compiler): unix socket peers are trusted by the socket\'s file mode alone');
