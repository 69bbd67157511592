import { execFile } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitHubStandIn, type GitHubStandIn } from '../../../fixtures/github/stand-in.js';
import { labelAgentText } from '../../github/agent-label.js';
import { gitAs, repoWithCommits } from '../../git/test-repo.js';
import { openTestApp, type TestApp } from '../test-app.js';

/**
 * Auto-fix through the real server in-process, against the GitHub stand-in's signed
 * webhook deliveries: what wakes a session's agent (the wake-up event, then the
 * follow-up), what never does (Hangar's own comments, a redelivery, a bad signature,
 * an unknown event), the hourly cap, and the watch ending with its PR. The sandbox and
 * the real agent are in test/e2e/autofix.test.ts.
 */

interface Event {
  seq: number;
  type: string;
  data: Record<string, unknown>;
}
interface Summary {
  enabled: boolean;
  mergeable: string;
  turnsThisHour: number;
  maxPerHour: number;
  stoppedReason: string | null;
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
      HANGAR_GITHUB_POLL_SECONDS: '0',
      HANGAR_AUTOFIX_MAX_PER_HOUR: '2',
    },
  });
  webhookUrl = `${await t.listen()}/api/v1/github/webhooks`;
  dir = mkdtempSync(join(tmpdir(), 'hangar-autofix-'));
  repoWithCommits(join(dir, 'src'), 'one');
  octoToken = gh.addUser('octo');
  gh.addUser('reviewer');
  gh.createRepo('octo/app', { from: join(dir, 'src'), collaborators: { reviewer: 'write' } });
  const connected = await t.request('POST', '/api/v1/github/token', {
    body: { token: octoToken },
  });
  expect(connected.status).toBe(200);
  gh.setWebhookUrl(webhookUrl);
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

/** Commits `file` = `text` on top of `from` and pushes it as `branch` on the stand-in; its sha. */
async function push(branch: string, file: string, text: string, from = 'main'): Promise<string> {
  const work = join(dir, `push-${randomUUID()}`);
  const remote = `${gh.webUrl.replace('://', `://x-access-token:${octoToken}@`)}/octo/app.git`;
  await run('git', ['clone', '-q', '--branch', from, remote, work]);
  writeFileSync(join(work, file), text);
  gitAs(work, 'add', file);
  gitAs(work, 'commit', '-q', '-m', `${file}: ${text}`);
  await run('git', ['push', '-q', remote, `HEAD:refs/heads/${branch}`], { cwd: work });
  return gitAs(work, 'rev-parse', 'HEAD');
}

/** A session with a PR from its branch (one commit changing `file`), auto-fix not yet on. */
async function sessionWithPr(
  file: string,
): Promise<{ id: string; branch: string; number: number }> {
  const created = await json<{ id: string; branch: string }>(
    t.request('POST', '/api/v1/sessions', {
      body: { prompt: 'fix the bug', source: { type: 'git', url: 'octo/app' } },
    }),
  );
  expect(created.status).toBe(201);
  const { id, branch } = created.body;
  await push(branch, file, 'the branch says so');
  const pr = await json<{ number: number }>(
    t.request('POST', `/api/v1/sessions/${id}/pull-request`, { body: {} }),
  );
  expect(pr.status, JSON.stringify(pr.body)).toBe(201);
  return { id, branch, number: pr.body.number };
}

async function events(id: string): Promise<Event[]> {
  return (
    await json<{ events: Event[] }>(t.request('GET', `/api/v1/sessions/${id}/events?after=0`))
  ).body.events;
}

async function autofix(id: string, enabled: boolean) {
  return json<Summary & { error?: { code: string; message: string } }>(
    t.request('POST', `/api/v1/sessions/${id}/autofix`, { body: { enabled } }),
  );
}

async function summary(id: string): Promise<Summary> {
  return (await json<Summary>(t.request('GET', `/api/v1/sessions/${id}/autofix`))).body;
}

/** Waits (vitest's timeout is the deadline) until the session has `n` events of `type`. */
async function waitForEvents(id: string, type: string, n = 1): Promise<Event[]> {
  for (;;) {
    const found = (await events(id)).filter((e) => e.type === type);
    if (found.length >= n) return found;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until the stand-in has had every webhook it sent answered. */
async function deliveriesAnswered(): Promise<void> {
  while (gh.deliveries.some((d) => d.status === 'failed')) {
    await new Promise((r) => setTimeout(r, 50));
  }
}

function sign(body: string): string {
  return `sha256=${createHmac('sha256', gh.app.webhookSecret).update(body).digest('hex')}`;
}

function deliver(event: string, body: string, id: string, signature = sign(body)) {
  return fetch(webhookUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': event,
      'x-github-delivery': id,
      'x-hub-signature-256': signature,
    },
    body,
  });
}

