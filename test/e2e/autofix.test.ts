import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Octokit } from '@octokit/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitHubStandIn, type GitHubStandIn } from '../../fixtures/github/stand-in.js';
import {
  bashCall,
  say,
  startModelServer,
  type ModelServer,
  type ScriptBlock,
} from '../../fixtures/model-server.js';
import { isAgentText } from '../../src/github/agent-label.js';
import { commit, git, makeRepo, Stack, type EventJson } from './stack.js';

/**
 * Auto-fix end to end: the real `hangar serve`, a real sandbox and the real `claude`
 * (its model scripted) on a private repo of the GitHub stand-in, whose signed webhook
 * deliveries (check runs, comments, pushes) are all that tells Hangar anything (polling
 * is off). One session opens a PR and turns auto-fix on; then a failing check, a review
 * comment and a conflicting push to the base each wake its agent, which fixes, answers
 * and merges; its own pushes and replies wake nothing; a redelivery does nothing twice,
 * the hourly cap (3) holds, bad deliveries change nothing, and a PR deleted under the
 * watch ends it. Runs as root (sandboxes need it).
 */

interface PullRequestJson {
  number: number;
  checks: { state: string; passed: number; failed: number; pending: number };
}
interface Summary {
  enabled: boolean;
  mergeable: string;
  turnsThisHour: number;
  maxPerHour: number;
  stoppedReason: string | null;
}

const run = promisify(execFile);

const TASK = 'greet the world (autofix e2e)';
const PUSH = 'git push -q origin HEAD 2>&1; echo "push exit $?"';
const REPLY_TOOL = 'mcp__hangar-github__reply_to_review_comment';
const WAKE_UPS = ['github.ci', 'github.review', 'github.conflict'];

let gh: GitHubStandIn;
let model: ModelServer;
let stack: Stack;
let token: string;
let bare: string;
let webhookUrl: string;
let id: string;
let branch: string;
let number: number;

beforeAll(async () => {
  gh = await startGitHubStandIn();
  token = gh.addUser('octo');
  gh.addUser('reviewer');
  const src = makeRepo('app', {
    'greet.sh': 'echo "hello"\n',
    'README.md': '# app\n',
  });
  bare = gh.createRepo('acme/app', {
    from: src,
    private: true,
    collaborators: { octo: 'write', reviewer: 'write' },
  }).bare;
  model = await startModelServer({ script: { replies: [] } });
  stack = await Stack.start(model, {
    ...gh.hangarEnv,
    // Webhooks only: every wake-up below comes from a delivery.
    HANGAR_GITHUB_POLL_SECONDS: '0',
    HANGAR_AUTOFIX_MAX_PER_HOUR: '3',
  });
  webhookUrl = `${stack.server.url}/api/v1/github/webhooks`;
  gh.setWebhookUrl(webhookUrl);
  expect((await stack.api('POST', '/github/token', { token })).status).toBe(200);

  // The first turn: the change the PR is made of.
  script([
    bashCall(
      `printf 'echo "hello, world"\\n' > greet.sh && printf 'Run greet.sh.\\n' >> README.md && git commit -q -am "Greet the world" && ${PUSH}`,
      'Commit and push',
    ),
  ]);
  const created = await stack.api<{ id: string; branch: string }>('POST', '/sessions', {
    prompt: TASK,
    source: { type: 'git', url: 'acme/app' },
  });
  expect(created.status, JSON.stringify(created.json)).toBe(201);
  ({ id, branch } = created.json);
  expect(lastOutput(await stack.waitForTurns(id, 1))).toContain('push exit 0');
  const pr = await stack.api<PullRequestJson>('POST', `/sessions/${id}/pull-request`, {});
  expect(pr.status, JSON.stringify(pr.json)).toBe(201);
  number = pr.json.number;
  const on = await stack.api<Summary>('POST', `/sessions/${id}/autofix`, { enabled: true });
  expect(on.json).toMatchObject({ enabled: true, mergeable: 'mergeable', turnsThisHour: 0 });
}, 600_000);

