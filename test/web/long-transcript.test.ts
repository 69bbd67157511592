import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageWebDir } from '../../src/server/serve.js';
import { openTestApp, type TestApp } from '../../src/server/test-app.js';
import { launchChromium, signedInContext } from './browser.js';
import { appendTurns, settledSession } from './long-transcript.js';

/**
 * A long transcript in Debian's chromium against the real app: it opens at its end, and
 * events that land while it is open append in order (a tool's result lands on its call,
 * not as a line of its own), however many blocks the transcript already has.
 */

let t: TestApp;
let url: string;
let browser: Browser;

beforeAll(async () => {
  t = await openTestApp({ sessions: true, webDir: packageWebDir() });
  url = await t.listen();
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser.close();
  await t.close();
});

async function open(id: string): Promise<Page> {
  const context = await signedInContext(browser, t.token);
  const page = await context.newPage();
  await page.goto(`${url}/sessions/${id}`);
  return page;
}

describe('a long transcript', { timeout: 120_000 }, () => {
  it('opens at its end and appends live events in order', async () => {
    const id = await settledSession(t, 'a long session');
    await appendTurns(t, id, 0, 600);
    const page = await open(id);
    const entries = page.locator('.transcript-block > li');
    await expect.poll(() => entries.last().textContent()).toContain('Turn done');
    await expect
      .poll(() => page.locator('.entry-assistant').last().textContent())
      .toContain('Reply 598:');

    await t.log.append(id, [
      { type: 'message.user', data: { text: 'one more thing' } },
      { type: 'tool.call', data: { id: 'live-tool', name: 'Bash', input: { command: 'ls' } } },
    ]);
    const tool = page.locator('.entry-tool', { hasText: 'ls' }).last();
    await expect.poll(() => tool.textContent()).toContain('running…');
    await t.log.append(id, [
      { type: 'tool.result', data: { id: 'live-tool', output: 'a.txt', isError: false } },
      { type: 'message.assistant', data: { text: 'Listed **one** file.' } },
      { type: 'turn.result', data: { isError: false } },
    ]);
    await expect.poll(() => tool.textContent()).not.toContain('running…');
    const last = async (n: number) =>
      (await entries.allTextContents()).slice(-n).map((text) => text.replace(/\s+/g, ' ').trim());
    await expect
      .poll(() => last(4))
      .toEqual([
        expect.stringContaining('one more thing'),
        expect.stringMatching(/^Bash ls/),
        expect.stringContaining('Listed one file.'),
        expect.stringContaining('Turn done'),
      ]);
    // Each live event appended once: no line repeated, none lost.
    expect(await page.locator('.entry-user', { hasText: 'one more thing' }).count()).toBe(1);
    await tool.locator('summary').click();
    await expect.poll(() => tool.textContent()).toContain('a.txt');
  });
});