describe('turning auto-fix on and off', () => {
  it('needs a PR to watch, and names a bad body', async () => {
    const created = await json<{ id: string }>(
      t.request('POST', '/api/v1/sessions', {
        body: { prompt: 'no PR yet', source: { type: 'git', url: 'octo/app' } },
      }),
    );
    const refused = await autofix(created.body.id, true);
    expect(refused.status).toBe(409);
    expect(refused.body.error?.code).toBe('no_pull_request');
    expect(refused.body.error?.message).toMatch(/hangar pr/);
    const bad = await json<{ error: { message: string } }>(
      t.request('POST', `/api/v1/sessions/${created.body.id}/autofix`, {
        body: { enabled: 'yes' },
      }),
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/enabled/);
    expect((await summary(created.body.id)).enabled).toBe(false);
  });
});

describe('a watched PR', () => {
  let id: string;
  let number: number;

  beforeAll(async () => {
    ({ id, number } = await sessionWithPr('a.txt'));
    const on = await autofix(id, true);
    expect(on.status).toBe(200);
    expect(on.body).toMatchObject({ enabled: true, maxPerHour: 2, turnsThisHour: 0 });
  });

  it('wakes the agent for a failing check: the event carries its summary, annotations and log tail', async () => {
    const head = gh.pulls('octo/app').find((p) => p.number === number)?.head.sha ?? '';
    const log = Array.from({ length: 200 }, (_, i) => `step ${i}`).join('\n');
    gh.setCheckRun('octo/app', head, {
      name: 'unit tests',
      status: 'completed',
      conclusion: 'failure',
      title: '1 failed',
      summary: 'add() returned 3, expected 4',
      annotations: [{ path: 'src/add.ts', line: 7, level: 'failure', message: 'expected 4' }],
      log: `${log}\n\x1b[31mFAIL\x1b[0m add.test.ts > adds`,
    });
    const [wake] = await waitForEvents(id, 'github.ci');
    expect(wake?.data).toMatchObject({
      number,
      sha: head,
      checks: [
        {
          name: 'unit tests',
          conclusion: 'failure',
          summary: '1 failed: add() returned 3, expected 4',
          annotations: ['src/add.ts:7 (failure) expected 4'],
        },
      ],
    });
    const [check] = (wake?.data as { checks: { logTail: string }[] }).checks;
    // The tail of the log, colour codes taken out.
    expect(check?.logTail.split('\n').at(-1)).toBe('FAIL add.test.ts > adds');
    expect(check?.logTail).toContain('step 199');
    expect(check?.logTail).not.toContain('step 100\n');
    // The follow-up it caused comes after it (here the session has no agent to take it).
    expect((await summary(id)).turnsThisHour).toBe(1);
  });

  it('does nothing twice: a redelivered webhook, or another delivery about the same failure', async () => {
    await deliveriesAnswered();
    const before = (await events(id)).length;
    const body = JSON.stringify({ action: 'completed', repository: { full_name: 'octo/app' } });
    const first = await json<{ duplicate: boolean }>(deliver('check_run', body, 'redelivered-1'));
    expect(first.body.duplicate).toBe(false);
    const again = await json<{ duplicate: boolean }>(deliver('check_run', body, 'redelivered-1'));
    expect(again).toEqual({ status: 200, body: { delivery: 'redelivered-1', duplicate: true } });
    expect((await events(id)).filter((e) => e.type === 'github.ci')).toHaveLength(1);
    expect((await events(id)).length).toBe(before);
  });

  it('reads the PR and its CI once per delivery, for its status and auto-fix together', async () => {
    await deliveriesAnswered();
    const reads = () =>
      [...gh.exchanges, ...gh.notModified]
        .filter((e) => e.method === 'GET')
        .map((e) => e.route)
        .filter((r) => /\/pulls\/\{pull_number\}$|\/check-runs$|\/status$/.test(r));
    const before = reads().length;
    const head = gh.pulls('octo/app').find((p) => p.number === number)?.head.sha ?? '';
    gh.setStatus('octo/app', head, { context: 'ci/docs', state: 'success' });
    await deliveriesAnswered();
    expect(reads().slice(before).sort()).toEqual([
      '/repos/{owner}/{repo}/commits/{ref}/check-runs',
      '/repos/{owner}/{repo}/commits/{ref}/status',
      '/repos/{owner}/{repo}/pulls/{pull_number}',
    ]);
  });

  it('refuses a wrong signature (401) and ignores an unknown event: nothing happens', async () => {
    const before = (await events(id)).length;
    const comment = JSON.stringify({
      action: 'created',
      issue: { number, pull_request: {} },
      comment: { body: 'forged' },
      repository: { full_name: 'octo/app' },
    });
    const forged = await deliver('issue_comment', comment, 'forged-1', `sha256=${'0'.repeat(64)}`);
    expect(forged.status).toBe(401);
    const unknown = await deliver(
      'star',
      JSON.stringify({ action: 'created', repository: { full_name: 'octo/app' } }),
      'star-1',
    );
    expect(unknown.status).toBe(200);
    expect((await events(id)).length).toBe(before);
  });

  it("never wakes for Hangar's own comment; wakes once for others', quoting file:line and the hunk", async () => {
    gh.addComment('octo/app', number, {
      login: 'octo',
      body: labelAgentText('Done: renamed it.'),
    });
    await deliveriesAnswered();
    expect((await events(id)).filter((e) => e.type === 'github.review')).toHaveLength(0);
    gh.addComment('octo/app', number, {
      login: 'reviewer',
      body: 'Call it `sum`, please.',
      review: { path: 'a.txt', line: 1, diffHunk: '@@ -0,0 +1 @@\n+the branch says so' },
    });
    const [wake] = await waitForEvents(id, 'github.review');
    expect(wake?.data).toMatchObject({
      number,
      comments: [
        {
          author: 'reviewer',
          path: 'a.txt',
          line: 1,
          body: 'Call it `sum`, please.',
          diffHunk: '@@ -0,0 +1 @@\n+the branch says so',
        },
      ],
    });
    expect(JSON.stringify(wake?.data)).not.toContain('renamed it');
  });

  it('holds the hourly cap: a third wake-up waits', async () => {
    expect((await summary(id)).turnsThisHour).toBe(2);
    gh.addComment('octo/app', number, { login: 'reviewer', body: 'And add a test.' });
    await deliveriesAnswered();
    expect((await events(id)).filter((e) => e.type === 'github.review')).toHaveLength(1);
    expect(await summary(id)).toMatchObject({ turnsThisHour: 2, maxPerHour: 2, enabled: true });
  });

  it('stops when turned off', async () => {
    const off = await autofix(id, false);
    expect(off.body).toMatchObject({ enabled: false, stoppedReason: null });
    expect((await events(id)).some((e) => e.type === 'autofix.updated')).toBe(true);
  });
});

