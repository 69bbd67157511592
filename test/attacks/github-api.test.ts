import { execFileSync } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitHubStandIn, type GitHubStandIn } from '../../fixtures/github/stand-in.js';
import { createGateway, type Attachment, type Gateway } from '../../src/gateway/gateway.js';
import { originKey } from '../../src/gateway/resolver.js';
import { tempDir } from '../../src/gateway/test-gateway.js';
import { policyFor } from '../../src/gateway/egress-policy.js';
import { isAgentText } from '../../src/github/agent-label.js';
import { repoWithCommits } from '../../src/git/test-repo.js';

// The gateway's /github/ route, driven with the bytes a sandbox could send on its
// socket, against the GitHub stand-in: the session's own repo works with the token
// added on the host; every other path, method, repo spelling, query or body is refused
// with a reason, and nothing reaches GitHub for it.
let gh: GitHubStandIn;
let gateway: Gateway;
let attachment: Attachment;
let token: string;
let ownPull: number | undefined;
const tmp = tempDir('hangar-gh-api-');

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** One request on the gateway socket, the path sent exactly as given. */
function call(
  method: string,
  path: string,
  body?: string | Buffer,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath: attachment.socketPath,
        method,
        path,
        headers: { host: '127.0.0.1', ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const json = (a: Answer) =>
  JSON.parse(a.text) as Record<string, unknown> & Record<string, unknown>[];

beforeAll(async () => {
  gh = await startGitHubStandIn();
  token = gh.addUser('octo');
  gh.addUser('reviewer');
  const src = join(tmp.dir, 'src');
  repoWithCommits(src, 'first');
  gh.createRepo('acme/app', { from: src, collaborators: { octo: 'write', reviewer: 'write' } });
  gh.createRepo('acme/other', { from: src, collaborators: { octo: 'write' } });
  gateway = createGateway({ gitHosts: new Set([originKey(new URL(gh.webUrl))]) });
  attachment = await gateway.attach('gh-api', {
    socketPath: join(tmp.dir, 'gw.sock'),
    policy: policyFor({ level: 'none', allowlist: [], includeDefaults: false }, []),
    github: {
      apiUrl: gh.apiUrl,
      owner: 'acme',
      repo: 'app',
      token: () => Promise.resolve(token),
      ownPullRequest: () => Promise.resolve(ownPull),
    },
  });
});

afterAll(async () => {
  await gateway.close();
  await gh.close();
  tmp.remove();
});

describe('the /github/ route', () => {
  it('reads issues and comments on them for the session repo, the text labelled as the agent’s', async () => {
    const number = gh.addIssue('acme/app', 'reviewer', { title: 'Flaky test', body: 'It fails.' });
    const issues = await call('GET', '/github/repos/acme/app/issues?state=open');
    expect(issues.status).toBe(200);
    expect(json(issues).map((i) => i.title)).toEqual(['Flaky test']);
    const posted = await call(
      'POST',
      `/github/repos/acme/app/issues/${number}/comments`,
      JSON.stringify({ body: 'Looking into it.' }),
      { 'content-type': 'application/json' },
    );
    expect(posted.status).toBe(201);
    const [comment] = gh.comments('acme/app', number);
    expect(comment?.body).toMatch(/^Looking into it\./);
    expect(isAgentText(comment?.body)).toBe(true);
    expect(comment?.user.login).toBe('octo');
  });

  it('reads check runs and follows a job log’s download link, without the token', async () => {
    const sha = execFileSync('git', ['rev-parse', 'main'], {
      cwd: join(tmp.dir, 'src'),
      encoding: 'utf8',
    }).trim();
    gh.setCheckRun('acme/app', sha, {
      name: 'test',
      status: 'completed',
      conclusion: 'failure',
      log: 'FAIL add.test.ts\n',
    });
    const runs = await call('GET', `/github/repos/acme/app/commits/${sha}/check-runs`);
    const run = (json(runs) as unknown as { check_runs: { id: number; conclusion: string }[] })
      .check_runs[0];
    expect(run?.conclusion).toBe('failure');
    const log = await call('GET', `/github/repos/acme/app/actions/jobs/${run?.id}/logs`);
    expect([log.status, log.text]).toEqual([200, 'FAIL add.test.ts\n']);
  });

  it('refuses another repo, other spellings of this one and path tricks, with a reason', async () => {
    const before = gh.exchanges.length;
    for (const [method, path, status, code] of [
      ['GET', '/github/repos/acme/other/issues', 403, 'github-other-repo'],
      ['GET', '/github/repos/Acme/app/issues', 403, 'github-other-repo'],
      ['GET', '/github/repos/acme/APP/issues', 403, 'github-other-repo'],
      ['GET', '/github/repos/acme/app/../other/issues', 400, 'github-bad-path'],
      ['GET', '/github/repos/acme/app/%2e%2e/other/issues', 400, 'github-bad-path'],
      ['GET', '/github/repos/acme%2Fother/issues', 400, 'github-bad-path'],
      ['GET', '/github/repos/acme/app%2F..%2Fother/issues', 400, 'github-bad-path'],
      ['GET', '/github/repos/acme/app/issues/1%2Fcomments', 400, 'github-bad-path'],
      ['GET', '/github/http://127.0.0.1:1/repos/acme/app', 400, 'github-bad-path'],
      ['GET', '/github//repos/acme/app/issues', 400, 'github-bad-path'],
      ['GET', '/github/user/repos', 403, 'github-not-repo'],
      [
        'GET',
        '/github/repos/acme/app/issues?state=open&redirect=http://x',
        403,
        'github-query-not-allowed',
      ],
      ['GET', '/github/repos/acme/app/issues?state=open%26page%3D2', 400, 'github-bad-query'],
      ['GET', '/github/repos/acme/app/issues?state=open#/../other', 400, 'github-bad-query'],
      ['DELETE', '/github/repos/acme/app', 405, 'github-method-not-allowed'],
      ['PUT', '/github/repos/acme/app/pulls/1/merge', 403, 'github-path-not-allowed'],
      ['GET', '/github/repos/acme/app/contents/README.md', 403, 'github-path-not-allowed'],
    ] as const) {
      const answer = await call(method, path);
      expect(answer.status, `${method} ${path}`).toBe(status);
      expect(answer.headers['x-hangar-deny-reason'], path).toBe(code);
      expect(answer.text).toMatch(/^Hangar: .{10,}/);
    }
    expect(gh.exchanges.length).toBe(before);
  });

  it('refuses an oversize or smuggling body, and edits only the session’s own PR', async () => {
    const big = await call(
      'POST',
      '/github/repos/acme/app/issues/1/comments',
      JSON.stringify({ body: 'x'.repeat(70 * 1024) }),
    );
    expect(big.status).toBe(413);
    const extra = await call(
      'POST',
      '/github/repos/acme/app/issues/1/comments',
      JSON.stringify({ body: 'hi', event: 'APPROVE' }),
    );
    expect([extra.status, extra.text]).toEqual([400, expect.stringContaining('"event"')]);

    ownPull = undefined;
    const none = await call(
      'PATCH',
      '/github/repos/acme/app/pulls/1',
      JSON.stringify({ body: 'x' }),
    );
    expect([none.status, none.headers['x-hangar-deny-reason']]).toEqual([
      403,
      'github-not-own-pull',
    ]);
    ownPull = 2;
    const other = await call(
      'PATCH',
      '/github/repos/acme/app/pulls/1',
      JSON.stringify({ body: 'x' }),
    );
    expect(other.text).toMatch(/only this session's own pull request \(#2\)/);
  });

  it('never hands the token back, and answers for a session with no GitHub', async () => {
    const repo = await call('GET', '/github/repos/acme/app', undefined, {
      authorization: 'token attacker-chosen',
    });
    expect(repo.status).toBe(200);
    expect(JSON.stringify(repo.headers) + repo.text).not.toContain(token);

    const plain = await gateway.attach('no-gh', {
      socketPath: join(tmp.dir, 'plain.sock'),
      policy: policyFor({ level: 'none', allowlist: [], includeDefaults: false }, []),
    });
    const answer = await new Promise<number>((resolve) => {
      request({ socketPath: plain.socketPath, path: '/github/repos/acme/app' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).end();
    });
    expect(answer).toBe(403);
    await plain.detach();
  });
});
