// The console's service page in a real browser against what `drover dev` runs: the service's
// YAML edited and applied (its tasks roll), a bad field refused by the server at its path, and a
// rollback to the previous template, each seen through the API.
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { parse, stringify } from 'yaml';
import { startDev, type RunningDev } from '../../src/dev.js';
import { packageRoot } from '../../src/paths.js';
import { tempDir } from '../helpers.js';
import { launchBrowser, screenshot, skipBrowser, untilCount, untilText } from './browser.js';

const isBuilt = existsSync(join(packageRoot, 'dist', 'ui', 'index.html'));

const TEMPLATE = { command: ['sleep', '600'], resources: { cpu: '10m', memory: '8Mi' } };

describe('the console\'s service editing and rollback', { skip: skipBrowser || (isBuilt ? false : 'dist/ui is not built (npm run build)') }, () => {
  let dir: string;
  let dev: RunningDev;
  let browser: Browser;
  let page: Page;

  async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(`${dev.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${dev.server.adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  const runningTasks = () => page.locator('[data-testid=tasks] tr[data-task]').filter({ hasText: 'Running' });
  const runningNames = async () => runningTasks().evaluateAll((rows) => rows.map((r) => r.getAttribute('data-task')!));

  /** Opens the editor, lets `change` rewrite the parsed document, and applies it. */
  async function editYaml(change: (doc: any) => void): Promise<void> {
    await page.getByRole('button', { name: 'Edit YAML' }).click();
    const editor = page.getByLabel(/Service \(YAML/);
    const doc = parse(await editor.inputValue());
    change(doc);
    await editor.fill(stringify(doc));
    await page.getByRole('button', { name: 'Apply' }).click();
  }

  before(async () => {
    dir = tempDir('drover-console-service-');
    dev = await startDev({ agents: 2, listen: '127.0.0.1:0', dataDir: dir, auth: true });
    browser = await launchBrowser();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    await page.goto((await dev.consoleLoginUrl())!);
    await untilText(page.getByTestId('user'), 'admin');
    assert.equal((await api('POST', '/api/v1/services', { metadata: { name: 'web' }, spec: { replicas: 2, template: TEMPLATE } })).status, 201);
    await page.goto(`${dev.url}/ui/#/services/default/web`);
    await untilCount(runningTasks(), 2, 30_000);
  });

  after(async () => {
    await browser?.close();
    await dev?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies an edited env from the YAML editor: the API has it and the tasks roll to new ones', async () => {
    const before = await runningNames();
    await editYaml((doc) => (doc.spec.template.env = { GREETING: 'from-the-console' }));
    await untilCount(page.getByLabel(/Service \(YAML/), 0);
    await untilText(page.getByTestId('template'), /GREETING: from-the-console/);
    assert.deepEqual((await api('GET', '/api/v1/services/web')).body.spec.template.env, { GREETING: 'from-the-console' });
    // New tasks run the new template, the old ones are gone.
    await untilCount(runningTasks().filter({ hasNot: page.locator(before.map((n) => `[data-task="${n}"]`).join(', ')) }), 2, 60_000);
    await untilCount(page.locator(before.map((n) => `[data-testid=tasks] tr[data-task="${n}"]`).join(', ')), 0, 60_000);
    await untilCount(page.locator('[data-testid=history] tr[data-previous=true]'), 1);
    await screenshot(page, 'service-edited');
  });

  it('shows the server\'s refusal of a bad field at its path, and changes nothing', async () => {
    const revision = (await api('GET', '/api/v1/services/web')).body.metadata.revision;
    await editYaml((doc) => (doc.spec.replicas = -1));
    await untilText(page.locator('[data-testid=field-errors] li[data-path="/spec/replicas"]'), /^\/spec\/replicas: .+/);
    await screenshot(page, 'service-edit-refused');
    const now = (await api('GET', '/api/v1/services/web')).body;
    assert.equal(now.metadata.revision, revision);
    assert.equal(now.spec.replicas, 2);
    await page.getByRole('button', { name: 'Cancel' }).click();
  });

  it('rolls back to the previous template: the env is gone through the API and the tasks roll again', async () => {
    const before = await runningNames();
    await page.getByRole('button', { name: 'Roll back' }).click();
    await untilText(page.getByTestId('template'), /^(?![\s\S]*GREETING)/);
    const svc = (await api('GET', '/api/v1/services/web')).body;
    assert.deepEqual(svc.spec.template.command, TEMPLATE.command);
    assert.equal(svc.spec.template.env, undefined);
    // The template rolled back from is now the previous one: a second rollback goes forward again.
    assert.deepEqual(JSON.parse(svc.metadata.annotations['drover.io/previous-template']).env, { GREETING: 'from-the-console' });
    await untilCount(runningTasks().filter({ hasNot: page.locator(before.map((n) => `[data-task="${n}"]`).join(', ')) }), 2, 60_000);
  });

  it('shows a view-only user the history but neither Edit YAML nor Roll back', async () => {
    assert.equal((await api('POST', '/api/v1/users', { name: 'vic', password: 'vic-password', groups: [] })).status, 201);
    assert.equal((await api('POST', '/api/v1/clusterrolebindings', { metadata: { name: 'vic-view' }, spec: { roleRef: { kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'User', name: 'vic' }] } })).status, 201);
    // The administrator has both here (a previous template to go back to): the absence below is the rights'.
    await untilCount(page.getByRole('button', { name: 'Roll back' }), 1);
    await untilCount(page.getByRole('button', { name: 'Edit YAML' }), 1);
    const viewer = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    await viewer.goto(`${dev.url}/ui/`);
    await viewer.getByLabel('User', { exact: true }).fill('vic');
    await viewer.getByLabel('Password', { exact: true }).fill('vic-password');
    await viewer.getByRole('button', { name: 'Log in', exact: true }).click();
    await untilText(viewer.getByTestId('user'), 'vic');
    await viewer.goto(`${dev.url}/ui/#/services/default/web`);
    await untilCount(viewer.locator('[data-testid=history] tr[data-previous=true]'), 1);
    await untilCount(viewer.locator('[data-testid=actions][aria-busy=false]'), 1);
    assert.equal(await viewer.getByRole('button', { name: 'Roll back' }).count(), 0);
    assert.equal(await viewer.getByRole('button', { name: 'Edit YAML' }).count(), 0);
    await viewer.context().close();
  });
});
