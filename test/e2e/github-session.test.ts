import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitHubStandIn, type GitHubStandIn } from '../../fixtures/github/stand-in.js';
import { bashCall, say, startModelServer, type ModelServer } from '../../fixtures/model-server.js';
import { credentialScanScript, expectNoCredential } from './credential-scan.js';
import { runHangar } from './hangar.js';
import { commit, git, makeRepo, Stack, type EventJson, type SessionJson } from './stack.js';

/**
 * A session on a private GitHub repo, end to end: the real `hangar serve`, real
 * sandboxes and the real `claude` binary (driven by the scripted model server) against
 * the GitHub stand-in, reached through HANGAR_GITHUB_URL as github.com would be. The
 * agent clones and pushes through the git proxy, which adds the user's token on the
 * host; Create PR opens the PR; its CI follows from signed webhook deliveries, then
 * from polling; a token revoked mid-session is said plainly and nothing is lost.
 * Runs as root (sandboxes need it).
 */

interface PullRequestJson {
  number: number;
  url: string;
  state: string;
  checks: { state: string; passed: number; failed: number; pending: number };
}

type GitHubSessionJson = SessionJson & { pullRequest: PullRequestJson | null };

interface ErrorJson {
  error: { code: string; message: string };
}

let gh: GitHubStandIn;
let model: ModelServer;
let stack: Stack;
let token: string;
let bare: string;
let src: string;

const outputs = (events: EventJson[]) =>
  events.filter((e) => e.type === 'tool.result').map((e) => String(e.data.output));

beforeAll(async () => {
  gh = await startGitHubStandIn();
  token = gh.addUser('octo');
  src = makeRepo('app', {
    'README.md': '# app\n',
    'scan.sh': `${credentialScanScript('/home/user/app')}\n`,
  });
  bare = gh.createRepo('acme/app', {
    from: src,
    private: true,
    collaborators: { octo: 'write' },
  }).bare;
  gh.createRepo('acme/readonly', { from: src, collaborators: { octo: 'read' } });
  model = await startModelServer({ script: { replies: [] } });
  stack = await Stack.start(model, {
    ...gh.hangarEnv,
    // Webhooks alone until the polling part restarts the server with polling on.
    HANGAR_GITHUB_POLL_SECONDS: '0',
  });
  gh.setWebhookUrl(`${stack.server.url}/api/v1/github/webhooks`);
  const connected = await stack.api('POST', '/github/token', { token });
  expect(connected.status).toBe(200);
}, 600_000);

afterAll(async () => {
  await stack.server.stop();
  await Promise.all([model.close(), gh.close()]);
});

async function session(id: string): Promise<GitHubSessionJson> {
  return (await stack.api<GitHubSessionJson>('GET', `/sessions/${id}`)).json;
}

