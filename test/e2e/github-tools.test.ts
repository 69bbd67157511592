import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Octokit } from '@octokit/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitHubStandIn, type GitHubStandIn } from '../../fixtures/github/stand-in.js';
import { bashCall, say, startModelServer, type ModelServer } from '../../fixtures/model-server.js';
import { isAgentText } from '../../src/github/agent-label.js';
import { repoWithCommits } from '../../src/git/test-repo.js';
import { Stack, type EventJson } from './stack.js';

/**
 * Hangar's GitHub tools, end to end: `hangar serve` with the GitHub stand-in, a real
 * sandbox and the real Claude Code, whose scripted model calls the hangar-github MCP
 * server's tools. The agent reads an issue and comments on the PR; a raw call for
 * another repo, or with a method the route does not list, is refused with a reason;
 * the token is nowhere in the sandbox. Runs as root (sandboxes need it).
 */
let gh: GitHubStandIn;
let model: ModelServer;
let stack: Stack;
let token: string;
let dir: string;
let events: EventJson[];
let issue: number;

const TOOL = (name: string) => `mcp__hangar-github__${name}`;

beforeAll(async () => {
  gh = await startGitHubStandIn();
  token = gh.addUser('octo');
  gh.addUser('reviewer');
  dir = mkdtempSync(join(tmpdir(), 'hangar-gh-tools-'));
  const src = join(dir, 'src');
  repoWithCommits(src, 'first');
  execFileSync('git', ['branch', 'feature'], { cwd: src });
  // Public, so the clone needs no credential; the /github/ route still adds the user's.
  gh.createRepo('acme/app', { from: src, private: false, collaborators: { octo: 'write' } });
  gh.createRepo('acme/other', { from: src, collaborators: { octo: 'write' } });
  const api = new Octokit({ auth: token, baseUrl: gh.apiUrl });
  await api.rest.pulls.create({
    owner: 'acme',
    repo: 'app',
    title: 'Work',
    head: 'feature',
    base: 'main',
  });
  issue = gh.addIssue('acme/app', 'reviewer', {
    title: 'The greeting is rude',
    body: 'Say hello politely (issue text 7f3a).',
  });
  model = await startModelServer({ script: { replies: [] } });
  stack = await Stack.start(model, {
    HANGAR_GITHUB_URL: gh.webUrl,
    HANGAR_GITHUB_API_URL: gh.apiUrl,
    HANGAR_GITHUB_POLL_SECONDS: '0',
  });
  const connected = await stack.api('POST', '/github/token', { token });
  expect(connected.status).toBe(200);

  model.setScript({
    replies: [
      { content: [{ type: 'tool_use', name: TOOL('read_issue'), input: { number: issue } }] },
      {
        content: [
          {
            type: 'tool_use',
            name: TOOL('comment'),
            input: { number: 1, body: 'Made the greeting polite, as the issue asks.' },
          },
        ],
      },
      {
        content: [
          bashCall(
            [
              'g="$HANGAR_GATEWAY_URL/github/repos"',
              'echo "other: $(curl -s -w " %{http_code}" "$g/acme/other/issues")"',
              'echo "delete: $(curl -s -X DELETE -w " %{http_code}" "$g/acme/app/issues/1")"',
              'echo "encoded: $(curl -s --path-as-is -w " %{http_code}" "$g/acme%2Fother/issues")"',
              // The token's prefix is built at run time: the script's own text never matches.
              'p=gh; p="${p}p_"',
              `for f in /proc/[0-9]*/environ /proc/[0-9]*/cmdline; do tr '\\0' '\\n' < $f 2>/dev/null; done > /tmp/seen; env >> /tmp/seen`,
              'grep -rIl -e "$p" /home /tmp /etc /root /opt 2>/dev/null | grep -v "^/tmp/seen$"; grep -c -e "$p" /tmp/seen; echo scanned',
            ].join('\n'),
            'Try the gateway',
          ),
        ],
      },
      say('Commented on the PR.'),
    ],
  });
  const created = await stack.api<{ id: string }>('POST', '/sessions', {
    prompt: 'fix the greeting issue',
    source: { type: 'git', url: 'acme/app' },
  });
  expect(created.status, JSON.stringify(created.json)).toBe(201);
  events = await stack.waitForTurns(created.json.id, 1);
}, 600_000);

afterAll(async () => {
  await stack.server.stop();
  await model.close();
  await gh.close();
  rmSync(dir, { recursive: true, force: true });
});

const results = () =>
  events.filter((e) => e.type === 'tool.result').map((e) => String(e.data.output));

describe('the GitHub tools in a session', () => {
  it('read the issue through the MCP server', () => {
    expect(results()[0]).toContain('issue text 7f3a');
    expect(results()[0]).toContain('The greeting is rude');
  });

  it('commented on the PR, labelled as written by the agent via Hangar', () => {
    const [comment] = gh.comments('acme/app', 1);
    expect(comment?.body).toMatch(/^Made the greeting polite, as the issue asks\./);
    expect(comment?.body).toContain('Written by the coding agent via Hangar');
    expect(isAgentText(comment?.body)).toBe(true);
    expect(comment?.user.login).toBe('octo');
  });

  it('refused another repo, a forbidden method and an encoded path, each with a reason', () => {
    const out = results()[2] ?? '';
    expect(out).toMatch(
      /other: Hangar: acme\/other is not this session's repository \(acme\/app\)\n 403/,
    );
    expect(out).toMatch(
      /delete: Hangar: DELETE is not allowed on \/repos\/acme\/app\/issues\/1 \(only GET\)\n 405/,
    );
    expect(out).toMatch(/encoded: Hangar: .* is not a plain API path.*\n 400/);
  });

  it('left the token nowhere in the sandbox', () => {
    const out = results()[2] ?? '';
    expect(out).toMatch(/^0\nscanned$/m);
    expect(JSON.stringify(events)).not.toContain(token);
  });
});