describe('merge conflicts and the end of a watch', () => {
  it('wakes the agent when the PR conflicts with its base, shows it mergeable again after', async () => {
    const { id, number } = await sessionWithPr('b.txt');
    expect((await autofix(id, true)).body.mergeable).toBe('mergeable');
    // The push to the base is what makes Hangar look (its `push` delivery).
    await push('main', 'b.txt', 'main says otherwise');
    const head = gh.pulls('octo/app').find((p) => p.number === number)?.head.sha ?? '';
    const [wake] = await waitForEvents(id, 'github.conflict');
    expect(wake?.data).toMatchObject({ number, sha: head, base: 'main' });
    expect((await summary(id)).mergeable).toBe('conflicting');

    // The agent's merge, pushed: mergeable again, and no second wake-up.
    const branch = gh.pulls('octo/app').find((p) => p.number === number)?.head.ref ?? '';
    const work = join(dir, `merge-${randomUUID()}`);
    const remote = `${gh.webUrl.replace('://', `://x-access-token:${octoToken}@`)}/octo/app.git`;
    await run('git', ['clone', '-q', '--branch', branch, remote, work]);
    await run('git', ['merge', '-q', '-X', 'ours', 'origin/main', '-m', 'merge main'], {
      cwd: work,
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 'a',
        GIT_AUTHOR_EMAIL: 'a@a',
        GIT_COMMITTER_NAME: 'a',
        GIT_COMMITTER_EMAIL: 'a@a',
      },
    });
    await run('git', ['push', '-q', remote, `HEAD:refs/heads/${branch}`], { cwd: work });
    gh.setStatus('octo/app', gitAs(work, 'rev-parse', 'HEAD'), {
      context: 'ci/lint',
      state: 'pending',
    });
    for (;;) {
      if ((await summary(id)).mergeable === 'mergeable') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await events(id)).filter((e) => e.type === 'github.conflict')).toHaveLength(1);
  });

  it('ends the watch when the PR is merged', async () => {
    const { id, number } = await sessionWithPr('c.txt');
    await autofix(id, true);
    gh.closePull('octo/app', number, { merged: true });
    for (;;) {
      if ((await summary(id)).stoppedReason) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await summary(id)).toMatchObject({
      enabled: false,
      stoppedReason: 'the pull request was merged',
    });
    // Once the PR's state is stored too, turning it on again is refused.
    await deliveriesAnswered();
    const refused = await autofix(id, true);
    expect(refused.status).toBe(409);
  });

  it('ends the watch cleanly when the PR is deleted under it', async () => {
    const { id, number } = await sessionWithPr('d.txt');
    await autofix(id, true);
    const head = gh.pulls('octo/app').find((p) => p.number === number)?.head.sha ?? '';
    gh.deletePull('octo/app', number);
    gh.setCheckRun('octo/app', head, { name: 'build', status: 'completed', conclusion: 'failure' });
    for (;;) {
      if ((await summary(id)).stoppedReason) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await summary(id)).toMatchObject({
      enabled: false,
      stoppedReason: 'the pull request is gone from GitHub',
    });
    expect((await events(id)).some((e) => e.type === 'github.ci')).toBe(false);
    // The session itself is still there.
    expect((await t.request('GET', `/api/v1/sessions/${id}`)).status).toBe(200);
  });
});