afterAll(async () => {
  await stack.server.stop();
  await Promise.all([model.close(), gh.close()]);
});

/** The agent's next turn: `calls`, one reply each, then it says it is done. */
function script(calls: ScriptBlock[]) {
  model.scriptFor(TASK, {
    replies: [...calls.map((call) => ({ content: [call] })), say('Done.')],
  });
}

const lastOutput = (events: EventJson[]) =>
  events.filter((e) => e.type === 'tool.result').at(-1)?.data.output ?? '';

const wakeUps = (events: EventJson[]) => events.filter((e) => WAKE_UPS.includes(e.type));

async function summary(): Promise<Summary> {
  return (await stack.api<Summary>('GET', `/sessions/${id}/autofix`)).json;
}

/** Polls (vitest's timeout is the deadline) until `ready` holds. */
async function until<T>(read: () => Promise<T> | T, ready: (value: T) => boolean): Promise<T> {
  for (;;) {
    const value = await read();
    if (ready(value)) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Waits until every delivery the stand-in sent has been answered (handled, or refused). */
function deliveriesAnswered() {
  return until(
    () => gh.deliveries,
    (all) => all.every((d) => d.status !== 'failed'),
  );
}

/**
 * The wake-up event of `type`, the follow-up it caused (the next user message), and the
 * turn that took it, once that turn has ended.
 */
async function wokenBy(type: string, turns: number) {
  const events = await stack.waitForTurns(id, turns);
  const wake = events.find((e) => e.type === type);
  expect(wake, `a ${type} event`).toBeDefined();
  const followUp = events.find((e) => e.type === 'message.user' && e.seq > (wake?.seq ?? 0));
  return { events, wake, followUp: followUp?.data.text ?? '' };
}

function head(): string {
  return git(bare, 'rev-parse', branch);
}

describe('auto-fix on a PR Hangar opened', () => {
  it('a failing check wakes the agent with the failure; it pushes a fix, and the check turns green', async () => {
    script([
      bashCall(
        `printf 'echo "Hello, world!"\\n' > greet.sh && git commit -q -am "Greet with a capital" && ${PUSH}`,
        'Fix and push',
      ),
    ]);
    const failing = head();
    gh.setCheckRun('acme/app', failing, {
      name: 'test',
      status: 'completed',
      conclusion: 'failure',
      title: '1 failed',
      summary: 'greet.sh printed "hello, world"',
      annotations: [
        { path: 'greet.sh', line: 1, level: 'failure', message: 'expected "Hello, world!"' },
      ],
      log: 'running greet.sh\nFAIL greet: expected "Hello, world!"',
    });
    const { events, wake, followUp } = await wokenBy('github.ci', 2);
    expect(wake?.data).toMatchObject({
      number,
      sha: failing,
      checks: [
        {
          name: 'test',
          conclusion: 'failure',
          summary: '1 failed: greet.sh printed "hello, world"',
        },
      ],
    });
    expect(followUp).toContain(`CI failed on pull request #${number}`);
    expect(followUp).toContain('greet.sh:1 (failure) expected "Hello, world!"');
    expect(followUp).toContain('FAIL greet: expected "Hello, world!"');
    expect(lastOutput(events)).toContain('push exit 0');
    expect(git(bare, 'show', `${branch}:greet.sh`)).toBe('echo "Hello, world!"');

    // CI runs on the pushed fix and passes: the PR shows it.
    const fixed = head();
    expect(fixed).not.toBe(failing);
    gh.setCheckRun('acme/app', fixed, { name: 'test', status: 'completed', conclusion: 'success' });
    const pr = await until(
      async () =>
        (await stack.api<{ pullRequest: PullRequestJson }>('GET', `/sessions/${id}`)).json
          .pullRequest,
      (p) => p.checks.state === 'success',
    );
    expect(pr.checks).toMatchObject({ passed: 1, failed: 0 });
    // The agent's own push (its push and synchronize deliveries) woke nothing.
    await deliveriesAnswered();
    expect(wakeUps(await stack.events(id)).map((e) => e.type)).toEqual(['github.ci']);
  }, 300_000);

  it('a review comment wakes the agent; it changes the line and replies, labelled, in the thread', async () => {
    const asked = 'Say how to run it: `sh greet.sh`.';
    const commentId = gh.addComment('acme/app', number, {
      login: 'reviewer',
      body: asked,
      review: { path: 'README.md', line: 2, diffHunk: '@@ -1 +1,2 @@\n # app\n+Run greet.sh.' },
    });
    // Set before the delivery goes out (the stand-in sends it once this test yields).
    script([
      bashCall(
        `sed -i 's/^Run greet.sh.$/Run it: sh greet.sh/' README.md && git commit -q -am "Say how to run it" && ${PUSH}`,
        'Change the line',
      ),
      {
        type: 'tool_use',
        name: REPLY_TOOL,
        input: {
          pull_number: number,
          comment_id: commentId,
          body: 'Done: the README now says `sh greet.sh`.',
        },
      },
    ]);
    const { events, wake, followUp } = await wokenBy('github.review', 3);
    expect(wake?.data).toMatchObject({
      number,
      comments: [{ id: commentId, author: 'reviewer', path: 'README.md', line: 2, body: asked }],
    });
    expect(followUp).toContain(`reviewer on README.md:2 (comment ${commentId})`);
    expect(followUp).toContain('> Say how to run it');
    expect(git(bare, 'show', `${branch}:README.md`)).toBe('# app\nRun it: sh greet.sh');
    expect(events.filter((e) => e.type === 'tool.result').map((e) => e.data.isError)).not.toContain(
      true,
    );

    const reply = gh.comments('acme/app', number).find((c) => c.id > commentId);
    expect(reply?.review?.inReplyTo).toBe(commentId);
    expect(reply?.user.login).toBe('octo');
    expect(reply?.body).toMatch(/^Done: the README now says `sh greet\.sh`\./);
    expect(reply?.body).toContain('Written by the coding agent via Hangar');
    expect(isAgentText(reply?.body)).toBe(true);
    // Neither its reply nor its push woke it again.
    await deliveriesAnswered();
    expect(wakeUps(await stack.events(id)).map((e) => e.type)).toEqual([
      'github.ci',
      'github.review',
    ]);
  }, 300_000);

  it('a conflicting push to the base wakes the agent; it merges the base in and the PR is mergeable again', async () => {
    script([
      bashCall(
        [
          'git fetch -q origin',
          'git merge -q origin/main >/dev/null 2>&1; echo "merge exit $?"',
          `printf 'echo "Hello, world! Good day."\\n' > greet.sh`,
          'git add greet.sh && git commit -q --no-edit',
          PUSH,
        ].join('\n'),
        'Merge main and push',
      ),
    ]);
    // Someone else changes the same line on main, through GitHub (a `push` delivery). Git
    // that talks to the stand-in runs async: the stand-in answers from this process.
    const work = mkdtempSync(join(tmpdir(), 'hangar-autofix-main-'));
    const remote = `${gh.webUrl.replace('://', `://x-access-token:${token}@`)}/acme/app.git`;
    await run('git', ['clone', '-q', '--branch', 'main', remote, work]);
    writeFileSync(join(work, 'greet.sh'), 'echo "Good day"\n');
    git(work, 'add', 'greet.sh');
    commit(work, 'Say good day');
    await run('git', ['push', '-q', 'origin', 'HEAD:main'], { cwd: work });
    rmSync(work, { recursive: true, force: true });
    const conflicting = head();

    const { events, wake, followUp } = await wokenBy('github.conflict', 4);
    expect(wake?.data).toEqual({ number, sha: conflicting, base: 'main' });
    expect(followUp).toContain(`no longer merges cleanly into main`);
    expect(lastOutput(events)).toMatch(/merge exit 1[\s\S]*push exit 0/);
    expect(git(bare, 'show', `${branch}:greet.sh`)).toBe('echo "Hello, world! Good day."');

    // GitHub says it merges now, and so does Hangar.
    const pull = await new Octokit({ auth: token, baseUrl: gh.apiUrl }).rest.pulls.get({
      owner: 'acme',
      repo: 'app',
      pull_number: number,
    });
    expect(pull.data.mergeable).toBe(true);
    expect((await until(summary, (s) => s.mergeable === 'mergeable')).mergeable).toBe('mergeable');
    await deliveriesAnswered();
    expect(wakeUps(await stack.events(id)).map((e) => e.type)).toEqual([
      'github.ci',
      'github.review',
      'github.conflict',
    ]);
  }, 300_000);

  it('a redelivered webhook does nothing twice', async () => {
    const woke = gh.deliveries.find(
      (d) =>
        d.event === 'check_run' &&
        (d.payload.check_run as { conclusion?: string }).conclusion === 'failure',
    );
    expect(woke).toBeDefined();
    const before = await stack.events(id);
    const again = await gh.redeliver(woke?.id ?? '');
    expect(again).toEqual({ status: 200, body: { delivery: woke?.id, duplicate: true } });
    expect(await stack.events(id)).toEqual(before);
  });

  it('holds the hourly cap: a fourth wake-up waits, shown as the turns used', async () => {
    expect(await summary()).toMatchObject({ turnsThisHour: 3, maxPerHour: 3, enabled: true });
    const before = await stack.events(id);
    gh.addComment('acme/app', number, { login: 'reviewer', body: 'One more thing: add a test.' });
    await deliveriesAnswered();
    const after = await stack.events(id);
    expect(wakeUps(after)).toEqual(wakeUps(before));
    expect(after.filter((e) => e.type === 'message.user')).toHaveLength(
      before.filter((e) => e.type === 'message.user').length,
    );
    expect(await summary()).toMatchObject({ turnsThisHour: 3, enabled: true });
  });

  it('refuses a delivery with a wrong signature (401) and ignores an unknown event: nothing happens', async () => {
    const before = await stack.events(id);
    const post = (event: string, body: string, delivery: string, signature: string) =>
      fetch(webhookUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': event,
          'x-github-delivery': delivery,
          'x-hub-signature-256': signature,
        },
        body,
      });
    const sign = (body: string) =>
      `sha256=${createHmac('sha256', gh.app.webhookSecret).update(body).digest('hex')}`;
    const forged = JSON.stringify({
      action: 'created',
      issue: { number, pull_request: {} },
      comment: { id: 1, body: 'forged: wake up' },
      repository: { full_name: 'acme/app' },
    });
    const refused = await post('issue_comment', forged, 'forged-1', sign(`${forged} `));
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
      'bad_signature',
    );
    const star = JSON.stringify({ action: 'created', repository: { full_name: 'acme/app' } });
    const ignored = await post('star', star, 'star-1', sign(star));
    expect(ignored.status).toBe(200);
    expect(await stack.events(id)).toEqual(before);
  });

  it('ends the watch cleanly when the PR is deleted under it', async () => {
    const sha = head();
    gh.deletePull('acme/app', number);
    gh.setCheckRun('acme/app', sha, { name: 'lint', status: 'completed', conclusion: 'failure' });
    const ended = await until(summary, (s) => s.stoppedReason !== null);
    expect(ended).toMatchObject({
      enabled: false,
      stoppedReason: 'the pull request is gone from GitHub',
    });
    const events = await stack.events(id);
    expect(wakeUps(events)).toHaveLength(3);
    expect(events.filter((e) => e.type === 'turn.result')).toHaveLength(4);
    const session = await stack.session(id);
    expect(['idle', 'hibernated']).toContain(session.status);
  });
});
