// Debian's chromium driven by playwright-core, for the console's browser tests. Never a
// downloaded browser: without a chromium binary the tests skip and say why.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { packageRoot } from '../../src/paths.js';
import { until } from '../until.js';

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/lib/chromium/chromium'].filter((p): p is string => Boolean(p));

/** The chromium binary to drive, or undefined. */
export const chromiumPath: string | undefined = CANDIDATES.find((p) => existsSync(p));

/** Why browser tests skip here (a reason node:test prints), or false. */
export const skipBrowser: string | false = chromiumPath ? false : `no chromium binary found (looked for ${CANDIDATES.join(', ')}); apt-get install chromium, or set CHROMIUM_PATH`;

if (skipBrowser) console.log(`# browser tests skipped: ${skipBrowser}`);

export async function launchBrowser(): Promise<Browser> {
  // As root (CI, containers) chromium's sandbox cannot start; the pages are our own.
  return chromium.launch({ executablePath: chromiumPath!, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

/** Where the tests leave screenshots of the main pages for a person to look at (ignored by git). */
export const screenshotDir = join(packageRoot, 'test-screenshots');

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
}

/** Waits until the locator's text satisfies `want` (a string it equals or a RegExp it matches). */
export async function untilText(locator: Locator, want: string | RegExp, timeoutMs = 15_000): Promise<string> {
  let last = '';
  return until(
    async () => {
      last = ((await locator.first().textContent({ timeout: 1_000 })) ?? '').trim();
      return (typeof want === 'string' ? last === want : want.test(last)) && last;
    },
    () => `${locator} to show ${want} (it shows "${last}")`,
    timeoutMs,
  );
}

/** Waits until `count()` of the locator is `n`. */
export async function untilCount(locator: Locator, n: number, timeoutMs = 15_000): Promise<void> {
  let last = -1;
  await until(
    async () => (last = await locator.count()) === n,
    () => `${n} of ${locator} (there are ${last})`,
    timeoutMs,
  );
}
