#!/usr/bin/env node
// Bundles the web console (src/ui) with esbuild into dist/ui: assets named by their content
// hash (the server caches them for a year) and an index.html that names them (revalidated on
// every load). No CDN, nothing fetched at run time.
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { build } from 'esbuild';

const out = 'dist/ui';
const result = await build({
  entryPoints: ['src/ui/main.tsx', 'src/ui/style.css'],
  outdir: `${out}/assets`,
  entryNames: '[name]-[hash]',
  // Code loaded on first use (the terminal's xterm.js) goes into its own chunks.
  splitting: true,
  chunkNames: 'chunk-[hash]',
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome120', 'firefox120', 'safari17'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: true,
  sourcemap: 'linked',
  metafile: true,
  logLevel: 'warning',
});
const outputs = Object.entries(result.metafile.outputs);
const named = (entry) => basename(outputs.find(([, o]) => o.entryPoint === entry)[0]);
const page = readFileSync('src/ui/index.html', 'utf8')
  .replace('{{js}}', `assets/${named('src/ui/main.tsx')}`)
  .replace('{{css}}', `assets/${named('src/ui/style.css')}`);
writeFileSync(`${out}/index.html`, page);
