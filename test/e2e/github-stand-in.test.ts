import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAppAuth } from '@octokit/auth-app';
import { Octokit } from '@octokit/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryProblems, wireProblems } from '../../fixtures/github/openapi-check.js';
import { startGitHubStandIn, type GitHubStandIn } from '../../fixtures/github/stand-in.js';
import { gitAs, repoWithCommits } from '../../src/git/test-repo.js';

// The GitHub stand-in, driven by the real Octokit and the real git client; every API
// answer it gave, and every webhook delivery it sent, is checked against GitHub's
// published OpenAPI description at the end.
let gh: GitHubStandIn;
let work: string;
let ownerToken: string;
let strangerToken: string;
const hooks: { event: string; delivery: string; signature: string; body: string }[] = [];
const hookServer = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    hooks.push({
      event: String(req.headers['x-github-event']),
      delivery: String(req.headers['x-github-delivery']),
      signature: String(req.headers['x-hub-signature-256']),
      body: Buffer.concat(chunks).toString(),
    });
    res.writeHead(204).end();
  });
});

const octokit = (auth: string, gh_ = gh) => new Octokit({ auth, baseUrl: gh_.apiUrl });
const appOctokit = () =>
  new Octokit({
    authStrategy: createAppAuth,
    auth: { appId: gh.app.id, privateKey: gh.app.privateKey },
    baseUrl: gh.apiUrl,
  });

/**
 * Runs git with a token as GitHub takes it (Basic, user x-access-token), never in argv;
 * asynchronously, as the stand-in answers from this same process.
 */
function git(
  cwd: string,
  token: string | undefined,
  ...args: string[]
): Promise<{ status: number; stderr: string }> {
  const auth = token
    ? {
        GIT_CONFIG_COUNT: '1',
        GIT_CONFIG_KEY_0: 'http.extraHeader',
        GIT_CONFIG_VALUE_0: `Authorization: Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`,
      }
    : {};
  const env = {
    PATH: process.env.PATH,
    HOME: work,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    GIT_AUTHOR_NAME: 'a',
    GIT_AUTHOR_EMAIL: 'a@example.com',
    GIT_COMMITTER_NAME: 'a',
    GIT_COMMITTER_EMAIL: 'a@example.com',
    ...auth,
  };
  return new Promise((resolve) => {
    execFile('git', args, { cwd, env }, (error, _stdout, stderr) => {
      resolve({ status: error ? Number(error.code ?? 1) : 0, stderr });
    });
  });
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'hangar-gh-test-'));
  gh = await startGitHubStandIn();
  ownerToken = gh.addUser('octo');
  strangerToken = gh.addUser('stranger');
  gh.addUser('reader');
  repoWithCommits(join(work, 'src'), 'first');
  gh.createRepo('acme/app', {
    from: join(work, 'src'),
    collaborators: { octo: 'write', reader: 'read' },
  });
  gh.createRepo('acme/other', { from: join(work, 'src') });
  gh.createRepo('octo/public', { from: join(work, 'src'), private: false });
  await new Promise<void>((resolve) => hookServer.listen(0, '127.0.0.1', resolve));
  gh.setWebhookUrl(`http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/hooks`);
});

afterAll(async () => {
  await gh.close();
  hookServer.close();
  rmSync(work, { recursive: true, force: true });
});

