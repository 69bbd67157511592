import { execFile } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitHubStandIn, type GitHubStandIn } from '../../../fixtures/github/stand-in.js';
import { gitAs, repoWithCommits } from '../../git/test-repo.js';
import { openTestApp, type TestApp } from '../test-app.js';

/**
 * Create PR and its status through the real server in-process, against the GitHub
 * stand-in: the check at session creation, opening the PR from a pushed session branch,
 * its CI from signed webhook deliveries and from polling. The sandbox side (uncommitted
 * changes, Hangar's own push) is in test/e2e/pull-requests.test.ts.
 */

interface PullRequestJson {
  number: number;
  url: string;
  state: string;
  checks: { state: string; passed: number; failed: number; pending: number };
}

const run = promisify(execFile);

let t: TestApp;
let gh: GitHubStandIn;
let dir: string;
let octoToken: string;
let webhookUrl: string;

beforeAll(async () => {
  gh = await startGitHubStandIn();
  t = await openTestApp({
    sessions: true,
    githubEnv: {
      ...gh.hangarEnv,
      HANGAR_GITHUB_POLL_SECONDS: '1',
    },
  });
  webhookUrl = `${await t.listen()}/api/v1/github/webhooks`;
  dir = mkdtempSync(join(tmpdir(), 'hangar-pr-'));
  repoWithCommits(join(dir, 'src'), 'one');
  octoToken = gh.addUser('octo');
  gh.createRepo('octo/app', { from: join(dir, 'src'), private: true });
  gh.createRepo('acme/readonly', { from: join(dir, 'src'), collaborators: { octo: 'read' } });
  gh.createRepo('acme/other', { from: join(dir, 'src') });
  gh.createRepo('apps/service', { from: join(dir, 'src') });
  gh.installApp('apps', { repos: ['apps/service'] });
  const connected = await t.request('POST', '/api/v1/github/token', {
    body: { token: octoToken },
  });
  expect(connected.status).toBe(200);
});
afterAll(async () => {
  await t.close();
  await gh.close();
  rmSync(dir, { recursive: true, force: true });
});

// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the answer's shape
async function json<T>(
  response: Response | Promise<Response>,
): Promise<{ status: number; body: T }> {
  const res = await response;
  return { status: res.status, body: (await res.json()) as T };
}

function createSession(url: string, token = t.token) {
  return json<{ id: string; branch: string; error?: { code: string; message: string } }>(
    t.request('POST', '/api/v1/sessions', {
      body: { prompt: 'fix the bug', source: { type: 'git', url } },
      token,
    }),
  );
}

async function session(id: string) {
  return (
    await json<{ id: string; title: string; pullRequest: PullRequestJson | null }>(
      t.request('GET', `/api/v1/sessions/${id}`),
    )
  ).body;
}

