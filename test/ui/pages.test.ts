// The console's newer pages and controls in a real browser against what `drover dev` runs (two
// agents): a task's log narrowed to stderr and to a search, resumed after the server dropped it;
// a service restarted from its page; a refused field marked at its line; the cluster map, the
// events and the datasets pages following the API live; no Restart for a view-only user; and
// the main pages at a phone's width without sideways scrolling (screenshots of each).
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { parse, stringify } from 'yaml';
import { startDev, type RunningDev } from '../../src/dev.js';
import { packageRoot } from '../../src/paths.js';
import { tempDir, until } from '../helpers.js';
import { launchBrowser, screenshot, skipBrowser, untilCount, untilText } from './browser.js';

/** The little of a browser's globals the tests touch inside the page (the tests compile without DOM types). */
interface Browserish {
  getComputedStyle(el: unknown): { backgroundColor: string };
  sessionStorage: { getItem(k: string): string | null; setItem(k: string, v: string): void };
  document: { scrollingElement: { scrollWidth: number } };
  innerWidth: number;
}

const isBuilt = existsSync(join(packageRoot, 'dist', 'ui', 'index.html'));

/** A task that writes "out N" to stdout and "err N" to stderr, N counting up, a few times a second. */
const CHATTY = { command: ['sh', '-c', 'i=0; while :; do echo "out $i"; echo "err $i" >&2; i=$((i+1)); sleep 0.2; done'], resources: { cpu: '10m', memory: '8Mi' } };