describe('the REST API', () => {
  it('tells a user token who it is, and refuses a revoked one', async () => {
    const me = await octokit(ownerToken).rest.users.getAuthenticated();
    expect(me.data.login).toBe('octo');
    const token = gh.createToken('octo');
    gh.revokeToken(token);
    await expect(octokit(token).rest.users.getAuthenticated()).rejects.toMatchObject({
      status: 401,
      message: expect.stringMatching(/Bad credentials/) as unknown,
    });
    const expired = gh.createToken('octo', { expiresAt: new Date(Date.now() - 1000) });
    await expect(octokit(expired).rest.users.getAuthenticated()).rejects.toMatchObject({
      status: 401,
    });
  });

  it('shows a private repo to its collaborators with their permissions, 404 to others', async () => {
    const repo = await octokit(ownerToken).rest.repos.get({ owner: 'acme', repo: 'app' });
    expect(repo.data).toMatchObject({
      full_name: 'acme/app',
      private: true,
      default_branch: 'main',
    });
    expect(repo.data.permissions?.push).toBe(true);
    const reader = gh.createToken('reader');
    const read = await octokit(reader).rest.repos.get({ owner: 'acme', repo: 'app' });
    expect(read.data.permissions?.push).toBe(false);
    await expect(
      octokit(strangerToken).rest.repos.get({ owner: 'acme', repo: 'app' }),
    ).rejects.toMatchObject({ status: 404 });
    await expect(
      octokit(ownerToken).rest.repos.get({ owner: 'acme', repo: 'missing' }),
    ).rejects.toMatchObject({ status: 404 });
  });

  it('lists the repos a user can reach, page by page', async () => {
    const repos = await octokit(ownerToken).paginate(
      octokit(ownerToken).rest.repos.listForAuthenticatedUser,
      {
        per_page: 1,
      },
    );
    expect(repos.map((r) => r.full_name).sort()).toEqual(['acme/app', 'octo/public']);
  });

  it('exchanges a signed App JWT for an installation token scoped to one repo', async () => {
    const id = gh.installApp('acme', { repos: ['acme/app'] });
    const app = appOctokit();
    const found = await app.rest.apps.getRepoInstallation({ owner: 'acme', repo: 'app' });
    expect(found.data.id).toBe(id);
    await expect(
      app.rest.apps.getRepoInstallation({ owner: 'acme', repo: 'other' }),
    ).rejects.toMatchObject({ status: 404 });
    await app.rest.apps.getAuthenticated();
    await app.rest.apps.listInstallations();
    const minted = await app.rest.apps.createInstallationAccessToken({
      installation_id: id,
      repositories: ['app'],
      permissions: { contents: 'write', pull_requests: 'write', checks: 'read' },
    });
    expect(minted.data.permissions).toEqual({
      contents: 'write',
      pull_requests: 'write',
      checks: 'read',
    });
    const scoped = octokit(minted.data.token);
    const listed = await scoped.rest.apps.listReposAccessibleToInstallation();
    expect(listed.data.repositories.map((r) => r.full_name)).toEqual(['acme/app']);
    await scoped.rest.repos.get({ owner: 'acme', repo: 'app' });
    await expect(
      app.rest.apps.createInstallationAccessToken({
        installation_id: id,
        repositories: ['other'],
      }),
    ).rejects.toMatchObject({ status: 422 });
    await expect(
      app.rest.apps.createInstallationAccessToken({
        installation_id: id,
        permissions: { administration: 'write' },
      }),
    ).rejects.toMatchObject({ status: 422 });
  });

  it('refuses a JWT signed with another key', async () => {
    const other = await startGitHubStandIn();
    try {
      const forged = new Octokit({
        authStrategy: createAppAuth,
        auth: { appId: gh.app.id, privateKey: other.app.privateKey },
        baseUrl: gh.apiUrl,
      });
      await expect(forged.rest.apps.getAuthenticated()).rejects.toMatchObject({ status: 401 });
    } finally {
      await other.close();
    }
  });
});