/** Waits (no deadline of its own: vitest's timeout) until the session's PR matches. */
async function waitForChecks(id: string, state: string): Promise<PullRequestJson> {
  for (;;) {
    const pr = (await session(id)).pullRequest;
    if (pr?.checks.state === state) return pr;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Pushes a new commit onto main as the session branch on the stand-in, as the agent
 * would; its sha. Asynchronously: the stand-in answers from this process.
 */
async function pushToBranch(repo: string, branch: string, message: string): Promise<string> {
  const work = join(dir, `push-${randomUUID()}`);
  gitAs(dir, 'clone', '-q', join(dir, 'src'), work);
  gitAs(work, 'commit', '-q', '--allow-empty', '-m', message);
  const remote = `${gh.webUrl.replace('://', `://x-access-token:${octoToken}@`)}/${repo}.git`;
  await run('git', ['push', '-q', '--force', remote, `HEAD:refs/heads/${branch}`], { cwd: work });
  return gitAs(work, 'rev-parse', 'HEAD');
}

describe('the check at session creation', () => {
  it('takes a private repo the user can push to, by owner/repo', async () => {
    const created = await createSession('octo/app');
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const s = await json<{ source: { url: string; branch: string } }>(
      t.request('GET', `/api/v1/sessions/${created.body.id}`),
    );
    expect(s.body.source).toMatchObject({ url: `${gh.webUrl}/octo/app.git`, branch: 'main' });
  });

  it('refuses a repo that does not exist, naming it', async () => {
    const { status, body } = await createSession(`${gh.webUrl}/octo/missing`);
    expect(status).toBe(404);
    expect(body.error?.code).toBe('github_repo_not_found');
    expect(body.error?.message).toContain('octo/missing');
  });

  it('refuses a repo the user may read but not push to, saying whom to ask', async () => {
    const { status, body } = await createSession('acme/readonly');
    expect(status).toBe(403);
    expect(body.error?.code).toBe('github_no_push_access');
    expect(body.error?.message).toMatch(/write access/);
  });

  it('refuses a repo the App is not installed on, for a user with no token: install the App or connect', async () => {
    const bob = await json<{ token: string }>(
      t.request('POST', '/api/v1/users', { body: { name: 'bob' } }),
    );
    const { status, body } = await createSession('acme/other', bob.body.token);
    expect(status).toBe(403);
    expect(body.error?.code).toBe('github_app_not_installed');
    expect(body.error?.message).toMatch(/install the GitHub App on acme\/other/);
    expect(body.error?.message).toMatch(/hangar github login/);
    // The App's own repo works for the same user.
    expect((await createSession('apps/service', bob.body.token)).status).toBe(201);
  });

  it('refuses at once when the stored token was revoked', async () => {
    const carol = await json<{ token: string }>(
      t.request('POST', '/api/v1/users', { body: { name: 'carol' } }),
    );
    gh.addUser('carol');
    const carolGh = gh.createToken('carol');
    gh.createRepo('carol/site', { from: join(dir, 'src') });
    expect(
      (
        await t.request('POST', '/api/v1/github/token', {
          body: { token: carolGh },
          token: carol.body.token,
        })
      ).status,
    ).toBe(200);
    gh.revokeToken(carolGh);
    const { status, body } = await createSession('carol/site', carol.body.token);
    expect(status).toBe(403);
    expect(body.error?.code).toBe('github_token_invalid');
    expect(body.error?.message).toMatch(/hangar github login/);
  });
});

describe('Create PR and its CI', () => {
  let id: string;
  let branch: string;
  let pr: PullRequestJson;

  beforeAll(async () => {
    const created = await createSession('octo/app');
    expect(created.status).toBe(201);
    ({ id, branch } = created.body);
    await pushToBranch('octo/app', branch, 'the fix');
    gh.setWebhookUrl(webhookUrl);
  });

  it('opens the PR from the session branch into the branch it started from, once', async () => {
    const first = await json<PullRequestJson>(
      t.request('POST', `/api/v1/sessions/${id}/pull-request`, { body: {} }),
    );
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    pr = first.body;
    expect(pr).toMatchObject({ number: 1, state: 'open', url: `${gh.webUrl}/octo/app/pull/1` });
    const [pull, ...more] = gh.pulls('octo/app');
    expect(more).toEqual([]);
    expect(pull?.head.ref).toBe(branch);
    expect(pull?.base.ref).toBe('main');
    expect(pull?.title).toBe((await session(id)).title);
    expect(pull?.body).toContain(`http://hangar.test/sessions/${id}`);

    const again = await json<PullRequestJson>(
      t.request('POST', `/api/v1/sessions/${id}/pull-request`, { body: { title: 'other' } }),
    );
    expect(again.status).toBe(200);
    expect(again.body.number).toBe(1);
    expect(gh.pulls('octo/app')).toHaveLength(1);
    expect((await session(id)).pullRequest).toMatchObject({ number: 1, state: 'open' });
  });

  it('shows a failing check run from a webhook, then success after a new push', async () => {
    const head = gh.pulls('octo/app')[0]?.head.sha ?? '';
    gh.setCheckRun('octo/app', head, { name: 'test', status: 'completed', conclusion: 'failure' });
    expect((await waitForChecks(id, 'failure')).checks).toEqual({
      state: 'failure',
      passed: 0,
      failed: 1,
      pending: 0,
    });
    const next = await pushToBranch('octo/app', branch, 'the fix, fixed');
    gh.setCheckRun('octo/app', next, { name: 'test', status: 'completed', conclusion: 'success' });
    expect((await waitForChecks(id, 'success')).checks).toMatchObject({ passed: 1, failed: 0 });
    const events = await json<{ events: { type: string; data: PullRequestJson }[] }>(
      t.request('GET', `/api/v1/sessions/${id}/events?after=0`),
    );
    const updates = events.body.events.filter((e) => e.type === 'pull_request.updated');
    expect(updates.map((e) => e.data.checks.state)).toContain('failure');
    expect(updates.at(-1)?.data.checks.state).toBe('success');
  });

  it('handles a delivery id once and refuses a bad signature', async () => {
    const payload = JSON.stringify({ action: 'completed', repository: { full_name: 'octo/app' } });
    const deliver = (signature: string, delivery = 'dup-1') =>
      fetch(webhookUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'check_run',
          'x-github-delivery': delivery,
          'x-hub-signature-256': signature,
        },
        body: payload,
      });
    const good = `sha256=${createHmac('sha256', gh.app.webhookSecret).update(payload).digest('hex')}`;
    expect(await (await deliver(good)).json()).toEqual({ delivery: 'dup-1', duplicate: false });
    expect(await (await deliver(good)).json()).toEqual({ delivery: 'dup-1', duplicate: true });
    const bad = await deliver(`sha256=${'0'.repeat(64)}`, 'dup-2');
    expect(bad.status).toBe(401);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('bad_signature');
    const unsigned = await deliver('', 'dup-3');
    expect(unsigned.status).toBe(401);
  });

  it('follows the checks by polling when no webhook comes', async () => {
    gh.setWebhookUrl(undefined);
    t.pullRequests?.start();
    const head = gh.pulls('octo/app')[0]?.head.sha ?? '';
    gh.setCheckRun('octo/app', head, { name: 'lint', status: 'completed', conclusion: 'failure' });
    expect((await waitForChecks(id, 'failure')).checks).toEqual({
      state: 'failure',
      passed: 1,
      failed: 1,
      pending: 0,
    });
    gh.setCheckRun('octo/app', head, { name: 'lint', status: 'completed', conclusion: 'success' });
    expect((await waitForChecks(id, 'success')).checks.passed).toBe(2);

    // Nothing changes from here: each poll asks with the ETag it holds, GitHub answers
    // 304 Not Modified (which costs no rate limit), and the session's PR stays as it was.
    const shown = (await session(id)).pullRequest;
    const answered = gh.exchanges.length;
    const unchanged = gh.notModified.length;
    while (gh.notModified.length < unchanged + 6) await new Promise((r) => setTimeout(r, 100));
    expect(gh.exchanges.slice(answered)).toEqual([]);
    expect(gh.notModified.slice(unchanged)).toContainEqual({
      method: 'GET',
      route: '/repos/{owner}/{repo}/pulls/{pull_number}',
    });
    expect((await session(id)).pullRequest).toEqual(shown);
  });

  it('answers a clear error when the token is revoked mid-session, and keeps the session', async () => {
    const created = await createSession('octo/app');
    expect(created.status).toBe(201);
    await pushToBranch('octo/app', created.body.branch, 'more work');
    const before = await session(created.body.id);
    gh.revokeToken(octoToken);
    const refused = await json<{ error: { code: string; message: string } }>(
      t.request('POST', `/api/v1/sessions/${created.body.id}/pull-request`, { body: {} }),
    );
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('github_token_invalid');
    expect(refused.body.error.message).toMatch(/connect again with `hangar github login`/);
    const after = await session(created.body.id);
    expect(after).toMatchObject({ id: before.id, title: before.title, pullRequest: null });
    // The first session's PR is still shown as it was last known.
    expect((await session(id)).pullRequest).toMatchObject({
      number: 1,
      checks: { state: 'success' },
    });
  });

  it('names a bad field', async () => {
    const bad = await json<{ error: { code: string; message: string } }>(
      t.request('POST', `/api/v1/sessions/${id}/pull-request`, { body: { draft: 'yes' } }),
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/draft|boolean/);
  });
});
