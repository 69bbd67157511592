// bench/web-transcript: how long a long session's page takes to open in Chromium, and
// what each live event costs the page, at 1 000 and at 10 000 events in the same run.
// Run after `npm run build` (the built web app is served): npx tsx bench/web-transcript.ts
//
// The in-process app (real routes, store and web build; its runner has no agent) holds
// a session whose log gets a busy agent's events. "Open" is from navigation to the last
// reply shown. "Per event" is the renderer's main-thread time (CDP TaskDuration) spent
// while live events arrive one at a time, each waited for on the page, divided by their
// number: O(1) means the 10 000-event figure is about the 1 000-event one.
import type { Browser, Page } from 'playwright-core';
import { packageWebDir } from '../src/server/serve.js';
import { openTestApp, type TestApp } from '../src/server/test-app.js';
import { launchChromium } from '../test/web/browser.js';
import { appendTurns, settledSession, turnEvent } from '../test/web/long-transcript.js';

const SIZES = [1000, 10_000];
const LIVE = 40;
const OPEN_GOAL_MS = 1000;

const t = await openTestApp({ sessions: true, webDir: packageWebDir() });
const url = await t.listen();
const browser = await launchChromium();
try {
  const results = [];
  for (const size of SIZES) results.push(await measure(t, browser, size));
  console.log(`bench/web-transcript: Chromium (headless), ${LIVE} live events per size`);
  for (const r of results) {
    console.log(
      `  ${String(r.size).padStart(6)} events: open ${r.openMs.toFixed(0).padStart(5)} ms, ` +
        `per live event ${r.perEventMs.toFixed(2)} ms of renderer time`,
    );
  }
  const [small, large] = results as [Result, Result];
  const ratio = large.perEventMs / small.perEventMs;
  console.log(
    `  open at 10k: goal <= ${OPEN_GOAL_MS} ms: ${large.openMs <= OPEN_GOAL_MS ? 'met' : 'not met'}; ` +
      `per event 10k / 1k: ${ratio.toFixed(2)}× (O(1) shows as about 1×; ` +
      `${ratio <= 1.5 ? 'met' : 'not met'} at <= 1.5×)`,
  );
} finally {
  await browser.close();
  await t.close();
}

interface Result {
  size: number;
  openMs: number;
  perEventMs: number;
}

async function measure(t: TestApp, browser: Browser, size: number): Promise<Result> {
  const id = await settledSession(t, `${size} events`);
  await appendTurns(t, id, 0, size);
  const lastReply = lastAssistantBefore(size);
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.addInitScript(`localStorage.setItem('hangar.token', ${JSON.stringify(t.token)})`);
  const page = await context.newPage();
  page.setDefaultTimeout(300_000);
  // Warm the browser's cache of the app itself, as a person who has it open would.
  await page.goto(`${url}/`);
  await page.waitForSelector('h1, nav');
  const started = performance.now();
  await page.goto(`${url}/sessions/${id}`);
  await shown(page, `Reply ${lastReply}:`, '.transcript-block > li');
  const openMs = performance.now() - started;

  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  const metrics = async () =>
    Object.fromEntries(
      (await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value * 1000]),
    );
  const busy = async () => (await metrics()).TaskDuration ?? 0;
  const before = await busy();
  for (let k = 0; k < LIVE; k++) {
    await t.log.append(id, [{ type: 'message.assistant', data: { text: `Live ${k} of ${size}` } }]);
    await shown(page, `Live ${k} of ${size}`);
  }
  const perEventMs = ((await busy()) - before) / LIVE;

  await context.close();
  console.error(`  (${size}: open ${openMs.toFixed(0)} ms, ${perEventMs.toFixed(2)} ms per event)`);
  return { size, openMs, perEventMs };
}

/** The index of the last assistant reply among events 0 … size - 1. */
function lastAssistantBefore(size: number): number {
  for (let i = size - 1; i >= 0; i--) if (turnEvent(i).type === 'message.assistant') return i;
  throw new Error('no reply');
}

/** What the in-page check uses of the page's document. */
interface Doc {
  querySelectorAll(css: string): ArrayLike<{ textContent: string | null }>;
}

async function shown(
  page: Page,
  text: string,
  selector = '.transcript-block:last-child > li:last-child',
): Promise<void> {
  // Checked in the page each frame: a Playwright locator's own work would be counted.
  await page.waitForFunction(
    ([css, wanted]) =>
      Array.from((globalThis as unknown as { document: Doc }).document.querySelectorAll(css))
        .slice(-3)
        .some((entry) => entry.textContent?.includes(wanted)),
    [selector, text] as const,
    { polling: 'raf' },
  );
}