describe('git and pull requests', () => {
  it('serves clones and pushes by token permission, and opens a PR with its checks', async () => {
    const clone = join(work, 'clone');
    expect(
      (await git(work, undefined, 'clone', '-q', `${gh.webUrl}/acme/app.git`, clone)).status,
    ).not.toBe(0);
    const stranger = await git(
      work,
      strangerToken,
      'clone',
      '-q',
      `${gh.webUrl}/acme/app.git`,
      clone,
    );
    expect(stranger.stderr).toMatch(/not found/i);
    expect(
      (await git(work, ownerToken, 'clone', '-q', `${gh.webUrl}/acme/app.git`, clone)).status,
    ).toBe(0);
    gitAs(clone, 'checkout', '-q', '-b', 'feature');
    gitAs(clone, 'commit', '-q', '--allow-empty', '-m', 'work');
    const readOnly = gh.createToken('octo', { contents: 'read' });
    const refused = await git(clone, readOnly, 'push', '-q', 'origin', 'feature');
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/denied/);
    const reader = gh.createToken('reader');
    expect((await git(clone, reader, 'push', '-q', 'origin', 'feature')).stderr).toMatch(/denied/);
    expect((await git(clone, ownerToken, 'push', '-q', 'origin', 'feature')).status).toBe(0);

    const api = octokit(ownerToken);
    const pr = await api.rest.pulls.create({
      owner: 'acme',
      repo: 'app',
      title: 'Work',
      head: 'feature',
      base: 'main',
      draft: true,
    });
    expect(pr.data).toMatchObject({
      number: 1,
      state: 'open',
      draft: true,
      head: { ref: 'feature' },
      base: { ref: 'main' },
    });
    // A second PR for the same head, and one for a branch that does not exist.
    for (const head of ['feature', 'nope']) {
      await expect(
        api.rest.pulls.create({ owner: 'acme', repo: 'app', title: 'Again', head, base: 'main' }),
      ).rejects.toMatchObject({ status: 422 });
    }
    const listed = await api.rest.pulls.list({ owner: 'acme', repo: 'app', head: 'acme:feature' });
    expect(listed.data.map((p) => p.number)).toEqual([1]);

    const sha = pr.data.head.sha;
    gh.setCheckRun('acme/app', sha, { name: 'test', status: 'completed', conclusion: 'failure' });
    gh.setStatus('acme/app', sha, { context: 'ci/lint', state: 'success' });
    const runs = await api.rest.checks.listForRef({ owner: 'acme', repo: 'app', ref: 'feature' });
    expect(runs.data.check_runs.map((c) => [c.name, c.conclusion])).toEqual([['test', 'failure']]);
    const status = await api.rest.repos.getCombinedStatusForRef({
      owner: 'acme',
      repo: 'app',
      ref: sha,
    });
    expect(status.data.state).toBe('success');

    // A new push moves the PR's head; a conditional request tells unchanged from changed.
    const first = await api.rest.pulls.get({ owner: 'acme', repo: 'app', pull_number: 1 });
    await expect(
      api.rest.pulls.get({
        owner: 'acme',
        repo: 'app',
        pull_number: 1,
        headers: { 'if-none-match': first.headers.etag ?? '' },
      }),
    ).rejects.toMatchObject({ status: 304 });
    gitAs(clone, 'commit', '-q', '--allow-empty', '-m', 'more');
    expect((await git(clone, ownerToken, 'push', '-q', 'origin', 'feature')).status).toBe(0);
    const moved = await api.rest.pulls.get({ owner: 'acme', repo: 'app', pull_number: 1 });
    expect(moved.data.head.sha).toBe(gitAs(clone, 'rev-parse', 'HEAD'));
    expect(moved.headers.etag).not.toBe(first.headers.etag);
  });

  it("serves a check run's annotations and job log, a PR's comments, its mergeability, and its closing", async () => {
    const api = octokit(ownerToken);
    const repo = { owner: 'acme', repo: 'app' };
    const pull = (await api.rest.pulls.get({ ...repo, pull_number: 1 })).data;
    expect(pull).toMatchObject({ mergeable: true, mergeable_state: 'clean' });
    gh.setCheckRun('acme/app', pull.head.sha, {
      name: 'unit',
      status: 'completed',
      conclusion: 'failure',
      title: '1 test failed',
      summary: 'add() returned 3',
      annotations: [{ path: 'src/add.ts', line: 2, level: 'failure', message: 'expected 4' }],
      log: 'line 1\nFAIL add.test.ts\n',
    });
    const [run] = (
      await api.rest.checks.listForRef({ ...repo, ref: pull.head.sha, check_name: 'unit' })
    ).data.check_runs.filter((c) => c.name === 'unit');
    expect(run?.output).toMatchObject({ title: '1 test failed', summary: 'add() returned 3' });
    const notes = await api.rest.checks.listAnnotations({ ...repo, check_run_id: run?.id ?? 0 });
    expect(notes.data.map((a) => [a.path, a.start_line, a.message])).toEqual([
      ['src/add.ts', 2, 'expected 4'],
    ]);
    const log = await api.rest.actions.downloadJobLogsForWorkflowRun({
      ...repo,
      job_id: run?.id ?? 0,
    });
    expect(String(log.data)).toContain('FAIL add.test.ts');

    gh.addComment('acme/app', 1, { login: 'reader', body: 'Why?' });
    gh.addComment('acme/app', 1, {
      login: 'reader',
      body: 'Rename this.',
      review: { path: 'README.md', line: 1, diffHunk: '@@ -0,0 +1 @@\n+first' },
    });
    const review = await api.rest.pulls.listReviewComments({ ...repo, pull_number: 1 });
    expect(review.data.map((c) => [c.path, c.line, c.body, c.user.login])).toEqual([
      ['README.md', 1, 'Rename this.', 'reader'],
    ]);
    const talk = await api.rest.issues.listComments({ ...repo, issue_number: 1 });
    expect(talk.data.map((c) => c.body)).toEqual(['Why?']);

    // What the agent's tools do: issues, a comment on the PR, a reply in a review thread,
    // an edit of the PR's body.
    const issueNumber = gh.addIssue('acme/app', 'octo', { title: 'Flaky test', body: 'It fails.' });
    const listed = await api.rest.issues.listForRepo(repo);
    expect(listed.data.map((i) => [i.number, i.pull_request !== undefined])).toEqual([
      [issueNumber, false],
      [1, true],
    ]);
    const read = await api.rest.issues.get({ ...repo, issue_number: issueNumber });
    expect(read.data).toMatchObject({ title: 'Flaky test', body: 'It fails.' });
    await expect(api.rest.issues.get({ ...repo, issue_number: 99 })).rejects.toMatchObject({
      status: 404,
    });
    const posted = await api.rest.issues.createComment({ ...repo, issue_number: 1, body: 'Done.' });
    expect(posted.data.user?.login).toBe('octo');
    await expect(
      api.rest.issues.createComment({ ...repo, issue_number: 1, body: '' }),
    ).rejects.toMatchObject({ status: 422 });
    const thread = review.data[0]?.id ?? 0;
    const reply = await api.rest.pulls.createReplyForReviewComment({
      ...repo,
      pull_number: 1,
      comment_id: thread,
      body: 'Renamed.',
    });
    expect(reply.data).toMatchObject({ in_reply_to_id: thread, path: 'README.md' });
    expect((await api.rest.pulls.listReviews({ ...repo, pull_number: 1 })).data).toEqual([]);
    const edited = await api.rest.pulls.update({ ...repo, pull_number: 1, body: 'New body' });
    expect(edited.data.body).toBe('New body');

    gh.closePull('acme/app', 1, { merged: true });
    const merged = (await api.rest.pulls.get({ ...repo, pull_number: 1 })).data;
    expect(merged).toMatchObject({ state: 'closed', merged: true });
    expect(merged.merged_at).not.toBeNull();
  });

  it('lets anyone clone a public repo but nobody push without a token', async () => {
    const clone = join(work, 'public');
    expect(
      (await git(work, undefined, 'clone', '-q', `${gh.webUrl}/octo/public`, clone)).status,
    ).toBe(0);
    gitAs(clone, 'commit', '-q', '--allow-empty', '-m', 'x');
    expect((await git(clone, undefined, 'push', '-q', 'origin', 'HEAD:main')).status).not.toBe(0);
    expect((await git(clone, strangerToken, 'push', '-q', 'origin', 'HEAD:main')).stderr).toMatch(
      /denied/,
    );
  });

  it('signs its webhook deliveries as GitHub does', async () => {
    await expect
      .poll(() => hooks.map((h) => h.event))
      .toEqual(
        expect.arrayContaining([
          'pull_request',
          'check_run',
          'status',
          'issue_comment',
          'pull_request_review_comment',
          'push',
        ]),
      );
    for (const hook of hooks) {
      const expected = createHmac('sha256', gh.app.webhookSecret).update(hook.body).digest('hex');
      expect(hook.signature).toBe(`sha256=${expected}`);
      expect(hook.delivery).toMatch(/^[0-9a-f-]{36}$/);
    }
  });
});

