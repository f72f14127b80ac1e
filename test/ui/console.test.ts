// The web console in a real browser (Debian's chromium through playwright-core) against what
// `drover dev` runs: a server that authenticates and real agents running real tasks. One story
// after another on one cluster: log in with the one-time link, watch a service come up without a
// reload, follow a log, scale, survive dropped streams, and see only what one may do.
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { startDev, type RunningDev } from '../../src/dev.js';
import { packageRoot } from '../../src/paths.js';
import { tempDir, until } from '../helpers.js';
import { launchBrowser, screenshot, skipBrowser, untilCount, untilText } from './browser.js';

const isBuilt = existsSync(join(packageRoot, 'dist', 'ui', 'index.html'));

describe('the web console in a browser', { skip: skipBrowser || (isBuilt ? false : 'dist/ui is not built (npm run build)') }, () => {
  let dir: string;
  let dev: RunningDev;
  let browser: Browser;
  /** The administrator's page, logged in by the first test and used by the next ones. */
  let adminPage: Page;

  /** A request to the API as the administrator (the test's own hands, not the console's). */
  async function api(method: string, path: string, body?: unknown, auth = `Bearer ${dev.server.adminToken}`): Promise<{ status: number; body: any }> {
    const res = await fetch(`${dev.url}${path}`, {
      method,
      headers: { authorization: auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  async function created(path: string, body: unknown): Promise<void> {
    const res = await api('POST', path, body);
    assert.equal(res.status, 201, JSON.stringify(res.body));
  }

  /** A fresh browser session (its own sessionStorage) logged in with a user name and password. */
  async function logInAs(user: string, password: string): Promise<Page> {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    await page.goto(`${dev.url}/ui/`);
    await page.getByLabel('User', { exact: true }).fill(user);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Log in', exact: true }).click();
    await untilText(page.getByTestId('user'), user);
    return page;
  }

  /** The page's actions are settled: the server said what this user may do here. */
  const actionsKnown = (page: Page) => untilCount(page.locator('[data-testid=actions][aria-busy=false]'), 1);
  const runningTasks = (page: Page) => page.locator('[data-testid=tasks] tr[data-task]').filter({ hasText: 'Running' });

  before(async () => {
    dir = tempDir('drover-console-');
    dev = await startDev({ agents: 2, listen: '127.0.0.1:0', dataDir: dir, auth: true });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await dev?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('logs in with drover dev\'s link once: the token leaves the address bar and the link is dead afterwards', async () => {
    const link = (await dev.consoleLoginUrl())!;
    const linkToken = decodeURIComponent(link.split('#login=')[1]!);
    adminPage = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    await adminPage.goto(link);
    await untilText(adminPage.getByTestId('user'), 'admin');
    assert.equal(new URL(adminPage.url()).hash, '#/');
    await untilText(adminPage.getByTestId('machines-ready'), '2 of 2 ready');
    await untilText(adminPage.getByTestId('connection'), 'live');
    await screenshot(adminPage, 'overview');

    // The link's token was traded for a session and revoked: neither the API nor the console takes it again.
    assert.equal((await api('GET', '/api/v1', undefined, `Bearer ${linkToken}`)).status, 401);
    const again = await (await browser.newContext()).newPage();
    await again.goto(link);
    await untilText(again.getByTestId('error'), /the login link did not work/);
    assert.equal(await again.getByTestId('user').count(), 0);
    await again.context().close();
  });

  it('shows a service created through the API, its tasks turning Running and a task\'s log growing, without a reload', async () => {
    const page = adminPage;
    // A reload would clear this: the page must change by itself.
    await page.evaluate(() => ((globalThis as unknown as { unreloaded: boolean }).unreloaded = true));
    await page.getByRole('link', { name: 'Services', exact: true }).click();
    await created('/api/v1/services', {
      metadata: { name: 'web' },
      spec: { replicas: 2, template: { command: ['sh', '-c', 'echo console-says-hi; i=0; while :; do echo "tick $i"; i=$((i+1)); sleep 0.5; done'], resources: { cpu: '50m', memory: '16Mi' } } },
    });
    await untilText(page.locator('tr[data-service=web] .ready'), '2/2');
    await page.getByRole('link', { name: 'web', exact: true }).click();
    await untilCount(runningTasks(page), 2);
    await untilText(page.getByTestId('template'), /console-says-hi/);
    await screenshot(page, 'service');

    await runningTasks(page).first().getByRole('link').click();
    await untilText(page.getByTestId('phase'), /^Running/);
    await untilText(page.getByTestId('restarts'), '0');
    const log = page.getByTestId('log');
    const first = await untilText(log, /console-says-hi[\s\S]*tick (\d+)/);
    const ticks = [...first.matchAll(/tick (\d+)/g)].map((m) => Number(m[1]));
    const newest = Math.max(...ticks);
    // A line written after the page had the log arrives on its own.
    await untilText(log, new RegExp(`tick ${newest + 2}\\b`));
    await screenshot(page, 'task');

    // Killed, it runs again (restartPolicy always), the restart is counted, and the new run's log is followed.
    await page.getByRole('button', { name: 'Kill' }).click();
    await untilText(page.getByTestId('restarts'), '1');
    await untilText(page.getByTestId('phase'), /^Running/);
    await untilText(log, /console-says-hi[\s\S]*console-says-hi[\s\S]*tick \d+/);
    assert.equal(await page.evaluate(() => (globalThis as unknown as { unreloaded?: boolean }).unreloaded), true);
  });

  it('opens a terminal beside a running task: what one types runs there, its output and exit code show', async () => {
    const page = adminPage;
    await untilText(page.getByTestId('phase'), /^Running/);
    await page.getByRole('button', { name: 'Open terminal' }).click();
    await untilText(page.getByTestId('terminal-state'), '(connected: sh)');
    const screen = page.locator('[data-testid=terminal] .xterm-rows');
    // Typed once the shell has prompted, as a person would (root's prompt is "# ").
    await untilText(screen, /^[#$]/);
    // The keyboard's focus is in the terminal already: no click needed.
    await page.keyboard.type('echo hello-$((6*7))');
    await page.keyboard.press('Enter');
    await untilText(screen, /hello-42/);
    // xterm's own styles (written as <style> elements the CSP refuses) apply as adopted sheets: white on black.
    assert.equal(await screen.evaluate((el) => el.ownerDocument.defaultView!.getComputedStyle(el).color), 'rgb(255, 255, 255)');
    await screenshot(page, 'terminal');
    await page.keyboard.type('exit 3');
    await page.keyboard.press('Enter');
    await untilText(page.getByTestId('terminal-exit'), 'exited with code 3');
    await untilText(page.getByTestId('terminal-state'), '(disconnected)');
    await page.getByRole('button', { name: 'Start again' }).click();
    await untilText(page.getByTestId('terminal-state'), '(connected: sh)');
    await page.keyboard.type('echo again-$((1+1))');
    await page.keyboard.press('Enter');
    await untilText(screen, /again-2/);
  });

  it('scales a service from its page and shows the count change', async () => {
    const page = adminPage;
    await page.goto(`${dev.url}/ui/#/services/default/web`);
    await untilCount(runningTasks(page), 2);
    await page.getByLabel('Replicas').fill('3');
    await page.getByRole('button', { name: 'Scale' }).click();
    await untilText(page.getByTestId('desired'), '3');
    await untilCount(runningTasks(page), 3);
    await untilText(page.getByTestId('ready'), '3');
    assert.equal((await api('GET', '/api/v1/services/web')).body.spec.replicas, 3);
  });

  it('resumes its watches when the server drops them, and shows what changed meanwhile', async () => {
    const page = adminPage;
    await page.getByRole('link', { name: 'Services', exact: true }).click();
    await untilText(page.locator('tr[data-service=web] .ready'), '3/3');
    // What a server going away does to every stream: each ends with its last words (503).
    dev.server.endStreams();
    await created('/api/v1/services', { metadata: { name: 'after-drop' }, spec: { replicas: 0, template: { command: ['sleep', '600'] } } });
    await untilCount(page.locator('tr[data-service=after-drop]'), 1);
    await untilText(page.getByTestId('connection'), 'live');
  });

  it('creates a service from the YAML editor: a bad field is named at its path, the fixed document comes up', async () => {
    const page = adminPage;
    await page.getByRole('link', { name: 'Services', exact: true }).click();
    await page.getByRole('link', { name: 'New service…' }).click();
    const yaml = (replicas: number) => `metadata: {name: from-yaml, namespace: default}\nspec:\n  replicas: ${replicas}\n  template: {command: [sleep, "600"], resources: {cpu: 10m, memory: 8Mi}}\n`;
    await page.getByLabel('Service (YAML)').fill(yaml(-1));
    await page.getByRole('button', { name: 'Create' }).click();
    await untilText(page.getByTestId('field-errors'), /\/spec\/replicas/);
    await screenshot(page, 'new-service-invalid');
    assert.equal((await api('GET', '/api/v1/services/from-yaml')).status, 404);

    await page.getByLabel('Service (YAML)').fill(yaml(1));
    await page.getByRole('button', { name: 'Create' }).click();
    await until(() => new URL(page.url()).hash === '#/services/default/from-yaml', () => `the new service's page (at ${page.url()})`);
    await untilCount(runningTasks(page), 1);
  });

  it('shows a view-only user the service but no scale control, and refuses a wrong password', async () => {
    await created('/api/v1/users', { name: 'vic', password: 'vic-password', groups: [] });
    await created('/api/v1/clusterrolebindings', { metadata: { name: 'vic-view' }, spec: { roleRef: { kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'User', name: 'vic' }] } });

    const refused = await (await browser.newContext()).newPage();
    await refused.goto(`${dev.url}/ui/`);
    await refused.getByLabel('User', { exact: true }).fill('vic');
    await refused.getByLabel('Password', { exact: true }).fill('not-the-password');
    await refused.getByRole('button', { name: 'Log in', exact: true }).click();
    await untilText(refused.getByTestId('error'), /wrong user name or password/);
    await refused.context().close();

    const page = await logInAs('vic', 'vic-password');
    await page.goto(`${dev.url}/ui/#/services/default/web`);
    // Loaded first (else an absent button proves nothing), then: nothing to scale with.
    await untilText(page.getByTestId('desired'), '3');
    await untilCount(runningTasks(page), 3);
    await actionsKnown(page);
    assert.equal(await page.getByRole('button', { name: 'Scale' }).count(), 0);
    assert.equal(await page.getByLabel('Replicas').count(), 0);
    await screenshot(page, 'service-view-only');
    await runningTasks(page).first().getByRole('link').click();
    await untilText(page.getByTestId('restarts'), /^\d+$/);
    await untilText(page.getByTestId('log'), /tick \d+/);
    await actionsKnown(page);
    assert.equal(await page.getByRole('button', { name: 'Kill' }).count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Open terminal' }).count(), 0);
    assert.equal(await page.getByTestId('terminal').count(), 0);
    await page.context().close();
  });

  it('shows scale where the server would allow it, and a 403 as a clear message when the rights changed meanwhile', async () => {
    await created('/api/v1/namespaces', { metadata: { name: 'team-a' } });
    await created('/api/v1/namespaces/team-a/services', { metadata: { name: 'api' }, spec: { replicas: 1, template: { command: ['sleep', '600'], resources: { cpu: '10m', memory: '8Mi' } } } });
    await created('/api/v1/users', { name: 'ann', password: 'ann-password', groups: [] });
    await created('/api/v1/clusterrolebindings', { metadata: { name: 'ann-view' }, spec: { roleRef: { kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'User', name: 'ann' }] } });
    await created('/api/v1/namespaces/team-a/rolebindings', { metadata: { name: 'ann-edit' }, spec: { roleRef: { kind: 'ClusterRole', name: 'edit' }, subjects: [{ kind: 'User', name: 'ann' }] } });

    const page = await logInAs('ann', 'ann-password');
    // Discovery says ann may patch services (in team-a); here, in default, the server would refuse: no control.
    await page.goto(`${dev.url}/ui/#/services/default/web`);
    await untilText(page.getByTestId('desired'), '3');
    await untilCount(runningTasks(page), 3);
    await actionsKnown(page);
    assert.equal(await page.getByRole('button', { name: 'Scale' }).count(), 0);

    await page.goto(`${dev.url}/ui/#/services/team-a/api`);
    await untilText(page.getByTestId('desired'), '1');
    await untilCount(page.getByRole('button', { name: 'Scale' }), 1);
    // Her edit rights go while the page is open: the server's 403 is what she sees.
    assert.equal((await api('DELETE', '/api/v1/namespaces/team-a/rolebindings/ann-edit')).status, 200);
    await page.getByLabel('Replicas').fill('2');
    await page.getByRole('button', { name: 'Scale' }).click();
    const message = await untilText(page.getByTestId('error'), /^Not allowed: /);
    assert.match(message, /ann.*cannot patch services "api" in namespace "team-a"/);
    await screenshot(page, 'service-forbidden');
    assert.equal((await api('GET', '/api/v1/namespaces/team-a/services/api')).body.spec.replicas, 1);
    await untilText(page.getByTestId('desired'), '1');
    await page.context().close();
  });
});
