import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoWithCommits } from '../../src/git/test-repo.js';
import { packageWebDir } from '../../src/server/serve.js';
import { openTestApp, type TestApp } from '../../src/server/test-app.js';
import { launchChromium, screenshots, signedInContext } from './browser.js';

/**
 * The Schedules page in Debian's chromium against the real app on the real clock: a
 * schedule made in the form shows its next runs, a bad cron is refused beside its
 * field, and a one-minute cron really starts a session, shown as its last run.
 */
let t: TestApp;
let url: string;
let browser: Browser;
let dir: string;
let repoUrl: string;

beforeAll(async () => {
  t = await openTestApp({ webDir: packageWebDir(), sessions: true });
  if (!t.github) throw new Error('the test app has a GitHub stand-in');
  const octo = t.github.addUser('octo');
  dir = mkdtempSync(join(tmpdir(), 'hangar-web-schedules-'));
  repoWithCommits(join(dir, 'src'), 'one');
  t.github.createRepo('acme/app', { from: join(dir, 'src'), collaborators: { octo: 'write' } });
  repoUrl = `${t.github.webUrl}/acme/app`;
  const connected = await t.request('POST', '/api/v1/github/token', { body: { token: octo } });
  expect(connected.status).toBe(200);
  url = await t.listen();
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser.close();
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the Schedules page', { timeout: 180_000 }, () => {
  it('makes a schedule, shows its next runs, and a one-minute cron really runs', async () => {
    const shot = screenshots('schedules');
    const context = await signedInContext(browser, t.token);
    const page = await context.newPage();
    try {
      await page.goto(`${url}/`);
      await page.getByRole('link', { name: 'Schedules', exact: true }).click();
      await page.getByRole('heading', { name: 'Schedules', exact: true }).waitFor();
      await page.getByText('No schedules yet.').waitFor();

      await page.getByLabel('Repository', { exact: true }).fill(repoUrl);
      await page.getByLabel('Cron', { exact: true }).fill('0 25 * * *');
      await page.getByLabel('Time zone', { exact: true }).fill('UTC');
      await page.getByLabel('Task', { exact: true }).fill('check the build');
      await page.getByRole('button', { name: 'Create schedule', exact: true }).click();
      const refusal = page.locator('.field.invalid .field-error');
      await refusal.waitFor();
      expect(await refusal.textContent()).toMatch(/^not a cron .*hour/);
      await shot(page, 'bad-cron');

      await page.getByLabel('Cron', { exact: true }).fill('* * * * *');
      await page.getByRole('button', { name: 'Create schedule', exact: true }).click();
      const card = page.getByRole('listitem', { name: 'check the build' });
      await card.waitFor();
      // Five upcoming minutes, a minute apart.
      const times = await Promise.all(
        (await card.locator('.next-runs time').all()).map(async (time) =>
          time.getAttribute('datetime'),
        ),
      );
      expect(times).toHaveLength(5);
      const ms = times.map((at) => Date.parse(at ?? ''));
      expect(ms.slice(1).map((at, i) => at - (ms[i] ?? 0))).toEqual([
        60_000, 60_000, 60_000, 60_000,
      ]);
      await shot(page, 'created');

      // On the real clock, the next minute starts a session; the page shows it once reloaded.
      const lastRun = card.locator('.last-run');
      for (let i = 0; i < 60 && (await lastRun.count()) === 0; i++) {
        await page.waitForTimeout(2000);
        await page.reload();
        await card.waitFor();
      }
      await lastRun
        .getByRole('link', { name: 'session', exact: true })
        .waitFor()
        .catch(async (error: unknown) => {
          // Say what the run came to instead (skipped, failed: why).
          throw new Error(`${String(error)}\nThe last run reads: ${await lastRun.textContent()}`);
        });
      await shot(page, 'ran');

      await card.getByRole('button', { name: 'Pause', exact: true }).click();
      await card.getByText('None while paused.').waitFor();
      await card.getByRole('button', { name: 'Resume', exact: true }).waitFor();
      await shot(page, 'paused');
      await lastRun.getByRole('link', { name: 'session', exact: true }).click();
      await page.waitForURL(/\/sessions\/ses_/);
    } finally {
      await context.close();
    }
  });
});
