// The console's machines pages in a real browser against what `drover dev` runs: cordon and
// uncordon, drain with its progress, label edits, each seen through the API; and a view-only
// user who gets none of these controls.
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

describe('the console\'s machines pages', { skip: skipBrowser || (isBuilt ? false : 'dist/ui is not built (npm run build)') }, () => {
  let dir: string;
  let dev: RunningDev;
  let browser: Browser;
  let adminPage: Page;

  async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const contentType = method === 'PATCH' ? 'application/merge-patch+json' : 'application/json';
    const res = await fetch(`${dev.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${dev.server.adminToken}`, ...(body === undefined ? {} : { 'content-type': contentType }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  async function created(path: string, body: unknown): Promise<void> {
    const res = await api('POST', path, body);
    assert.equal(res.status, 201, JSON.stringify(res.body));
  }

  /** The running tasks of service "web", by machine. */
  async function runningOn(): Promise<Map<string, number>> {
    const tasks = (await api('GET', '/api/v1/namespaces/default/tasks')).body.items as { spec: { machine?: string }; status?: { phase?: string }; metadata: { ownerReferences?: { name: string }[] } }[];
    const by = new Map<string, number>();
    for (const t of tasks) if (t.status?.phase === 'Running' && t.metadata.ownerReferences?.some((r) => r.name === 'web')) by.set(t.spec.machine!, (by.get(t.spec.machine!) ?? 0) + 1);
    return by;
  }

  const actionsKnown = (page: Page) => untilCount(page.locator('[data-testid=actions][aria-busy=false]'), 1);

  before(async () => {
    dir = tempDir('drover-console-machines-');
    dev = await startDev({ agents: 2, listen: '127.0.0.1:0', dataDir: dir, auth: true });
    browser = await launchBrowser();
    adminPage = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    await adminPage.goto((await dev.consoleLoginUrl())!);
    await untilText(adminPage.getByTestId('user'), 'admin');
    await created('/api/v1/services', { metadata: { name: 'web' }, spec: { replicas: 2, template: { command: ['sleep', '600'], resources: { cpu: '10m', memory: '8Mi' } } } });
    await until(async () => [...(await runningOn()).values()].reduce((a, b) => a + b, 0) === 2, 'web\'s 2 tasks running', 30_000);
  });

  after(async () => {
    await browser?.close();
    await dev?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the machines with their status, allocation and task counts, and links each to its page', async () => {
    const page = adminPage;
    await page.getByRole('link', { name: 'Machines', exact: true }).click();
    await untilCount(page.locator('[data-testid=machines] tr[data-machine]'), 2);
    const on = await runningOn();
    for (const [machine, n] of on) await untilText(page.locator(`tr[data-machine="${machine}"] .task-count`), String(n));
    await untilText(page.locator('[data-testid=machines] .status').first(), /^Ready/);
    await screenshot(page, 'machines');
    const [first] = [...on.keys()];
    await page.locator(`tr[data-machine="${first}"] a`).click();
    await untilText(page.getByTestId('machine-status'), /^Ready/);
    assert.equal(new URL(page.url()).hash, `#/machines/${first}`);
  });

  it('cordons and uncordons a machine: the API\'s spec.unschedulable and the page follow', async () => {
    const page = adminPage;
    const machine = (await api('GET', '/api/v1/machines')).body.items[0].metadata.name as string;
    await page.goto(`${dev.url}/ui/#/machines/${machine}`);
    await actionsKnown(page);
    await page.getByRole('button', { name: 'Cordon', exact: true }).click();
    await untilText(page.getByTestId('machine-status'), /SchedulingDisabled/);
    await untilCount(page.getByRole('button', { name: 'Uncordon', exact: true }), 1);
    assert.equal((await api('GET', `/api/v1/machines/${machine}`)).body.spec.unschedulable, true);

    // A change made elsewhere shows without a reload.
    assert.equal((await api('PATCH', `/api/v1/machines/${machine}`, { spec: { unschedulable: null } })).status, 200);
    await untilText(page.getByTestId('machine-status'), 'Ready');
    await page.getByRole('button', { name: 'Cordon', exact: true }).click();
    await untilText(page.getByTestId('machine-status'), /SchedulingDisabled/);
    await page.getByRole('button', { name: 'Uncordon', exact: true }).click();
    await untilText(page.getByTestId('machine-status'), 'Ready');
    assert.equal((await api('GET', `/api/v1/machines/${machine}`)).body.spec.unschedulable, undefined);
  });

  it('adds and removes a label, seen through the API', async () => {
    const page = adminPage;
    const machine = (await api('GET', '/api/v1/machines')).body.items[0].metadata.name as string;
    await page.goto(`${dev.url}/ui/#/machines/${machine}`);
    await actionsKnown(page);
    await page.getByLabel('Key').fill('rack');
    await page.getByLabel('Value').fill('r7');
    await page.getByRole('button', { name: 'Add label' }).click();
    await untilText(page.locator('[data-label=rack]'), /rack=r7/);
    assert.equal((await api('GET', `/api/v1/machines/${machine}`)).body.metadata.labels?.rack, 'r7');
    await page.getByRole('button', { name: 'remove label rack' }).click();
    await untilCount(page.locator('[data-label=rack]'), 0);
    assert.equal((await api('GET', `/api/v1/machines/${machine}`)).body.metadata.labels?.rack, undefined);
  });

  it('drains a machine: the operation\'s progress shows and its tasks move to the other machine', async () => {
    const page = adminPage;
    const on = await runningOn();
    const machines = ((await api('GET', '/api/v1/machines')).body.items as { metadata: { name: string } }[]).map((m) => m.metadata.name);
    const drained = machines.find((m) => (on.get(m) ?? 0) > 0)!;
    const other = machines.find((m) => m !== drained)!;
    await page.goto(`${dev.url}/ui/#/machines/${drained}`);
    await untilCount(page.locator('[data-testid=machine-tasks] li[data-task]'), on.get(drained)!);
    await actionsKnown(page);
    await page.getByRole('button', { name: 'Drain' }).click();
    await untilText(page.getByTestId('drain-progress'), /^drain \(operation\/[^)]+\): (Pending|Running|Succeeded)/);
    await untilText(page.getByTestId('drain-progress'), /Succeeded: 1\/1 tasks moved off/, 60_000);
    await untilText(page.getByTestId('machine-status'), /SchedulingDisabled/);
    await screenshot(page, 'machine-drained');
    await until(async () => {
      const now = await runningOn();
      return !now.has(drained) && now.get(other) === 2;
    }, 'web\'s tasks running on the other machine only', 30_000);
    await untilCount(page.locator('[data-testid=machine-tasks] li[data-task]'), 0);
    assert.equal((await api('GET', `/api/v1/machines/${drained}`)).body.spec.unschedulable, true);
  });

  it('shows a view-only user the machines but no cordon, drain or label controls', async () => {
    await created('/api/v1/users', { name: 'vic', password: 'vic-password', groups: [] });
    await created('/api/v1/clusterrolebindings', { metadata: { name: 'vic-view' }, spec: { roleRef: { kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'User', name: 'vic' }] } });
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    await page.goto(`${dev.url}/ui/`);
    await page.getByLabel('User', { exact: true }).fill('vic');
    await page.getByLabel('Password', { exact: true }).fill('vic-password');
    await page.getByRole('button', { name: 'Log in', exact: true }).click();
    await untilText(page.getByTestId('user'), 'vic');
    const machine = (await api('GET', '/api/v1/machines')).body.items[0].metadata.name as string;
    await page.goto(`${dev.url}/ui/#/machines/${machine}`);
    // Loaded first (else an absent button proves nothing), then: no controls.
    await untilText(page.getByTestId('machine-status'), /^Ready/);
    await actionsKnown(page);
    for (const name of ['Cordon', 'Uncordon', 'Drain', 'Add label']) assert.equal(await page.getByRole('button', { name, exact: true }).count(), 0, name);
    assert.equal(await page.getByLabel('Key').count(), 0);
    await screenshot(page, 'machine-view-only');
    await page.context().close();
  });
});
