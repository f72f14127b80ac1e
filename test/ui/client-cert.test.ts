// Logging in to the console with a client certificate: a `drover server` serving HTTPS (drover
// dev serves plain HTTP, where there is no certificate to present), and Debian's chromium
// presenting a certificate of the cluster CA through playwright's clientCertificates.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { packageRoot } from '../../src/paths.js';
import { issueCertificate } from '../../src/security/pki.js';
import { startTestServer, type TestServer } from '../helpers.js';
import { launchBrowser, screenshot, skipBrowser, untilCount, untilText } from './browser.js';

const isBuilt = existsSync(join(packageRoot, 'dist', 'ui', 'index.html'));

describe('console login with a client certificate', { skip: skipBrowser || (isBuilt ? false : 'dist/ui is not built (npm run build)') }, () => {
  let s: TestServer;
  let browser: Browser;

  before(async () => {
    s = await startTestServer({ auth: true, tls: true });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await s?.close();
  });

  it('offers "Use my client certificate" when the browser presents one of the cluster CA, and logs in without a header', async () => {
    const carol = await issueCertificate(s.server.pki.ca, { commonName: 'carol', organizations: ['system:administrators'], usage: 'client', days: 1 });
    // The server's certificate is the cluster CA's, which the browser does not know: trust it for this test only.
    const context = await browser.newContext({
      ignoreHTTPSErrors: true,
      viewport: { width: 1280, height: 800 },
      clientCertificates: [{ origin: s.url, cert: Buffer.from(carol.cert), key: Buffer.from(carol.key) }],
    });
    const page = await context.newPage();
    const headers: (string | undefined)[] = [];
    page.on('request', (r) => r.url().includes('/api/v1') && headers.push(r.headers().authorization));
    await page.goto(`${s.url}/ui/`);
    await untilText(page.getByTestId('certificate-user'), 'carol');
    await page.getByRole('button', { name: 'Use my client certificate' }).click();
    await untilText(page.getByTestId('user'), 'carol');
    await untilText(page.getByTestId('connection'), 'live');
    await screenshot(page, 'login-client-certificate');
    assert.ok(headers.length > 0);
    assert.deepEqual(headers.filter((h) => h !== undefined), [], 'no request carried an Authorization header');
    await context.close();
  });

  it('offers no certificate login to a browser without one', async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    // The question is asked and answered (401) before the absence of the button means anything.
    const asked = page.waitForResponse((r) => r.url().includes('/api/v1/auth/can-i'));
    await page.goto(`${s.url}/ui/`);
    assert.equal((await asked).status(), 401);
    await untilCount(page.getByRole('button', { name: 'Log in with token' }), 1);
    assert.equal(await page.getByRole('button', { name: 'Use my client certificate' }).count(), 0);
    await context.close();
  });
});
