import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oneCommitBundle } from '../../src/git/test-repo.js';
import { packageWebDir } from '../../src/server/serve.js';
import { openTestApp, type TestApp } from '../../src/server/test-app.js';
import { addModelUsage } from '../../src/store/model-usage.js';
import { updateSession } from '../../src/store/sessions.js';
import { launchChromium, screenshots, signedInContext } from './browser.js';

/**
 * The per-user window limits as a user meets them in Debian's chromium: past the
 * sessions-per-hour limit the New session form says which limit and when to retry;
 * past the day's tokens the follow-up box does.
 */
let t: TestApp;
let url: string;
let browser: Browser;
let sessionId: string;

beforeAll(async () => {
  t = await openTestApp({
    webDir: packageWebDir(),
    sessions: true,
    limits: { sessionsPerHour: 1 },
    modelLimits: { requestsPerSession: undefined, tokensPerUserPerDay: 1000 },
  });
  t.setNow(new Date('2030-06-01T10:00:00Z'));
  const repo = mkdtempSync(join(tmpdir(), 'hangar-web-limits-'));
  const upload = await t.request('POST', '/api/v1/bundles', {
    raw: oneCommitBundle(repo),
    contentType: 'application/octet-stream',
  });
  rmSync(repo, { recursive: true, force: true });
  const { id: bundleId } = (await upload.json()) as { id: string };
  const created = await t.request('POST', '/api/v1/sessions', {
    body: { prompt: 'add hello.txt', source: { type: 'bundle', bundleId } },
  });
  expect(created.status).toBe(201);
  sessionId = ((await created.json()) as { id: string }).id;
  url = await t.listen();
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser.close();
  await t.close();
});

describe('limits in the web app', { timeout: 120_000 }, () => {
  it('shows a refused session and a refused follow-up with the limit and when to retry', async () => {
    const shot = screenshots('limits');
    const context = await signedInContext(browser, t.token);
    const page = await context.newPage();
    try {
      t.setNow(new Date('2030-06-01T10:15:00Z'));
      await page.goto(`${url}/`);
      await page.getByLabel('Repository', { exact: true }).fill('https://example.com/acme/app.git');
      await page.getByLabel('Task', { exact: true }).fill('add a test');
      await page.getByRole('button', { name: 'Start session', exact: true }).click();
      const refusal = page.locator('.form-error');
      await refusal.waitFor();
      expect(await refusal.textContent()).toBe(
        'You have started 1 session in the last hour, the most allowed ' +
          '(HANGAR_MAX_SESSIONS_PER_USER_PER_HOUR=1); you can start another in 45 minutes (at 11:00 UTC).',
      );
      await shot(page, 'session-refused');

      // The session waits for a reply, and the day's tokens are used up.
      for (;;) {
        const res = await t.request('GET', `/api/v1/sessions/${sessionId}`);
        const { status } = (await res.json()) as { status: string };
        if (status !== 'queued' && status !== 'provisioning') break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await updateSession(t.store.db, sessionId, { status: 'idle', failureReason: null });
      const me = (await (await t.request('GET', '/api/v1/me')).json()) as { id: string };
      await addModelUsage(t.store.db, { sessionId, userId: me.id }, '2030-06-01', {
        requests: 4,
        inputTokens: 900,
        outputTokens: 150,
      });
      t.setNow(new Date('2030-06-01T23:30:00Z'));
      await page.goto(`${url}/sessions/${sessionId}`);
      const box = page.getByLabel('Follow-up message', { exact: true });
      await box.fill('and a test');
      await page.getByRole('button', { name: 'Send', exact: true }).click();
      const followUp = page.locator('#follow-up-error');
      await followUp.waitFor();
      expect(await followUp.textContent()).toBe(
        'You have used 1050 model tokens today (UTC), the most allowed ' +
          '(HANGAR_MAX_MODEL_TOKENS_PER_USER_PER_DAY=1000); new sessions and follow-ups can ' +
          'start again at 00:00 UTC, in 30 minutes.',
      );
      await shot(page, 'follow-up-refused');
    } finally {
      await context.close();
    }
  });
});