describe('the console\'s log filter, restart, editor marks, cluster map, events and datasets', { skip: skipBrowser || (isBuilt ? false : 'dist/ui is not built (npm run build)') }, () => {
  let dir: string;
  let dev: RunningDev;
  let browser: Browser;
  let page: Page;

  async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const type = method === 'PATCH' ? 'application/merge-patch+json' : 'application/json';
    const res = await fetch(`${dev.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${dev.server.adminToken}`, ...(body === undefined ? {} : { 'content-type': type }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  async function created(path: string, body: unknown): Promise<any> {
    const res = await api('POST', path, body);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body;
  }

  const runningTasks = (p: Page) => p.locator('[data-testid=tasks] tr[data-task]').filter({ hasText: 'Running' });
  const runningNames = (p: Page) => runningTasks(p).evaluateAll((rows) => rows.map((r) => r.getAttribute('data-task')!));

  before(async () => {
    dir = tempDir('drover-console-pages-');
    dev = await startDev({ agents: 2, listen: '127.0.0.1:0', dataDir: dir, auth: true });
    browser = await launchBrowser();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    await page.goto((await dev.consoleLoginUrl())!);
    await untilText(page.getByTestId('user'), 'admin');
    await created('/api/v1/services', { metadata: { name: 'chatty' }, spec: { replicas: 2, template: CHATTY } });
  });

  after(async () => {
    await browser?.close();
    await dev?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows only stderr lines when asked, narrows them to a search, and resumes a dropped follow with no line lost or repeated', async () => {
    await page.goto(`${dev.url}/ui/#/services/default/chatty`);
    await untilCount(runningTasks(page), 2, 30_000);
    await runningTasks(page).first().getByRole('link').click();
    const log = page.getByTestId('log');
    await untilText(log, /out \d+[\s\S]*err \d+/);

    await page.getByLabel('Stream').selectOption('stderr');
    await untilText(log, /^err \d+\nerr \d+\nerr \d+/);
    const stderrOnly = (await log.textContent())!;
    assert.doesNotMatch(stderrOnly, /out \d/);

    await page.getByLabel('Search').fill('err 1');
    await untilText(page.getByTestId('log-count'), /^\d+ of \d+ lines$/);
    const lines = (await log.textContent())!.trim().split('\n');
    assert.ok(lines.length > 0 && lines.every((l) => /^err 1\d*$/.test(l)), lines.join('|'));
    assert.ok((await log.locator('mark').count()) >= lines.length);
    await screenshot(page, 'task-log-filtered');
    await page.getByLabel('Search').fill('');

    // The server ends every open stream (what a restart of it does); the page asks again from its last line.
    const numbers = async () => [...((await log.textContent()) ?? '').matchAll(/^err (\d+)$/gm)].map((m) => Number(m[1]));
    const before = Math.max(...(await numbers()));
    dev.server.endStreams();
    await until(async () => Math.max(...(await numbers())) > before + 5, 'lines written after the drop');
    await untilText(page.getByTestId('log-state'), '(following)');
    assert.equal(await page.getByTestId('log').getAttribute('data-follows'), '2', 'one follow, then one resumed');
    const seen = await numbers();
    for (let i = 1; i < seen.length; i++) assert.equal(seen[i], seen[i - 1]! + 1, `consecutive lines across the drop: ${seen.join(',')}`);
  });

  it('restarts a service from its page after asking: new tasks replace the old ones, without a reload', async () => {
    await page.goto(`${dev.url}/ui/#/services/default/chatty`);
    await untilCount(runningTasks(page), 2);
    await page.evaluate(() => ((globalThis as unknown as { unreloaded: boolean }).unreloaded = true));
    const old = await runningNames(page);
    await page.getByRole('button', { name: 'Restart…' }).click();
    await untilText(page.getByTestId('confirm-restart'), /Replace all 2 tasks of chatty\?/);
    await screenshot(page, 'service-restart-confirm');
    await page.getByTestId('confirm-restart').getByRole('button', { name: 'Restart', exact: true }).click();
    const notOld = page.locator(old.map((n) => `[data-testid=tasks] tr[data-task="${n}"]`).join(', '));
    await untilCount(notOld, 0, 60_000);
    await untilCount(runningTasks(page), 2, 60_000);
    assert.deepEqual((await runningNames(page)).filter((n) => old.includes(n)), []);
    assert.match((await api('GET', '/api/v1/services/chatty')).body.spec.template.annotations['drover.io/restartedAt'], /^\d{4}-/);
    assert.equal(await page.evaluate(() => (globalThis as unknown as { unreloaded?: boolean }).unreloaded), true);
  });

  it('marks the line of a field the server refused in the YAML editor', async () => {
    await page.getByRole('button', { name: 'Edit YAML' }).click();
    const editor = page.getByLabel(/Service \(YAML/);
    const doc = parse(await editor.inputValue());
    doc.spec.replicas = -1;
    const text = stringify(doc);
    await editor.fill(text);
    await page.getByRole('button', { name: 'Apply' }).click();
    await untilText(page.locator('[data-testid=field-errors] li[data-path="/spec/replicas"]'), /line \d+/);
    const line = text.split('\n').findIndex((l) => /^ {2}replicas: -1$/.test(l)) + 1;
    assert.ok(line > 0);
    await untilCount(page.locator('.gutter li[data-error]'), 1);
    assert.equal(await page.locator('.gutter li[data-error]').getAttribute('data-line'), String(line));
    await untilText(page.locator('[data-testid=field-errors] li[data-path="/spec/replicas"]'), new RegExp(`\\(line ${line}\\)$`));
    await screenshot(page, 'service-edit-marked');
    await page.getByRole('button', { name: 'Cancel' }).click();
  });

  it('puts a new task\'s chip on its machine in the cluster map and recolours it when it ends', async () => {
    await page.getByRole('link', { name: 'Map', exact: true }).click();
    await untilCount(page.locator('[data-testid=cluster-map] .tile[data-machine]:not([data-machine=""])'), 2);
    await created('/api/v1/tasks', { metadata: { name: 'one-off' }, spec: { template: { command: ['sleep', '600'], restartPolicy: 'never', resources: { cpu: '10m', memory: '8Mi' } } } });
    const chip = page.locator('a.chip[data-task=one-off]');
    await untilCount(chip.and(page.locator('[data-phase=Running]')), 1, 30_000);
    const machine = await until(async () => (await api('GET', '/api/v1/tasks/one-off')).body.spec.machine as string | undefined, 'one-off to be placed');
    await untilCount(page.locator(`.tile[data-machine="${machine}"] a.chip[data-task=one-off]`), 1);
    const runningColour = await chip.evaluate((el) => (globalThis as unknown as Browserish).getComputedStyle(el).backgroundColor);
    await screenshot(page, 'cluster-map');
    assert.equal((await api('POST', '/api/v1/tasks/one-off/kill', {})).status, 200);
    await until(async () => ['Failed', 'Succeeded'].includes((await chip.getAttribute('data-phase')) ?? ''), 'the chip to show the task ended');
    assert.notEqual(await chip.evaluate((el) => (globalThis as unknown as Browserish).getComputedStyle(el).backgroundColor), runningColour);
    // A chip is a link: keyboard users reach it with Tab and open its task.
    await chip.focus();
    await page.keyboard.press('Enter');
    await until(() => new URL(page.url()).hash === '#/tasks/default/one-off', () => `the task's page (at ${page.url()})`);
  });

  it('shows an event as it is recorded, and narrows the table to one object', async () => {
    await page.getByRole('link', { name: 'Events', exact: true }).click();
    await untilText(page.getByTestId('event-count'), /\d+ events/);
    const now = new Date().toISOString();
    await created('/api/v1/events', {
      metadata: { name: 'chatty.console-test' },
      spec: { involvedObject: { kind: 'Service', name: 'chatty', namespace: 'default' }, reason: 'ConsoleTest', message: 'recorded by the test', type: 'Warning', count: 3, firstTimestamp: now, lastTimestamp: now, source: { component: 'test' } },
    });
    const row = page.locator('[data-testid=events] tr[data-event=ConsoleTest]');
    await untilCount(row, 1);
    await untilText(row, /Warning\s*ConsoleTest\s*service\/chatty\s*recorded by the test\s*3/);
    await screenshot(page, 'events');
    await page.getByLabel('Object').fill('task/one-off');
    await untilCount(row, 0);
    await page.getByLabel('Object').fill('service/chatty');
    await untilCount(row, 1);
    await row.getByRole('link', { name: 'service/chatty' }).click();
    await untilCount(page.locator('[data-testid=recent-events] tr[data-event=ConsoleTest]'), 1);
  });

  it('shows a dataset created through the API, and where it moves when its primary changes', async () => {
    const [a, b] = dev.agents.map((x) => x.id) as [string, string];
    await page.getByRole('link', { name: 'Datasets', exact: true }).click();
    await created('/api/v1/datasets', { metadata: { name: 'pictures' }, spec: { primary: a } });
    const row = page.locator('[data-testid=datasets] tr[data-name=pictures]');
    await untilText(row, /Ready/, 30_000);
    await untilCount(row.locator(`a[title="${a}"]`), 2);
    await screenshot(page, 'datasets');
    assert.equal((await api('PATCH', '/api/v1/datasets/pictures', { spec: { primary: b } })).status, 200);
    // Held by the new primary once the move is through (an empty dataset moves at once: its progress bar is seen only in passing).
    await untilCount(row.locator(`a[title="${b}"]`), 2, 30_000);
    await untilText(row, /Ready/);
    await row.getByRole('link', { name: 'pictures' }).click();
    await untilText(page.locator('[data-testid=facts]'), /Phase\s*Ready/);
    await screenshot(page, 'dataset');
  });

  it('shows a view-only user the service without a Restart button', async () => {
    await created('/api/v1/users', { name: 'vic', password: 'vic-password', groups: [] });
    await created('/api/v1/clusterrolebindings', { metadata: { name: 'vic-view' }, spec: { roleRef: { kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'User', name: 'vic' }] } });
    await page.goto(`${dev.url}/ui/#/services/default/chatty`);
    await untilCount(page.getByRole('button', { name: 'Restart…' }), 1);
    const viewer = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    await viewer.goto(`${dev.url}/ui/`);
    await viewer.getByLabel('User', { exact: true }).fill('vic');
    await viewer.getByLabel('Password', { exact: true }).fill('vic-password');
    await viewer.getByRole('button', { name: 'Log in', exact: true }).click();
    await untilText(viewer.getByTestId('user'), 'vic');
    await viewer.goto(`${dev.url}/ui/#/services/default/chatty`);
    await untilCount(runningTasks(viewer), 2);
    await untilCount(viewer.locator('[data-testid=actions][aria-busy=false]'), 1);
    assert.equal(await viewer.getByRole('button', { name: 'Restart…' }).count(), 0);
    await viewer.context().close();
  });

  it('fits the main pages into a phone\'s width (390×844) without sideways scrolling, light and dark', async () => {
    const pages = ['', 'services', 'services/default/chatty', 'machines', 'map', 'events', 'datasets', 'datasets/default/pictures', 'operations', 'hosts', 'clusters'];
    const task = (await api('GET', '/api/v1/tasks?labelSelector=drover.io/service%3Dchatty')).body.items.find((t: any) => t.status?.phase === 'Running');
    if (task) pages.push(`tasks/default/${task.metadata.name}`);
    const shotName = (path: string) => (path.startsWith('tasks/') ? 'task' : path.replace(/\//g, '-') || 'overview');
    for (const colorScheme of ['light', 'dark'] as const) {
      const context = await browser.newContext({ viewport: { width: 390, height: 844 }, colorScheme });
      // The session the administrator's page holds, in this context's tab.
      const session = await page.evaluate(() => (globalThis as unknown as Browserish).sessionStorage.getItem('drover.console.session'));
      await context.addInitScript((s) => (globalThis as unknown as Browserish).sessionStorage.setItem('drover.console.session', s!), session);
      const phone = await context.newPage();
      for (const path of pages) {
        await phone.goto(`${dev.url}/ui/#/${path}`);
        await untilText(phone.getByTestId('connection'), 'live');
        const loading = phone.locator('main .muted:text-matches("^loading")');
        await until(async () => (await loading.count()) === 0, () => `#/${path} to have loaded`);
        const { scrollWidth, innerWidth } = await phone.evaluate(() => {
          const w = globalThis as unknown as Browserish;
          return { scrollWidth: w.document.scrollingElement.scrollWidth, innerWidth: w.innerWidth };
        });
        assert.ok(scrollWidth <= innerWidth, `#/${path} is ${scrollWidth}px wide in a ${innerWidth}px window (${colorScheme})`);
        await screenshot(phone, `narrow-${colorScheme}-${shotName(path)}`);
      }
      await context.close();
    }
  });
});
