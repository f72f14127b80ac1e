// The console's files at /ui/, over real HTTP from a server that authenticates: open to
// strangers (they hold no data) while the API stays closed, with the caching and security
// headers a browser needs. Built by `npm run build` (scripts/build-ui.mjs) into dist/ui.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { packageRoot } from '../../src/paths.js';
import { startTestServer, type TestServer } from '../helpers.js';

const built = join(packageRoot, 'dist', 'ui');

describe('the console at /ui/', { skip: existsSync(join(built, 'index.html')) ? false : 'dist/ui is not built (npm run build)' }, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ auth: true });
  });
  after(() => server.close());

  it('serves the page to a stranger, never cached, under a content security policy that allows only the server itself', async () => {
    const res = await fetch(`${server.url}/ui/`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^text\/html/);
    assert.equal(res.headers.get('cache-control'), 'no-cache');
    const csp = res.headers.get('content-security-policy')!;
    for (const directive of ["default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"]) assert.ok(csp.includes(directive), `${directive} in ${csp}`);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    const page = await res.text();
    // Every asset the page names is one of ours, by content hash, and is served.
    const assets = [...page.matchAll(/(?:src|href)="(assets\/[^"]+)"/g)].map((m) => m[1]!);
    assert.equal(assets.length, 2, page);
    for (const asset of assets) {
      assert.match(asset, /-[A-Z0-9]{8}\.(js|css)$/);
      const a = await fetch(`${server.url}/ui/${asset}`);
      assert.equal(a.status, 200, asset);
      assert.equal(a.headers.get('cache-control'), 'public, max-age=31536000, immutable');
      assert.match(a.headers.get('content-type')!, asset.endsWith('.js') ? /^text\/javascript/ : /^text\/css/);
      assert.ok((await a.arrayBuffer()).byteLength > 100);
    }
  });

  it('the bundle loads nothing from elsewhere: no URL of another host in the page or its assets', async () => {
    for (const file of readdirSync(join(built, 'assets')).filter((f) => f.endsWith('.js') || f.endsWith('.css'))) {
      const text = await (await fetch(`${server.url}/ui/assets/${file}`)).text();
      // Preact's source names its docs in error strings; nothing is fetched from there. An import or a stylesheet from a CDN would show as one of these.
      assert.doesNotMatch(text, /import\s*["'(]https?:|@import\s+url\(https?:|from\s*"https?:/, file);
    }
  });

  it('keeps the API closed to strangers while the console is open', async () => {
    assert.equal((await fetch(`${server.url}/api/v1/services`)).status, 401);
    assert.equal((await fetch(`${server.url}/ui/`)).status, 200);
    // Only reads: a write to a console path is the API's business, and needs credentials.
    assert.equal((await fetch(`${server.url}/ui/`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })).status, 401);
  });

  it('redirects /ui to /ui/ and answers an unknown asset with a 404 in the error envelope', async () => {
    const redirect = await fetch(`${server.url}/ui`, { redirect: 'manual' });
    assert.equal(redirect.status, 301);
    assert.equal(redirect.headers.get('location'), '/ui/');
    const missing = await fetch(`${server.url}/ui/assets/main-OLDBUILD.js`);
    assert.equal(missing.status, 404);
    const body = (await missing.json()) as { error: { reason: string; message: string } };
    assert.equal(body.error.reason, 'NotFound');
    assert.match(body.error.message, /no console asset "main-OLDBUILD\.js"/);
    assert.equal((await fetch(`${server.url}/ui/assets/..%2Fstate.db`)).status, 404);
  });
});
