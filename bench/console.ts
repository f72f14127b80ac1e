// console-load: the web console's services page in Debian's chromium, from navigation to the
// first service row drawn, on a `drover dev` (server + 1 agent, 20 services), in a fresh browser
// context each time (empty cache: a first visit). The baseline is the least a page showing the
// same data can do: a bare node:http page whose script fetches the same list bytes and draws
// the rows, measured with the same browser in the same run.
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { startDev } from '../src/dev.js';
import { packageRoot } from '../src/paths.js';
import type { Row } from './report.js';
import { percentile, sortNumbers, tempDir } from './lib/util.js';

const SERVICES = 20;
/** The console keeps its session in sessionStorage under this key (src/ui/session.ts). */
const SESSION_KEY = 'drover.console.session';
const CHROMIUM = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p): p is string => !!p && existsSync(p));

// Recorded by the page itself (performance.now() is ms since navigation started), so the driver's
// round trips are not counted: the first moment a row of a service is in the document.
const FIRST_ROW_PROBE = `
  new MutationObserver((_, observer) => {
    if (document.querySelector('tr[data-service]')) { window.__firstRowMs = performance.now(); observer.disconnect(); }
  }).observe(document, { childList: true, subtree: true });
`;

export async function consoleLoad(opts: { quick: boolean }): Promise<Row[]> {
  if (!CHROMIUM) {
    console.error('console-load skipped: no chromium binary (apt-get install chromium, or set CHROMIUM_PATH)');
    return [];
  }
  if (!existsSync(join(packageRoot, 'dist', 'ui', 'index.html'))) throw new Error('dist/ui is not built: run npm run build');
  const loads = opts.quick ? 2 : 10;
  const dir = tempDir('console');
  const dev = await startDev({ agents: 1, listen: '127.0.0.1:0', dataDir: dir.path, auth: true, logLevel: 'error' });
  const auth = `Bearer ${dev.server.adminToken}`;
  let bare: Server | undefined;
  let browser: Browser | undefined;
  try {
    for (let i = 0; i < SERVICES; i++) {
      const res = await fetch(`${dev.url}/api/v1/namespaces/default/services`, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/json' },
        body: JSON.stringify({ metadata: { name: `web-${i}` }, spec: { replicas: 1, template: { command: ['sleep', '3600'] } } }),
      });
      if (res.status !== 201) throw new Error(`creating service web-${i}: ${res.status} ${await res.text()}`);
    }
    const list = Buffer.from(await (await fetch(`${dev.url}/api/v1/services`, { headers: { authorization: auth } })).arrayBuffer());
    bare = await bareConsole(list);
    const bareUrl = `http://127.0.0.1:${(bare.address() as { port: number }).port}/`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    const session = JSON.stringify({ authorization: auth, label: 'admin' });
    const firstRowMs = async (url: string): Promise<number> => {
      const context = await browser!.newContext({ viewport: { width: 1280, height: 800 } });
      try {
        await context.addInitScript(`sessionStorage.setItem(${JSON.stringify(SESSION_KEY)}, ${JSON.stringify(session)});${FIRST_ROW_PROBE}`);
        const page = await context.newPage();
        await page.goto(url);
        // Functions, not strings: the console's CSP forbids eval, which a string expression needs.
        const probe = () => (globalThis as { __firstRowMs?: number }).__firstRowMs;
        await page.waitForFunction(probe, undefined, { timeout: 10_000 });
        return (await page.evaluate(probe))!;
      } finally {
        await context.close();
      }
    };
    // One of each first (the browser's own start-up), then alternating, so neither side gets the quieter part.
    await firstRowMs(`${dev.url}/ui/#/services`);
    await firstRowMs(bareUrl);
    const drover: number[] = [];
    const baseline: number[] = [];
    for (let i = 0; i < loads; i++) {
      drover.push(await firstRowMs(`${dev.url}/ui/#/services`));
      baseline.push(await firstRowMs(bareUrl));
    }
    const d = percentile(sortNumbers(drover), 50);
    const b = percentile(sortNumbers(baseline), 50);
    const d95 = percentile(sortNumbers(drover), 95);
    return [
      {
        benchmark: 'console-load',
        metric: `console services page: navigation → first of ${SERVICES} rows, median of ${loads} cold loads (p95 ${d95.toFixed(0)} ms)`,
        value: d,
        unit: 'ms',
        baseline: { name: 'bare page fetching the same list', value: b },
        ratio: b / d,
        target: '≤ 1,000 ms',
        met: d <= 1000,
      },
    ];
  } finally {
    await browser?.close();
    await new Promise((r) => (bare ? bare.close(r) : r(undefined)));
    await dev.close();
    dir.remove();
  }
}

/** A page and script that fetch the list and draw its rows: what any page showing it must do. */
async function bareConsole(list: Buffer): Promise<Server> {
  const html = '<!doctype html><html><head><meta charset="utf-8"><script type="module" src="/app.js"></script></head><body><table><tbody id="rows"></tbody></table></body></html>';
  const js = `const r = await fetch('/list', { headers: { authorization: 'x' } });
const list = await r.json();
const body = document.getElementById('rows');
for (const s of list.items) {
  const tr = document.createElement('tr');
  tr.dataset.service = s.metadata.name;
  for (const v of [s.metadata.name, s.metadata.namespace, String(s.spec.replicas)]) { const td = document.createElement('td'); td.textContent = v; tr.append(td); }
  body.append(tr);
}`;
  const server = createServer((req, res) => {
    if (req.url === '/app.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
    else if (req.url === '/list') res.writeHead(200, { 'content-type': 'application/json' }).end(list);
    else res.writeHead(200, { 'content-type': 'text/html' }).end(html);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return server;
}
