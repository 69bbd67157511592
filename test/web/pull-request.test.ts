import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitHubStandIn, type GitHubStandIn } from '../../fixtures/github/stand-in.js';
import { gitAs, repoWithCommits } from '../../src/git/test-repo.js';
import { packageWebDir } from '../../src/server/serve.js';
import { openTestApp, type TestApp } from '../../src/server/test-app.js';
import { launchChromium, screenshots, signedInContext } from './browser.js';

/**
 * Create PR and its CI in Debian's chromium against the real app (built web app, real
 * routes, a real runner with no agent) and the GitHub stand-in, which tells the server
 * about CI only through signed webhook deliveries (polling is off). A session's branch
 * is pushed to the stand-in as the agent would have pushed it. Also: the new-session
 * form's GitHub refusals, each under the Repository field with what was typed kept.
 */

const run = promisify(execFile);

let gh: GitHubStandIn;
let t: TestApp;
let url: string;
let browser: Browser;
let dir: string;
let octoToken: string;

beforeAll(async () => {
  gh = await startGitHubStandIn();
  t = await openTestApp({
    webDir: packageWebDir(),
    sessions: true,
    githubEnv: {
      ...gh.hangarEnv,
      HANGAR_GITHUB_POLL_SECONDS: '0',
    },
  });
  url = await t.listen();
  gh.setWebhookUrl(`${url}/api/v1/github/webhooks`);
  dir = mkdtempSync(join(tmpdir(), 'hangar-web-pr-'));
  repoWithCommits(join(dir, 'src'), 'one');
  octoToken = gh.addUser('octo');
  gh.createRepo('octo/app', { from: join(dir, 'src') });
  gh.createRepo('acme/readonly', { from: join(dir, 'src'), collaborators: { octo: 'read' } });
  gh.createRepo('acme/other', { from: join(dir, 'src') });
  const connected = await t.request('POST', '/api/v1/github/token', {
    body: { token: octoToken },
  });
  expect(connected.status).toBe(200);
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser.close();
  await t.close();
  await gh.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A page signed in with `token`, opened at `path`, in a context of its own. */
async function signedIn(
  token: string,
  path: string,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await signedInContext(browser, token);
  const page = await context.newPage();
  await page.goto(`${url}${path}`);
  return { context, page };
}

/** Pushes a new commit as `branch` of octo/app on the stand-in, as the agent would; its sha. */
async function pushToBranch(branch: string, message: string): Promise<string> {
  const work = join(dir, `push-${randomUUID()}`);
  gitAs(dir, 'clone', '-q', join(dir, 'src'), work);
  gitAs(work, 'commit', '-q', '--allow-empty', '-m', message);
  const remote = `${gh.webUrl.replace('://', `://x-access-token:${octoToken}@`)}/octo/app.git`;
  await run('git', ['push', '-q', '--force', remote, `HEAD:refs/heads/${branch}`], { cwd: work });
  return gitAs(work, 'rev-parse', 'HEAD');
}

describe('Create PR in the web app', { timeout: 120_000 }, () => {
  it('opens the PR from the session page; its CI bar and sidebar badge follow the webhooks', async () => {
    const shot = screenshots('pull-request');
    const created = await t.request('POST', '/api/v1/sessions', {
      body: { prompt: 'fix the greeting', source: { type: 'git', url: 'octo/app' } },
    });
    expect(created.status).toBe(201);
    const { id, branch } = (await created.json()) as { id: string; branch: string };
    await pushToBranch(branch, 'the fix');

    const { context, page } = await signedIn(t.token, `/sessions/${id}`);
    try {
      const sidebarEntry = page.locator('.sidebar').locator(`a[href="/sessions/${id}"]`);
      await sidebarEntry.waitFor();
      expect(await sidebarEntry.locator('.pr-badge').count()).toBe(0);
      const createPr = page.getByRole('button', { name: 'Create PR', exact: true });
      await shot(page, 'before');
      await createPr.click();

      // The PR's link, where GitHub shows it; nothing has reported CI on it yet.
      const link = page.locator('.pr-link');
      await link.waitFor();
      expect(await link.textContent()).toBe('PR #1 · Open');
      expect(await link.getAttribute('href')).toBe(`${gh.webUrl}/octo/app/pull/1`);
      expect(await createPr.count()).toBe(0);
      const [pull] = gh.pulls('octo/app');
      expect(pull?.head.ref).toBe(branch);
      expect(pull?.base.ref).toBe('main');
      const bar = page.locator('.ci-bar');
      const badge = sidebarEntry.locator('.pr-badge');
      const counts = bar.locator('.ci-counts');
      expect(await bar.getAttribute('data-checks')).toBe('pending');
      expect(await counts.textContent()).toBe('0 passed · 0 failed · 0 pending');
      await badge.waitFor();
      expect(await badge.textContent()).toBe('PR #1');
      await shot(page, 'opened');

      // CI starts: pending, with one check running.
      const head = pull?.head.sha ?? '';
      gh.setCheckRun('octo/app', head, { name: 'test', status: 'in_progress' });
      await counts.filter({ hasText: '0 passed · 0 failed · 1 pending' }).waitFor();
      expect(await bar.locator('.ci-label').textContent()).toBe('CI running');
      await shot(page, 'pending');

      // It fails: the bar and the badge say so.
      gh.setCheckRun('octo/app', head, {
        name: 'test',
        status: 'completed',
        conclusion: 'failure',
      });
      await page.locator('.ci-bar[data-checks="failure"]').waitFor();
      expect(await counts.textContent()).toBe('0 passed · 1 failed · 0 pending');
      expect(await bar.locator('.ci-label').textContent()).toBe('CI failed');
      expect(await bar.getAttribute('aria-label')).toBe('CI failed: 0 passed, 1 failed, 0 pending');
      await sidebarEntry.locator('.pr-badge[data-checks="failure"]').waitFor();
      await shot(page, 'failure');

      // A new push, whose check passes: success everywhere.
      const next = await pushToBranch(branch, 'the fix, fixed');
      gh.setCheckRun('octo/app', next, {
        name: 'test',
        status: 'completed',
        conclusion: 'success',
      });
      await page.locator('.ci-bar[data-checks="success"]').waitFor();
      expect(await counts.textContent()).toBe('1 passed · 0 failed · 0 pending');
      expect(await bar.locator('.ci-label').textContent()).toBe('CI passed');
      await sidebarEntry.locator('.pr-badge[data-checks="success"]').waitFor();
      await shot(page, 'success');

      // All of it came by signed deliveries the server took.
      expect(gh.deliveries.map((d) => d.event)).toEqual(
        expect.arrayContaining(['pull_request', 'check_run']),
      );
      expect(gh.deliveries.filter((d) => d.status !== 200)).toEqual([]);

      // A reload shows the same, read from the server.
      await page.reload();
      await page.locator('.ci-bar[data-checks="success"]').waitFor();
      expect(await page.locator('.pr-link').textContent()).toBe('PR #1 · Open');
    } finally {
      await context.close();
    }
  });
});

describe("the new-session form's GitHub refusals", { timeout: 120_000 }, () => {
  /**
   * Submits the form for `repo` and waits for `expected` under the Repository field
   * (not an earlier submit's message).
   */
  async function refused(page: Page, repo: string, task: string, expected: string) {
    const repoField = page.getByLabel('Repository', { exact: true });
    await repoField.fill(repo);
    await page.getByLabel('Task', { exact: true }).fill(task);
    await page.getByRole('button', { name: 'Start session', exact: true }).click();
    await page
      .locator('.field.invalid .field-error')
      .getByText(expected, { exact: true })
      .waitFor();
    // Nothing typed is lost, and the field says it is the one in question.
    expect(await repoField.inputValue()).toBe(repo);
    expect(await page.getByLabel('Task', { exact: true }).inputValue()).toBe(task);
    expect(await repoField.getAttribute('aria-invalid')).toBe('true');
    expect(page.url()).toBe(`${url}/`);
  }

  it('says a repo is missing or read-only, under the field, keeping what was typed', async () => {
    const shot = screenshots('new-session-github-refusals');
    const { context, page } = await signedIn(t.token, '/');
    try {
      await refused(
        page,
        'octo/missing',
        'fix it',
        'GitHub has no repository octo/missing that your GitHub account octo can see: check the name, or get access to it.',
      );
      await shot(page, 'missing');
      await refused(
        page,
        'acme/readonly',
        'fix it there',
        'Your GitHub account octo can read acme/readonly but not push to it: ask an admin of acme/readonly for write access.',
      );
      await shot(page, 'read-only');
      // Neither needs connecting again: no link to Settings.
      expect(await page.locator('#repo-hint').getByRole('link', { name: 'Settings' }).count()).toBe(
        0,
      );
    } finally {
      await context.close();
    }
  });

  it('says the App is not installed, and a revoked token, with the way to Settings; the task survives the visit', async () => {
    const shot = screenshots('new-session-github-connect');
    const answer = await t.request('POST', '/api/v1/users', { body: { name: 'dana' } });
    const dana = ((await answer.json()) as { token: string }).token;
    const { context, page } = await signedIn(dana, '/');
    try {
      await refused(
        page,
        'acme/other',
        'tidy the README',
        `Hangar has no GitHub credential for acme/other: install the GitHub App on acme/other (${gh.webUrl}/apps/${gh.app.slug}/installations/new), or connect your GitHub account: \`hangar github login\`.`,
      );
      await shot(page, 'app-not-installed');

      // Dana connects a token, which is then revoked on GitHub.
      gh.addUser('dana');
      gh.createRepo('dana/site', { from: join(dir, 'src') });
      const danaGh = gh.createToken('dana');
      const connected = await t.request('POST', '/api/v1/github/token', {
        body: { token: danaGh },
        token: dana,
      });
      expect(connected.status).toBe(200);
      gh.revokeToken(danaGh);
      await refused(
        page,
        'dana/site',
        'fix the footer',
        'GitHub no longer accepts the token of dana (revoked or expired): connect again with `hangar github login`.',
      );
      await shot(page, 'token-revoked');

      // The way to connect again, and back: the repo and the task are still there.
      await page.locator('#repo-hint').getByRole('link', { name: 'Settings', exact: true }).click();
      await page.waitForURL(/\/settings$/);
      await page.locator('.github-status').waitFor();
      await page.getByRole('link', { name: 'New session', exact: true }).click();
      await page.waitForURL(`${url}/`);
      expect(await page.getByLabel('Repository', { exact: true }).inputValue()).toBe('dana/site');
      expect(await page.getByLabel('Task', { exact: true }).inputValue()).toBe('fix the footer');
      const sessions = (await (
        await t.request('GET', '/api/v1/sessions', { token: dana })
      ).json()) as { sessions: unknown[] };
      expect(sessions.sessions).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
