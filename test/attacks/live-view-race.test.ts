import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oneCommitBundle } from '../../src/git/test-repo.js';
import { packageWebDir } from '../../src/server/serve.js';
import { openTestApp, type TestApp } from '../../src/server/test-app.js';
import { parseSse } from '../../src/sse.js';
import { launchChromium } from '../web/browser.js';

/**
 * A live view opened at the worst moment still converges to the server's state. The
 * web app opens the session feed, then fetches the list; a change that lands after the
 * list was read but whose frame reaches the page before the list does must survive
 * the list (the session page once kept showing a diff of `+0 −0` forever this way).
 * The attack holds the list response in the browser while it changes sessions, so
 * the bad order happens every time, not once in a loaded run.
 */

let t: TestApp;
let url: string;
let browser: Browser;
let bundle: Buffer;

beforeAll(async () => {
  t = await openTestApp({ sessions: true, webDir: packageWebDir() });
  url = await t.listen();
  browser = await launchChromium();
  const repo = mkdtempSync(join(tmpdir(), 'hangar-race-'));
  bundle = oneCommitBundle(repo);
  rmSync(repo, { recursive: true, force: true });
}, 60_000);

afterAll(async () => {
  await browser.close();
  await t.close();
});

async function api(method: string, path: string, body?: unknown): Promise<Response> {
  const res = await t.request(method, `/api/v1${path}`, { body });
  const said = res.status < 300 ? '' : await res.clone().text();
  expect(res.status, `${method} ${path}: ${said}`).toBeLessThan(300);
  return res;
}

/** A session that has settled: the in-process runner has no agent, so it fails at once. */
async function settledSession(title: string): Promise<string> {
  const res = await t.request('POST', '/api/v1/bundles', {
    raw: bundle,
    contentType: 'application/octet-stream',
  });
  const uploaded = res.status < 300 ? '' : await res.clone().text();
  expect(res.status, `POST /bundles: ${uploaded}`).toBeLessThan(300);
  const { id: bundleId } = (await res.json()) as { id: string };
  const created = await api('POST', '/sessions', {
    prompt: title,
    title,
    source: { type: 'bundle', bundleId },
  });
  const { id } = (await created.json()) as { id: string };
  const abort = new AbortController();
  for await (const event of t.log.follow(id, 0, abort.signal)) {
    const data = event.data as { status?: string };
    if (event.type === 'session.status' && data.status === 'failed') break;
  }
  abort.abort();
  return id;
}

describe('live views against a list read before a change', () => {
  it('keep a change whose frame arrives before the older list', async () => {
    const [changed, gone, marker] = await Promise.all([
      settledSession('changed after the list was read'),
      settledSession('deleted after the list was read'),
      settledSession('archived before the page opened'),
    ]);
    await api('POST', `/sessions/${marker}/archive`);

    // The page's list request is answered by the server now, but reaches the page
    // only when the test says so.
    let read!: () => void;
    const listRead = new Promise<void>((resolve) => (read = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const page = await browser.newPage();
    await page.route(
      (u) => u.pathname === '/api/v1/sessions' && u.searchParams.has('archived'),
      async (route: Route) => {
        const response = await route.fetch();
        read();
        await released;
        await route.fulfill({ response });
      },
      // Only the first: later lists (the session page below) go straight through.
      { times: 1 },
    );
    await page.addInitScript(`localStorage.setItem('hangar.token', ${JSON.stringify(t.token)})`);
    await page.goto(url);
    const sidebar = page.getByRole('navigation', { name: 'Sessions' });
    await sidebar.getByLabel('Show archived').check();
    await listRead;

    // Changes after the read: frames on the feed, in this order.
    await api('DELETE', `/sessions/${gone}`);
    await api('POST', `/sessions/${changed}/archive`);
    const item = (id: string) => page.locator(`.session-list [data-session="${id}"]`);
    // The archive's frame is shown, so the delete's frame (sent before it) was read too.
    await item(changed).waitFor();

    release();
    // The held list is in once the session archived before the page opened shows.
    await item(marker).waitFor();
    expect(await item(changed).count(), 'the archive was undone by the older list').toBe(1);
    await sidebar.getByLabel('Show archived').uncheck();
    await page.locator('.session-list li').first().waitFor();
    expect(await item(gone).count(), 'the deleted session came back').toBe(0);
    expect(await item(changed).count()).toBe(0);

    // The session's own page agrees with the list.
    await page.goto(`${url}/sessions/${changed}`);
    await page.locator('.session-header .badge', { hasText: 'Archived' }).waitFor();
    await page.close();
  });

  it('sends on the feed every change made once the feed has answered', async () => {
    const id = await settledSession('changed as the feed opens');
    const abort = new AbortController();
    const res = await fetch(`${url}/api/v1/sessions`, {
      headers: { accept: 'text/event-stream', authorization: `Bearer ${t.token}` },
      signal: abort.signal,
    });
    expect(res.status).toBe(200);
    // In the window between the feed's answer and the page's list fetch.
    await api('POST', `/sessions/${id}/archive`);
    for await (const message of parseSse(res.body as ReadableStream<Uint8Array>)) {
      const data = JSON.parse(message.data) as { id: string; archived: boolean };
      if (message.event === 'session' && data.id === id && data.archived) break;
    }
    abort.abort();
    const list = (await (await api('GET', '/sessions?archived=true')).json()) as {
      sessions: { id: string; archived: boolean }[];
    };
    expect(list.sessions.find((s) => s.id === id)?.archived).toBe(true);
  });
});
