import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageWebDir } from '../../src/server/serve.js';
import { openTestApp, type TestApp } from '../../src/server/test-app.js';
import { launchChromium, signedInContext } from './browser.js';
import { appendTurns, settledSession, turnEvent } from './long-transcript.js';

/**
 * A long transcript in Debian's chromium against the real app: it opens at its end, and
 * events that land while it is open append in order (a tool's result lands on its call,
 * not as a line of its own), however many blocks the transcript already has. Earlier
 * events load at the top, by scrolling up or pressing "Show earlier events", back to the
 * session's first, each once and in order.
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

/** What the in-page check uses of the page (the tests are typed without the DOM's types). */
interface InPageElement {
  getBoundingClientRect(): { top: number; bottom: number };
  children: { length: number };
  getAttribute(name: string): string | null;
  textContent: string | null;
}
interface InPage {
  innerHeight: number;
  document: { querySelectorAll(css: string): ArrayLike<InPageElement> };
}

/** What a reader sees of the transcript from top to bottom: each entry's seq and text, in order. */
async function readThrough(page: Page): Promise<{ seq: number; text: string }[]> {
  const seen = new Map<number, string>();
  const order: number[] = [];
  // The page grows as blocks render: its height is read again at each step.
  const height = () => page.evaluate<number>('document.documentElement.scrollHeight');
  for (let y = 0; y < (await height()); y += 500) {
    await page.evaluate(`window.scrollTo(0, ${y})`);
    // Blocks near the view render their entries a moment after it gets there.
    const view = await page.waitForFunction(() => {
      const w = globalThis as unknown as InPage;
      const inView = (e: InPageElement) => {
        const r = e.getBoundingClientRect();
        return r.bottom > 0 && r.top < w.innerHeight;
      };
      const all = (css: string) => Array.from(w.document.querySelectorAll(css)).filter(inView);
      if (all('.transcript-block').some((b) => b.children.length === 0)) return false;
      return all('.transcript-block > li').map((li) => [
        Number(li.getAttribute('data-seq')),
        li.textContent ?? '',
      ]);
    });
    const entries = (await view.jsonValue()) as [number, string][];
    const seqs = entries.map(([seq]) => seq);
    // Never the same entry twice on screen, and always in the order of the log.
    expect(seqs).toEqual([...new Set(seqs)].sort((a, b) => a - b));
    for (const [seq, text] of entries) {
      if (!seen.has(seq)) order.push(seq);
      seen.set(seq, text);
    }
  }
  expect(order).toEqual([...order].sort((a, b) => a - b));
  return order.map((seq) => ({ seq, text: seen.get(seq) ?? '' }));
}

describe('a long transcript from its start', { timeout: 240_000 }, () => {
  it('opens at its latest reply and shows earlier events back to the first, each once', async () => {
    const count = 1400;
    const id = await settledSession(t, 'a very long session');
    await appendTurns(t, id, 0, count);
    const page = await open(id);
    await expect
      .poll(() => page.locator('.entry-assistant').last().textContent())
      .toContain('Reply 1398:');
    // Only the end is loaded: the session's first task is not there yet.
    const earlier = page.getByRole('button', { name: 'Show earlier events' });
    await expect.poll(() => earlier.count()).toBe(1);
    expect(await page.locator('.entry-user', { hasText: 'Task 0:' }).count()).toBe(0);

    // Scrolling up to the top loads the page before it, and what was read stays in view.
    const blocks = page.locator('.transcript-block');
    const opened = await blocks.count();
    await expect
      .poll(async () => {
        const count = await blocks.count();
        // (Again while the page still moves to its end as it opens.)
        if (count === opened) await page.evaluate('window.scrollTo(0, 0)');
        return count;
      })
      .toBeGreaterThan(opened);
    const kept = page.locator('.entry-user', { hasText: 'Task 1100:' });
    const inView = async () => {
      const box = await kept.boundingBox();
      return box !== null && box.y >= 0 && box.y + box.height <= 900;
    };
    await expect.poll(inView).toBe(true);

    // Then the button, till the first event.
    const more = page.locator('.transcript-earlier button');
    await expect
      .poll(
        async () => {
          if ((await more.count()) === 0) return 'all shown';
          if (await more.isEnabled({ timeout: 1000 })) await more.click({ timeout: 1000 });
          return 'more to show';
        },
        { timeout: 120_000 },
      )
      .toBe('all shown');
    await page.evaluate('window.scrollTo(0, 0)');
    await expect
      .poll(() => page.locator('.entry').first().textContent())
      .toContain('a very long session');

    // Live events still land at the end, once.
    await t.log.append(id, [
      { type: 'message.user', data: { text: 'and now?' } },
      { type: 'message.assistant', data: { text: 'Still here.' } },
    ]);
    await page.evaluate('window.scrollTo(0, document.documentElement.scrollHeight)');
    await expect
      .poll(() => page.locator('.entry-assistant').last().textContent())
      .toContain('Still here.');

    const read = await readThrough(page);
    const replies = read.flatMap(({ text }) => /Reply (\d+):/.exec(text)?.[1] ?? []).map(Number);
    const expected = Array.from({ length: count }, (_, i) => i).filter(
      (i) => turnEvent(i).type === 'message.assistant',
    );
    expect(replies).toEqual(expected);
    // Every tool call shows its result, across the pages' seams too.
    const tools = read.filter(({ text }) => text.startsWith('Bash'));
    expect(tools.length).toBe(expected.length);
    expect(tools.filter(({ text }) => text.includes('running…'))).toEqual([]);
    expect(read.filter(({ text }) => text.includes('and now?'))).toHaveLength(1);
  });
});
