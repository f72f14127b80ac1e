#!/usr/bin/env node
// Launcher: runs the compiled CLI, so `npx drover` needs no TypeScript tooling at run time.
import('../dist/src/cli/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/src/cli/main.js')) {
    console.error('error: drover is not built; run `npm run build` (npm ci does it) and try again');
    process.exit(1);
  }
  throw err;
});
