import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedEnv, startServe, type Serving } from '../e2e/hangar.js';
import { launchChromium, screenshots, signedInContext } from './browser.js';

/** The new-session form of a server with no model key: it says why before anyone types. */
let server: Serving;
let token: string;
let browser: Browser;

beforeAll(async () => {
  const env = isolatedEnv();
  server = await startServe(env);
  token = readFileSync(join(env.HANGAR_DATA_DIR ?? '', 'admin-token'), 'utf8').trim();
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser.close();
  await server.stop();
});

describe('the new-session form on a server with no model key', { timeout: 120_000 }, () => {
  it('says why Claude Code cannot run and does not offer to start', async () => {
    const shot = screenshots('no-model-key');
    const context = await signedInContext(browser, token);
    try {
      const page = await context.newPage();
      await page.goto(`${server.url}/`);
      const notice = page.getByRole('status').filter({ hasText: 'needs a model key' });
      await notice.waitFor();
      expect(await notice.textContent()).toMatch(
        /^Claude Code needs a model key: set ANTHROPIC_API_KEY where `hangar serve` runs.*scripts\/demo/,
      );
      await page.getByLabel('Task', { exact: true }).fill('add hello.txt');
      const start = page.getByRole('button', { name: 'Start session', exact: true });
      expect(await start.isDisabled()).toBe(true);
      expect(await start.getAttribute('aria-describedby')).toBe('agent-unusable');
      await shot(page, 'form');
    } finally {
      await context.close();
    }
  });
});
