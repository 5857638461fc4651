/**
 * The dashboard end to end, in headless Chromium (Debian's `chromium`, driven by playwright-core): the demo's
 * whole system in this process (mocks, the operator in local mode with the dashboard, two sidecars, load), the
 * page loaded as a user would, an outage injected into one mock through the page's controls with the keyboard,
 * its weight and traffic share seen falling and then recovering after the fault is cleared. Saves a screenshot
 * (the README's docs/dashboard.png with SWITCHBOARD_UPDATE_SCREENSHOT=1).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startDemo, type RunningDemo } from '../../cli/demo/start-demo.ts';
import { createLogger } from '../../core/log.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** The README's screenshot is refreshed on request (SWITCHBOARD_UPDATE_SCREENSHOT=1); other runs leave it alone. */
const SCREENSHOT = new URL(
  process.env.SWITCHBOARD_UPDATE_SCREENSHOT === '1'
    ? '../../docs/dashboard.png'
    : '../../.switchboard/dashboard.png',
  import.meta.url,
).pathname;
const VICTIM = 'fast-pricey';
const WAIT = { timeout: 60_000, polling: 250 };

let demo: RunningDemo;
let browser: Browser;
let dir: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `Chromium is needed for the dashboard's end-to-end test and is not at ${CHROMIUM}: ` +
        'install it with `apt-get install -y chromium` (as .ci/run does), or set CHROMIUM_PATH',
    );
  dir = await mkdtemp(join(tmpdir(), 'switchboard-dashboard-'));
  demo = await startDemo({
    dir,
    port: 0,
    sidecarPort: 0,
    metricsPort: 0,
    sidecars: 2,
    rps: 12,
    roundMs: 500,
    logger: createLogger({ level: 'error' }),
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await demo?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

/** Waits until the victim's cell shows a number above or below `limit`. */
async function waitForValue(
  page: Page,
  field: 'effectiveWeight' | 'trafficShare',
  direction: 'above' | 'below',
  limit: number,
): Promise<void> {
  // Runs in the page (the project's TypeScript has no DOM types, hence a string).
  const cell = `document.querySelector('tr[data-provider="${VICTIM}"] td[data-field="${field}"]')`;
  await page.waitForFunction(
    `(${cell}?.dataset.value ?? '') !== '' && Number(${cell}.dataset.value) ${direction === 'above' ? '>' : '<'} ${limit}`,
    undefined,
    WAIT,
  );
}

async function injectWithKeyboard(page: Page, fault: string): Promise<void> {
  await page.locator('#fault-target').focus();
  await page.locator('#fault-target').selectOption(VICTIM);
  await page.keyboard.press('Tab');
  expect(await page.evaluate('document.activeElement.id')).toBe('fault-kind');
  await page.locator('#fault-kind').selectOption(fault);
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await page.waitForFunction(
    `document.getElementById('status').textContent.includes(${JSON.stringify(fault === 'clear' ? `${VICTIM}: faults cleared` : `${VICTIM}: ${fault} injected`)})`,
    undefined,
    WAIT,
  );
}

describe('the dashboard in a browser', () => {
  it('shows the providers and their weights, and an injected outage makes a provider’s weight and traffic fall, then recover once cleared', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
    });
    await page.goto(demo.dashboardUrl);

    const rows = page.locator('tr[data-provider]');
    await rows.first().waitFor();
    expect(
      await page.evaluate(
        `[...document.querySelectorAll('tr[data-provider]')].map((tr) => tr.dataset.provider)`,
      ),
    ).toEqual(['fast-pricey', 'cheap-slow', 'flaky', 'capped']);
    await waitForValue(page, 'effectiveWeight', 'above', 0);
    await waitForValue(page, 'trafficShare', 'above', 0.2);
    const latency = page.locator(`tr[data-provider="${VICTIM}"] td[data-field="latencyP50Ms"]`);
    expect(await latency.textContent()).toMatch(/^\d+ ms$/);

    await injectWithKeyboard(page, 'outage');
    await waitForValue(page, 'effectiveWeight', 'below', 0.2);
    await waitForValue(page, 'trafficShare', 'below', 0.05);
    expect(await page.locator(`tr[data-provider="${VICTIM}"] td[data-field="state"]`).textContent()).not.toBe(
      'Healthy',
    );

    await injectWithKeyboard(page, 'clear');
    await waitForValue(page, 'effectiveWeight', 'above', 1);
    await waitForValue(page, 'trafficShare', 'above', 0.2);

    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(problems).toEqual([]);
  }, 240_000);

  it('drains a provider whose weight is set to 0 from the keyboard: the pool file changes and the page follows', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    await page.goto(demo.dashboardUrl);
    const input = page.getByLabel('Weight of cheap-slow');
    await input.focus();
    await input.fill('0');
    await page.keyboard.press('Enter');
    await page.waitForFunction(
      `document.querySelector('tr[data-provider="cheap-slow"] td[data-field="effectiveWeight"]')?.dataset.value === '0'`,
      undefined,
      WAIT,
    );
    expect(await page.locator('tr[data-provider="cheap-slow"] td[data-field="weight"]').textContent()).toBe(
      '0.00',
    );
    expect(await readFile(demo.poolFile, 'utf8')).toMatch(/name: cheap-slow\n(.*\n)*? {6}weight: 0\n/);
    expect(problems).toEqual([]);
  }, 120_000);
});
