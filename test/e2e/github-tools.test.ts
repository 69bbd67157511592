import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Octokit } from '@octokit/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ECHO_MCP_SERVER } from '../../fixtures/echo-mcp-server.js';
import { startGitHubStandIn, type GitHubStandIn } from '../../fixtures/github/stand-in.js';
import {
  bashCall,
  mcpCall,
  say,
  startModelServer,
  type ModelServer,
} from '../../fixtures/model-server.js';
import { isAgentText } from '../../src/github/agent-label.js';
import { repoWithCommits } from '../../src/git/test-repo.js';
import { Stack, type EventJson } from './stack.js';

/**
 * Hangar's GitHub tools, end to end, for every agent: `hangar serve` with the GitHub
 * stand-in, real sandboxes and the real agent binaries, whose scripted model calls the
 * hangar-github MCP server's tools. The agent reads an issue and comments on the PR; a
 * raw call for another repo, or with a method the route does not list, is refused with
 * a reason; the token is nowhere in the sandbox. The repo has its own MCP server,
 * which Claude Code (`.mcp.json`) and opencode (`opencode.json`) still start beside
 * Hangar's. Runs as root (sandboxes need it).
 */
let gh: GitHubStandIn;
let model: ModelServer;
let stack: Stack;
let token: string;
let dir: string;
let issue: number;

const tools = (tool: string, input: Record<string, unknown>) =>
  mcpCall('hangar-github', tool, input);

/** Raw calls on the gateway's route that it must refuse, then a hunt for the token. */
const PROBE = [
  'g="$HANGAR_GATEWAY_URL/github/repos"',
  'echo "other: $(curl -s -w " %{http_code}" "$g/acme/other/issues")"',
  'echo "delete: $(curl -s -X DELETE -w " %{http_code}" "$g/acme/app/issues/1")"',
  'echo "encoded: $(curl -s --path-as-is -w " %{http_code}" "$g/acme%2Fother/issues")"',
  // The token's prefix is built at run time: the script's own text never matches.
  'p=gh; p="${p}p_"',
  // 2> before <: bash itself reports a file it cannot open, and Codex's shell tool
  // interleaves stderr with the output the assertions read.
  `for f in /proc/[0-9]*/environ /proc/[0-9]*/cmdline; do tr '\\0' '\\n' 2>/dev/null < $f; done > /tmp/seen; env >> /tmp/seen`,
  'grep -rIl -e "$p" /home /tmp /etc /root /opt 2>/dev/null | grep -v "^/tmp/seen$"; grep -c -e "$p" /tmp/seen; echo scanned',
].join('\n');

beforeAll(async () => {
  gh = await startGitHubStandIn();
  token = gh.addUser('octo');
  gh.addUser('reviewer');
  dir = mkdtempSync(join(tmpdir(), 'hangar-gh-tools-'));
  const src = join(dir, 'src');
  repoWithCommits(src, 'first');
  // The repo's own MCP server: Claude Code starts it from .mcp.json, opencode from opencode.json.
  writeFileSync(join(src, 'echo.cjs'), ECHO_MCP_SERVER);
  writeFileSync(
    join(src, '.mcp.json'),
    JSON.stringify({ mcpServers: { 'repo-tools': { command: 'node', args: ['echo.cjs'] } } }),
  );
  writeFileSync(
    join(src, 'opencode.json'),
    JSON.stringify({ mcp: { 'repo-tools': { type: 'local', command: ['node', 'echo.cjs'] } } }),
  );
  execFileSync('git', ['add', '.'], { cwd: src });
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@e', 'commit', '-qm', 'tools'], {
    cwd: src,
  });
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
}, 600_000);

afterAll(async () => {
  await stack.server.stop();
  await model.close();
  await gh.close();
  rmSync(dir, { recursive: true, force: true });
});

const cases = [
  { agent: 'claude-code', model: undefined, repoServer: true },
  // Not in Codex's model catalog: Codex offers the MCP tools themselves rather than
  // behind its tool_search, which the scripted model does not speak.
  { agent: 'codex', model: 'hangar-scripted', repoServer: false },
  { agent: 'opencode', model: 'openai/gpt-5.5', repoServer: true },
];

describe.each(cases)('the GitHub tools in a $agent session', { timeout: 600_000 }, (c) => {
  let events: EventJson[] = [];
  const comment = `Made the greeting polite, as the issue asks (${c.agent}).`;
  const results = () =>
    events.filter((e) => e.type === 'tool.result').map((e) => String(e.data.output));

  beforeAll(async () => {
    const prompt = `fix the greeting issue with ${c.agent}`;
    model.scriptFor(prompt, {
      replies: [
        { content: [tools('read_issue', { number: issue })] },
        { content: [tools('comment', { number: 1, body: comment })] },
        { content: [bashCall(PROBE, 'Try the gateway')] },
        ...(c.repoServer
          ? [{ content: [mcpCall('repo-tools', 'echo', { text: 'beside Hangar 5c1e' })] }]
          : []),
        say('Commented on the PR.'),
      ],
    });
    const created = await stack.api<{ id: string }>('POST', '/sessions', {
      prompt,
      source: { type: 'git', url: 'acme/app' },
      agent: c.agent,
      ...(c.model ? { model: c.model } : {}),
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    events = await stack.waitForTurns(created.json.id, 1);
    console.log(
      JSON.stringify(
        events.filter((e) => e.type !== 'session.status'),
        null,
        1,
      ).slice(0, 4000),
    );
  }, 600_000);

  it('read the issue through the MCP server', () => {
    expect(results()[0]).toContain('issue text 7f3a');
    expect(results()[0]).toContain('The greeting is rude');
  });

  it('commented on the PR, labelled as written by the agent via Hangar', () => {
    const posted = gh.comments('acme/app', 1).find((p) => p.body.startsWith(comment));
    expect(posted?.body).toContain('Written by the coding agent via Hangar');
    expect(isAgentText(posted?.body)).toBe(true);
    expect(posted?.user.login).toBe('octo');
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

  it.runIf(c.repoServer)("still started the repo's own MCP server beside Hangar's", () => {
    expect(results()[3]).toContain('repo tool echoes: beside Hangar 5c1e');
  });
});