describe('the wire format', () => {
  it('catches an answer that drifts from the description', () => {
    const good = gh.exchanges.find((e) => e.route === '/repos/{owner}/{repo}' && e.status === 200);
    expect(good).toBeDefined();
    if (!good) return;
    expect(wireProblems(good)).toEqual([]);
    const drifted = { ...(good.body as Record<string, unknown>) };
    delete drifted.default_branch;
    expect(wireProblems({ ...good, body: drifted })).toEqual([
      expect.stringMatching(/default_branch/),
    ]);
    expect(wireProblems({ ...good, body: { ...drifted, default_branch: 7 } })).toEqual([
      expect.stringMatching(/default_branch must be string/),
    ]);
  });

  it("matches GitHub's OpenAPI description in every answer given, and every route was tried", () => {
    const problems = gh.exchanges.flatMap(wireProblems);
    expect(problems).toEqual([]);
    const tried = new Set(gh.exchanges.map((e) => `${e.method} ${e.route} ${e.status}`));
    for (const route of [
      'GET /user 200',
      'GET /user 401',
      'GET /user/repos 200',
      'GET /repos/{owner}/{repo} 200',
      'GET /repos/{owner}/{repo} 404',
      'GET /app 200',
      'GET /app/installations 200',
      'GET /repos/{owner}/{repo}/installation 200',
      'GET /repos/{owner}/{repo}/installation 404',
      'POST /app/installations/{installation_id}/access_tokens 201',
      'POST /app/installations/{installation_id}/access_tokens 422',
      'GET /installation/repositories 200',
      'POST /repos/{owner}/{repo}/pulls 201',
      'POST /repos/{owner}/{repo}/pulls 422',
      'GET /repos/{owner}/{repo}/pulls 200',
      'GET /repos/{owner}/{repo}/pulls/{pull_number} 200',
      'GET /repos/{owner}/{repo}/commits/{ref}/check-runs 200',
      'GET /repos/{owner}/{repo}/commits/{ref}/status 200',
      'GET /repos/{owner}/{repo}/check-runs/{check_run_id}/annotations 200',
      'GET /repos/{owner}/{repo}/actions/jobs/{job_id}/logs 302',
      'GET /repos/{owner}/{repo}/pulls/{pull_number}/comments 200',
      'GET /repos/{owner}/{repo}/issues/{issue_number}/comments 200',
      'GET /repos/{owner}/{repo}/issues 200',
      'GET /repos/{owner}/{repo}/issues/{issue_number} 200',
      'GET /repos/{owner}/{repo}/issues/{issue_number} 404',
      'POST /repos/{owner}/{repo}/issues/{issue_number}/comments 201',
      'POST /repos/{owner}/{repo}/issues/{issue_number}/comments 422',
      'POST /repos/{owner}/{repo}/pulls/{pull_number}/comments/{comment_id}/replies 201',
      'GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews 200',
      'PATCH /repos/{owner}/{repo}/pulls/{pull_number} 200',
    ]) {
      expect(tried, route).toContain(route);
    }
  });

  it("matches GitHub's webhook payloads in every delivery sent, and catches one that drifts", () => {
    const received = hooks.map((h) => ({
      event: h.event,
      payload: JSON.parse(h.body) as Record<string, unknown>,
    }));
    expect(received.flatMap(deliveryProblems)).toEqual([]);
    const sent = new Set(
      received.map(
        (d) => `${d.event} ${typeof d.payload.action === 'string' ? d.payload.action : ''}`,
      ),
    );
    for (const kind of [
      'pull_request opened',
      'pull_request synchronize',
      'push ',
      'check_run completed',
      'status ',
    ]) {
      expect(sent, kind).toContain(kind);
    }
    const status = received.find((d) => d.event === 'status');
    if (!status) return;
    const drifted = { ...status.payload };
    delete drifted.commit;
    expect(deliveryProblems({ event: 'status', payload: drifted })).toEqual([
      "the status delivery: / must have required property 'commit'",
    ]);
    expect(
      deliveryProblems({ event: 'status', payload: { ...status.payload, state: 'done' } }),
    ).toEqual([
      expect.stringMatching(
        /^the status delivery: \/state must be equal to one of the allowed values/,
      ),
    ]);
  });
});
