import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oneCommitBundle, repoWithCommits } from '../../src/git/test-repo.js';
import { packageWebDir } from '../../src/server/serve.js';
import { openTestApp, type TestApp } from '../../src/server/test-app.js';
import { launchChromium, screenshots, signedInContext } from './browser.js';

/**
 * Sharing in Debian's chromium against the real app: the owner's Share dialog (choice,
 * link, who can open it), the same session opened read-only by a team member, invisible
 * to a non-member, and a shared GitHub session refused with the reason to a viewer who
 * has no GitHub account connected.
 */
let t: TestApp;
let url: string;
let browser: Browser;
let dir: string;
let bob: string;
let carol: string;
let adminName: string;
let sessionId: string;
let githubSessionId: string;

async function post<T>(path: string, body: unknown, token = t.token): Promise<T> {
  const res = await t.request('POST', path, { body, token });
  expect(res.status, path).toBeLessThan(300);
  return (await res.json()) as T;
}

beforeAll(async () => {
  t = await openTestApp({ webDir: packageWebDir(), sessions: true });
  if (!t.github) throw new Error('the test app has a GitHub stand-in');
  dir = mkdtempSync(join(tmpdir(), 'hangar-web-share-'));
  adminName = ((await (await t.request('GET', '/api/v1/me')).json()) as { name: string }).name;
  bob = (await post<{ token: string }>('/api/v1/users', { name: 'bob' })).token;
  carol = (await post<{ token: string }>('/api/v1/users', { name: 'carol' })).token;
  const team = await post<{ id: string }>('/api/v1/teams', { name: 'Core' });
  await post(`/api/v1/teams/${team.id}/members`, { users: [adminName, 'bob'] });

  const upload = await t.request('POST', '/api/v1/bundles', {
    raw: oneCommitBundle(join(dir, 'bundle')),
    contentType: 'application/octet-stream',
  });
  const bundleId = ((await upload.json()) as { id: string }).id;
  sessionId = (
    await post<{ id: string }>('/api/v1/sessions', {
      prompt: 'tidy the README',
      source: { type: 'bundle', bundleId },
    })
  ).id;

  const octo = t.github.addUser('octo');
  repoWithCommits(join(dir, 'src'), 'one');
  t.github.createRepo('octo/app', { from: join(dir, 'src'), private: true });
  await post('/api/v1/github/token', { token: octo });
  githubSessionId = (
    await post<{ id: string }>('/api/v1/sessions', {
      prompt: 'fix the build',
      source: { type: 'git', url: 'octo/app' },
      visibility: 'public',
    })
  ).id;
  url = await t.listen();
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser.close();
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});

async function pageAs(token: string): Promise<Page> {
  const context = await signedInContext(browser, token);
  return context.newPage();
}

describe('sharing a session', { timeout: 180_000 }, () => {
  it('the owner shares it with the team: the dialog shows the link and who can open it', async () => {
    const shot = screenshots('sharing-owner');
    const page = await pageAs(t.token);
    try {
      await page.goto(`${url}/sessions/${sessionId}`);
      await page.getByRole('button', { name: 'Share', exact: true }).click();
      const dialog = page.getByRole('dialog', { name: 'Share this session' });
      await dialog.getByText('Only you.').waitFor();
      // Not check(): the radio turns checked when the server has answered, not at the click.
      const team = dialog.getByRole('radio', { name: /^Team/ });
      await team.click();
      await dialog.getByText(/members of your teams, read-only: Core \(2\)/).waitFor();
      expect(await team.isChecked()).toBe(true);
      expect(await dialog.getByRole('textbox', { name: 'Link' }).inputValue()).toMatch(
        new RegExp(`/sessions/${sessionId}$`),
      );
      await shot(page, 'team');
      await dialog.getByRole('button', { name: 'Done' }).click();
      await page.getByRole('button', { name: 'Shared: team', exact: true }).waitFor();
    } finally {
      await page.context().close();
    }
  });

  it('a team member opens it read-only: no composer, no buttons that change it', async () => {
    const shot = screenshots('sharing-viewer');
    const page = await pageAs(bob);
    try {
      await page.goto(`${url}/sessions/${sessionId}`);
      await page.getByText(`Shared by ${adminName} · read-only`).waitFor();
      await page.getByText('tidy the README').first().waitFor();
      // The messages are the owner's, not the viewer's.
      expect(await page.locator('.user-bubble .who').first().textContent()).toBe(adminName);
      await page.getByText(/shared with you read-only/).waitFor();
      expect(await page.getByLabel('Follow-up message').count()).toBe(0);
      for (const name of ['Send', 'Delete', 'Archive', 'Share', 'Open in CLI', 'Create PR']) {
        expect(await page.getByRole('button', { name, exact: true }).count(), name).toBe(0);
      }
      await shot(page, 'read-only');

      // Its diff too: nothing to comment with, and said why.
      await page.goto(`${url}/sessions/${sessionId}/diff`);
      await page.getByText('Shared with you read-only: only its owner comments on it.').waitFor();
      expect(await page.getByText(/Select the \+ beside a line/).count()).toBe(0);
      expect(await page.locator('.diff-add-widget').count()).toBe(0);
      await shot(page, 'read-only-diff');
    } finally {
      await page.context().close();
    }
  });

  it('someone outside the team finds no such session', async () => {
    const page = await pageAs(carol);
    try {
      await page.goto(`${url}/sessions/${sessionId}`);
      await page.getByRole('heading', { name: 'Session not found' }).waitFor();
    } finally {
      await page.context().close();
    }
  });

  it('a viewer without a GitHub account connected is told why, and sees nothing of it', async () => {
    const shot = screenshots('sharing-repo-check');
    const page = await pageAs(carol);
    try {
      await page.goto(`${url}/sessions/${githubSessionId}`);
      await page.getByRole('heading', { name: 'You cannot open this session' }).waitFor();
      expect(await page.getByRole('alert').textContent()).toMatch(/octo\/app.*hangar github login/);
      expect(await page.getByText('fix the build').count()).toBe(0);
      await shot(page, 'refused');
    } finally {
      await page.context().close();
    }
  });
});
