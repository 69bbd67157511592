import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GitHubStandIn } from '../../fixtures/github/stand-in.js';
import { repoWithCommits } from '../../src/git/test-repo.js';
import { packageWebDir } from '../../src/server/serve.js';
import { openTestApp, type TestApp } from '../../src/server/test-app.js';
import { launchChromium, screenshots, signedInContext } from './browser.js';

/**
 * Connecting GitHub in the web app and the new-session form's repo picker, in Debian's
 * chromium against the real app (built web app, real routes) and the GitHub stand-in.
 */
let t: TestApp;
let url: string;
let gh: GitHubStandIn;
let octoToken: string;
let browser: Browser;
let dir: string;

beforeAll(async () => {
  t = await openTestApp({ webDir: packageWebDir() });
  if (!t.github) throw new Error('the test app has a GitHub stand-in');
  gh = t.github;
  octoToken = gh.addUser('octo');
  dir = mkdtempSync(join(tmpdir(), 'hangar-web-gh-'));
  repoWithCommits(join(dir, 'src'), 'one');
  gh.createRepo('acme/app', { from: join(dir, 'src'), collaborators: { octo: 'write' } });
  gh.createRepo('acme/api', { from: join(dir, 'src'), collaborators: { octo: 'write' } });
  gh.createRepo('octo/dotfiles', { from: join(dir, 'src'), private: false });
  url = await t.listen();
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser.close();
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A page signed in with `token` (as if pasted), opened at `path`, in a context of its own. */
async function signedIn(
  base: string,
  token: string,
  path: string,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await signedInContext(browser, token);
  const page = await context.newPage();
  await page.goto(`${base}${path}`);
  return { context, page };
}

describe('GitHub in the web app', { timeout: 120_000 }, () => {
  it('connects a token (a revoked one is refused as the server says), then picks a repo by name', async () => {
    const shot = screenshots('github');
    const { context, page } = await signedIn(url, t.token, '/');
    try {
      // Not connected: the form says how to search GitHub, and links to where.
      const repoField = page.getByLabel('Repository', { exact: true });
      const connectLink = page.getByRole('link', { name: 'connect GitHub', exact: true });
      await connectLink.waitFor();
      await shot(page, 'not-connected-form');
      await connectLink.click();
      await page.waitForURL(/\/settings$/);
      const status = page.locator('.github-status');
      await status.filter({ hasText: 'Not connected' }).waitFor();

      // A revoked token: the server's words under the field, and still not connected.
      const revoked = gh.createToken('octo');
      gh.revokeToken(revoked);
      const tokenField = page.getByLabel('GitHub token', { exact: true });
      await tokenField.fill(revoked);
      await page.getByRole('button', { name: 'Connect GitHub', exact: true }).click();
      const refusal = page.locator('.field.invalid .field-error');
      await refusal.waitFor();
      expect(await refusal.textContent()).toMatch(
        /^GitHub at .* does not accept this token \(revoked, expired or mistyped\)/,
      );
      expect(await tokenField.getAttribute('aria-invalid')).toBe('true');
      expect(await status.textContent()).toMatch(/^Not connected/);
      await shot(page, 'revoked-token');

      await tokenField.fill(octoToken);
      await page.getByRole('button', { name: 'Connect GitHub', exact: true }).click();
      await status.filter({ hasText: 'Connected as octo with your token.' }).waitFor();
      expect(await page.locator('.field-error').count()).toBe(0);
      // The token is not shown back, and the field to paste one is gone.
      expect(await page.getByLabel('GitHub token', { exact: true }).count()).toBe(0);
      expect(await page.content()).not.toContain(octoToken);
      await shot(page, 'connected');

      // The picker: part of a name finds the repos, with a badge on the private ones.
      await page.getByRole('link', { name: 'New session', exact: true }).click();
      await page.waitForURL(`${url}/`);
      await repoField.fill('');
      await repoField.pressSequentially('ap');
      const options = page
        .getByRole('listbox', { name: 'GitHub repositories' })
        .getByRole('option');
      await options.first().waitFor();
      expect(await options.allTextContents()).toEqual(['acme/apiPrivate', 'acme/appPrivate']);
      await repoField.pressSequentially('p');
      await options.filter({ hasText: 'acme/api' }).waitFor({ state: 'detached' });
      expect(await options.allTextContents()).toEqual(['acme/appPrivate']);
      await repoField.fill('dot');
      await options.filter({ hasText: 'octo/dotfiles' }).waitFor();
      // A public repo has no badge.
      expect(await options.allTextContents()).toEqual(['octo/dotfiles']);
      await shot(page, 'picker');

      // Picking one fills the source, and the list closes.
      await repoField.fill('acme/a');
      await options.filter({ hasText: 'acme/app' }).click();
      expect(await repoField.inputValue()).toBe('acme/app');
      expect(await options.count()).toBe(0);
      expect(await repoField.getAttribute('aria-expanded')).toBe('false');

      // A pasted git URL is taken as it is: nothing is searched for.
      await repoField.fill('https://example.com/acme/app.git');
      await page.getByLabel('Task', { exact: true }).click();
      expect(await repoField.inputValue()).toBe('https://example.com/acme/app.git');
      expect(await options.count()).toBe(0);

      // Disconnect: the token is forgotten, and the field to paste one is back.
      await page.getByRole('link', { name: 'Settings', exact: true }).click();
      await status.filter({ hasText: 'Connected as octo' }).waitFor();
      await page.getByRole('button', { name: 'Disconnect', exact: true }).click();
      await status.filter({ hasText: 'Not connected' }).waitFor();
      await page.getByLabel('GitHub token', { exact: true }).waitFor();
      expect(await t.request('GET', '/api/v1/github').then((r) => r.json())).toMatchObject({
        connected: false,
      });
    } finally {
      await context.close();
    }
  });

  it('offers no token sign-in on a server that turned it off', async () => {
    // The App alone: no stand-in needed, as nothing here reaches GitHub.
    const appOnly = await openTestApp({
      webDir: packageWebDir(),
      githubEnv: { HANGAR_GITHUB_TOKEN_LOGIN: 'off' },
    });
    const base = await appOnly.listen();
    const { context, page } = await signedIn(base, appOnly.token, '/settings');
    try {
      await page.locator('.github-status', { hasText: 'Not connected' }).waitFor();
      await page.getByText('only through its GitHub App').waitFor();
      expect(await page.getByLabel('GitHub token', { exact: true }).count()).toBe(0);
      expect(await page.getByRole('button', { name: 'Connect GitHub' }).count()).toBe(0);
    } finally {
      await context.close();
      await appOnly.close();
    }
  });
});