/** Waits (vitest's timeout is the deadline) until the session's PR checks are `state`. */
async function waitForChecks(id: string, state: string): Promise<PullRequestJson> {
  for (;;) {
    const pr = (await session(id)).pullRequest;
    if (pr?.checks.state === state) return pr;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Sends a message with `script` playing the model and waits for turn `turns` to end. */
async function send(id: string, text: string, commands: string[], turns: number) {
  model.setScript({ replies: [...commands.map((c) => ({ content: [bashCall(c)] })), say('ok')] });
  const sent = await stack.api('POST', `/sessions/${id}/messages`, { text });
  expect(sent.status).toBe(202);
  return stack.waitForTurns(id, turns);
}

const PUSH = 'git push -q origin HEAD 2>&1; echo "push exit $?"';

describe('a session on a private GitHub repo', () => {
  let id: string;
  let branch: string;
  let events: EventJson[];

  beforeAll(async () => {
    model.setScript({
      replies: [
        {
          content: [
            bashCall(
              `echo hello > hello.txt && git add hello.txt && git commit -q -m "Add hello.txt" && ${PUSH}`,
              'Commit and push',
            ),
          ],
        },
        {
          content: [
            bashCall(
              'sh /home/user/app/scan.sh > /tmp/scan.txt 2>&1; echo "scan:$(gzip -c /tmp/scan.txt | base64 -w0)"',
              'Look for credentials',
            ),
          ],
        },
        say('Added hello.txt and pushed the branch.'),
      ],
    });
    const created = await stack.api<{ id: string; branch: string; status: string }>(
      'POST',
      '/sessions',
      { prompt: 'add hello.txt', source: { type: 'git', url: 'acme/app' } },
    );
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    ({ id, branch } = created.json);
    events = await stack.waitForTurns(id, 1);
  }, 300_000);

  it('clones the private repo and pushes the session branch to GitHub', () => {
    const [push] = outputs(events);
    expect(push).toContain('push exit 0');
    expect(git(bare, 'log', '-1', '--format=%s', branch)).toBe('Add hello.txt');
    expect(git(bare, 'show', `${branch}:hello.txt`)).toBe('hello');
  });

  it('leaves the token nowhere in the sandbox: env, files, processes, git config', () => {
    const scan = /scan:(\S+)/.exec(outputs(events)[1] ?? '')?.[1] ?? '';
    const visible = gunzipSync(Buffer.from(scan, 'base64')).toString();
    expectNoCredential(visible, [token]);
  });

  it('opens the PR on GitHub with the right head and base, and shows a failing check from a signed webhook', async () => {
    const created = await stack.api<PullRequestJson>('POST', `/sessions/${id}/pull-request`, {});
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    expect(created.json).toMatchObject({ number: 1, state: 'open' });
    const [pull, ...more] = gh.pulls('acme/app');
    expect(more).toEqual([]);
    expect(pull?.head.ref).toBe(branch);
    expect(pull?.head.sha).toBe(git(bare, 'rev-parse', branch));
    expect(pull?.base.ref).toBe('main');

    const head = pull?.head.sha ?? '';
    const delivered = gh.deliveries.length;
    gh.setCheckRun('acme/app', head, { name: 'test', status: 'completed', conclusion: 'failure' });
    // Polling is off on this server: only the webhook can tell it.
    expect((await waitForChecks(id, 'failure')).checks).toEqual({
      state: 'failure',
      passed: 0,
      failed: 1,
      pending: 0,
    });
    // The stand-in records the answer once it has it all.
    const answered = () =>
      gh.deliveries.slice(delivered).find((d) => d.event === 'check_run' && d.status !== 'failed');
    while (!answered()) await new Promise((r) => setTimeout(r, 100));
    expect(answered()?.status).toBe(200);
  }, 120_000);

  it('follows CI by polling once webhooks stop: failure, then success after a new push', async () => {
    gh.setWebhookUrl(undefined);
    await stack.server.stop();
    stack.env.HANGAR_GITHUB_POLL_SECONDS = '1';
    await stack.restart();
    // The server restarted: the session wakes its sandbox for the message.
    const turn = await send(
      id,
      'push another commit',
      [`echo again >> hello.txt && git commit -q -am "Say it again" && ${PUSH}`],
      2,
    );
    expect(outputs(turn).at(-1)).toContain('push exit 0');
    const next = git(bare, 'rev-parse', branch);
    expect(git(bare, 'log', '-1', '--format=%s', branch)).toBe('Say it again');

    gh.setCheckRun('acme/app', next, { name: 'test', status: 'completed', conclusion: 'failure' });
    expect((await waitForChecks(id, 'failure')).checks.failed).toBe(1);
    gh.setCheckRun('acme/app', next, { name: 'test', status: 'completed', conclusion: 'success' });
    expect((await waitForChecks(id, 'success')).checks).toEqual({
      state: 'success',
      passed: 1,
      failed: 0,
      pending: 0,
    });
    expect(gh.pulls('acme/app')[0]?.head.sha).toBe(next);
  }, 300_000);

  it('says what to do when the token is revoked mid-session, keeps everything, and works once reconnected', async () => {
    const before = await stack.events(id);
    gh.revokeToken(token);
    const turn = await send(
      id,
      'push once more',
      [
        `git commit -q --allow-empty -m "Once more" && git push origin HEAD 2>&1; echo "push exit $?"`,
      ],
      3,
    );
    const push = outputs(turn).at(-1) ?? '';
    expect(push).toMatch(
      /remote: Hangar: .*GitHub no longer accepts the token of octo \(revoked or expired\): connect again with `hangar github login`/,
    );
    expect(push).not.toContain('push exit 0');
    const failures = turn.filter((e) => e.type === 'github.access_failed');
    expect(failures.map((e) => e.data)).toEqual([
      {
        repo: 'acme/app',
        code: 'github_token_invalid',
        message: expect.stringMatching(/connect again with `hangar github login`/) as unknown,
      },
    ]);
    // Nothing stored is lost: the events so far, the PR and its checks, the session itself.
    expect(turn.slice(0, before.length)).toEqual(before);
    const kept = await session(id);
    expect(kept).toMatchObject({ status: 'idle', failureReason: null });
    expect(kept.pullRequest).toMatchObject({ number: 1, checks: { state: 'success' } });
    const logs = await runHangar(['logs', id], {
      ...stack.env,
      HANGAR_SERVER: stack.server.url,
      HANGAR_TOKEN: stack.token,
    });
    expect(logs.stdout).toMatch(
      /! GitHub refused the session's git: GitHub no longer accepts the token of octo/,
    );

    // A new session on the repo is refused at once, saying the same.
    const refused = await stack.api<ErrorJson>('POST', '/sessions', {
      prompt: 'x',
      source: { type: 'git', url: 'acme/app' },
    });
    expect(refused.status).toBe(403);
    expect(refused.json.error.code).toBe('github_token_invalid');

    token = gh.createToken('octo');
    expect((await stack.api('POST', '/github/token', { token })).status).toBe(200);
    const again = await send(id, 'try again', [PUSH], 4);
    expect(outputs(again).at(-1)).toContain('push exit 0');
    expect(git(bare, 'log', '-1', '--format=%s', branch)).toBe('Once more');
  }, 300_000);
});

describe('a GitHub repo Hangar cannot use, refused at creation', () => {
  let bobToken: string;
  let cli: NodeJS.ProcessEnv;

  beforeAll(async () => {
    // The admin's token is a good one here, whatever the part before did.
    token = gh.createToken('octo');
    expect((await stack.api('POST', '/github/token', { token })).status).toBe(200);
    const bob = await stack.api<{ token: string }>('POST', '/users', { name: 'bob' });
    expect(bob.status).toBe(201);
    bobToken = bob.json.token;
    cli = { ...stack.env, HANGAR_SERVER: stack.server.url, HANGAR_TOKEN: stack.token };
  });

  /** `hangar remote` in a checkout whose origin is `repo` on the stand-in. */
  async function remote(repo: string, env: NodeJS.ProcessEnv = cli) {
    const work = makeRepo('checkout', { 'a.txt': 'a\n' });
    git(work, 'remote', 'add', 'origin', `${gh.webUrl}/${repo}.git`);
    commit(work, 'more');
    return runHangar(['remote', 'fix it'], env, undefined, work);
  }

  const cases = [
    {
      what: 'a repo that does not exist',
      repo: 'acme/missing',
      status: 404,
      code: 'github_repo_not_found',
      says: /GitHub has no repository acme\/missing that your GitHub account octo can see: check the name/,
    },
    {
      what: 'a repo the user may read but not push to',
      repo: 'acme/readonly',
      status: 403,
      code: 'github_no_push_access',
      says: /can read acme\/readonly but not push to it: ask an admin of acme\/readonly for write access/,
    },
    {
      what: 'a repo the App is not installed on, for a user with no token',
      repo: 'acme/app',
      status: 403,
      code: 'github_app_not_installed',
      says: /install the GitHub App on acme\/app \(http:\/\/127\.0\.0\.1:\d+\/apps\/[^/]+\/installations\/new\), or connect your GitHub account: `hangar github login`/,
      bob: true,
    },
  ];

  it.each(cases)('$what: a clear 4xx in the API and the CLI', async (c) => {
    const as = c.bob ? bobToken : stack.token;
    const res = await fetch(`${stack.server.url}/api/v1/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${as}`, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'x', source: { type: 'git', url: c.repo } }),
    });
    const body = (await res.json()) as ErrorJson;
    expect(res.status).toBe(c.status);
    expect(body.error.code).toBe(c.code);
    expect(body.error.message).toMatch(c.says);

    const run = await remote(c.repo, { ...cli, HANGAR_TOKEN: as });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(c.says);
    expect(run.stderr).toContain(`[${c.code}]`);
    expect(run.stdout).not.toMatch(/Started session/);
  });

  it('a revoked token: a clear 403 in the API and the CLI', async () => {
    const revoked = gh.createToken('octo');
    const carol = await stack.api<{ token: string }>('POST', '/users', { name: 'carol' });
    const connect = await fetch(`${stack.server.url}/api/v1/github/token`, {
      method: 'POST',
      headers: { authorization: `Bearer ${carol.json.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ token: revoked }),
    });
    expect(connect.status).toBe(200);
    gh.revokeToken(revoked);
    const run = await remote('acme/app', { ...cli, HANGAR_TOKEN: carol.json.token });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /GitHub no longer accepts the token of octo \(revoked or expired\): connect again with `hangar github login`/,
    );
    expect(run.stderr).toContain('[github_token_invalid]');
  });
});
