import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bashCall, say, startModelServer, type ModelServer } from '../../fixtures/model-server.js';
import { CLAUDE_CODE } from '../../src/agents/claude-code/package.js';
import { ensureAgent } from '../../src/agents/install.js';
import { testAgentsDir } from './agents.js';
import { startGitHost, type GitHost } from './git-host.js';
import { runHangar } from './hangar.js';
import { commit, git, Stack } from './stack.js';

/**
 * Terminal handoff end to end: `hangar --remote` from a repo with no remote (a bundle),
 * `hangar teleport` back, and the real `claude --resume` continuing the conversation.
 */

let model: ModelServer;
let stack: Stack;

beforeAll(async () => {
  model = await startModelServer({ script: { replies: [] } });
  stack = await Stack.start(model);
}, 600_000);
afterAll(async () => {
  await stack.server.stop();
  await model.close();
});

function newRepo(name = 'app'): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'hangar-handoff-')), name);
  execFileSync('git', ['init', '-q', '-b', 'main', dir]);
  writeFileSync(join(dir, 'README.md'), '# app\n');
  git(dir, 'add', '.');
  commit(dir, 'initial');
  return dir;
}

const cli = (cwd: string, ...args: string[]) =>
  runHangar(
    args,
    { ...stack.env, HANGAR_SERVER: stack.server.url, HANGAR_TOKEN: stack.token },
    undefined,
    cwd,
  );

/** Runs `hangar ARGS…` in `cwd` to start a session: it must succeed; answers its output and the id. */
async function startSession(cwd: string, ...args: string[]) {
  const started = await cli(cwd, ...args);
  expect(started.code, started.stderr).toBe(0);
  return { ...started, id: /Started session (ses_\S+)/.exec(started.stdout)?.[1] ?? '' };
}

/** The model's reply that runs `command` in the sandbox to commit and push. */
const commitAndPush = (command: string) => ({ content: [bashCall(command, 'commit and push')] });

describe('hangar --remote and hangar teleport', { timeout: 300_000 }, () => {
  let repo: string;
  let id: string;

  beforeAll(async () => {
    repo = newRepo();
    writeFileSync(join(repo, 'README.md'), '# app\n\nwork in progress\n');
    writeFileSync(join(repo, 'notes.txt'), 'untracked\n');
    model.setScript({
      replies: [
        {
          content: [
            {
              type: 'tool_use',
              name: 'Write',
              input: {
                file_path: '/home/user/app/greeting.txt',
                content: 'hello from the agent\n',
              },
            },
          ],
        },
        commitAndPush(
          'git add greeting.txt && git commit -qm "Add a greeting" && git push -q origin HEAD',
        ),
        say('Greeting added and pushed.'),
      ],
    });
    const started = await startSession(repo, '--remote', '--wait', 'add a greeting file');
    id = started.id;
    expect(started.stderr, 'the agent gave its scripted last answer').toContain(
      'Greeting added and pushed.',
    );
    expect(started.stdout).toContain(`hangar teleport ${id}`);
    expect(started.stderr).toContain('1 untracked file(s) were left out');
  }, 300_000);

  it('refuses to teleport over uncommitted changes, and into another repository', async () => {
    const dirty = await cli(repo, 'teleport', id);
    expect(dirty.code).toBe(1);
    expect(dirty.stderr).toMatch(/uncommitted changes: commit or stash them, or pass --stash/);

    const other = newRepo('other');
    const wrong = await cli(other, 'teleport', id);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/not the session's: it shares no root commit/);

    const unknown = await cli(repo, 'teleport', 'ses_unknown');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/No session with id "ses_unknown"/);

    const created = await cli(repo, 'user', 'create', '--name', 'mallory');
    expect(created.code, created.stderr).toBe(0);
    const stranger = await runHangar(
      ['teleport', id],
      { ...stack.env, HANGAR_SERVER: stack.server.url, HANGAR_TOKEN: created.stdout.trim() },
      undefined,
      repo,
    );
    expect(stranger.code).toBe(1);
    expect(stranger.stderr).toMatch(new RegExp(`No session with id "${id}"`));

    const outside = await cli(tmpdir(), 'teleport', id);
    expect(outside.code).toBe(1);
    expect(outside.stderr).toMatch(/Not inside a git work tree/);
  });

  it('brings back the branch with the agent commit and the carried work, not the untracked file', async () => {
    const result = await cli(repo, 'teleport', id, '--stash');
    expect(result.code, result.stderr).toBe(0);
    const branch = git(repo, 'branch', '--show-current');
    expect(branch).toMatch(/^hangar\/add-a-greeting-file-/);
    expect(git(repo, 'log', '-1', '--format=%s')).toBe('Add a greeting');
    expect(readFileSync(join(repo, 'greeting.txt'), 'utf8')).toBe('hello from the agent\n');
    expect(readFileSync(join(repo, 'README.md'), 'utf8')).toContain('work in progress');
    expect(git(repo, 'ls-files', 'notes.txt')).toBe('');
    expect(existsSync(join(repo, 'notes.txt'))).toBe(true);
    expect(result.stdout).toMatch(/claude --resume [0-9a-f-]{36}/);
  });

  it('hands the conversation to the real claude --resume', async () => {
    const { json } = await stack.api<{ agentSessionId: string }>('GET', `/sessions/${id}`);
    const file = join(
      stack.env.HOME ?? '',
      '.claude',
      'projects',
      repo.replace(/[^A-Za-z0-9]/g, '-'),
      `${json.agentSessionId}.jsonl`,
    );
    const conversation = readFileSync(file, 'utf8');
    expect(conversation).toContain(repo);
    expect(conversation).not.toContain('/home/user/app');
    // What the model was asked, with the SDK's retry count: a retried request takes the
    // script's next reply, which tells a flaky model round apart from a short copy.
    const asked = model
      .agentRequests()
      .map((r) => `${r.path} retry=${String(r.headers['x-stainless-retry-count'] ?? '-')}`);
    expect(
      conversation,
      `the saved conversation ends with the agent's last answer; requests: ${asked.join(', ')}; its end: ${conversation.slice(-800)}`,
    ).toContain('Greeting added and pushed.');

    model.setScript({ replies: [say('Continuing locally.')] });
    const before = model.agentRequests().length;
    const claude = (await ensureAgent(testAgentsDir(), CLAUDE_CODE)).bin;
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(
        claude,
        ['--resume', json.agentSessionId, '-p', 'go on', '--dangerously-skip-permissions'],
        {
          cwd: repo,
          env: {
            PATH: process.env.PATH,
            HOME: stack.env.HOME,
            IS_SANDBOX: '1',
            ANTHROPIC_BASE_URL: model.url,
            ANTHROPIC_API_KEY: 'sk-local',
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let text = '';
      child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
      child.on('error', reject);
      child.on('close', () => {
        resolve(text);
      });
    });
    expect(out).toContain('Continuing locally.');
    // The turn that answers "go on" (Claude Code may make other requests of its own).
    const requests = model.agentRequests().slice(before);
    const asksToGoOn = (body: unknown) =>
      (body as { messages?: { role: string; content: unknown }[] }).messages?.some(
        (m) => m.role === 'user' && JSON.stringify(m.content).includes('go on'),
      );
    const request = JSON.stringify(requests.find((r) => asksToGoOn(r.body))?.body);
    expect(request, `${requests.length} request(s) after the resume`).toContain(
      'add a greeting file',
    );
    expect(request).toContain('Greeting added and pushed.');
    expect(request).toContain('go on');
  });

  it('lists the session in hangar tasks', async () => {
    const listed = await cli(repo, 'tasks');
    expect(listed.stdout).toMatch(
      new RegExp(`${id}\\s+add a greeting file\\s+(idle|hibernated)\\s+app\\s+hangar/`),
    );
    const json = JSON.parse((await cli(repo, 'tasks', '--json')).stdout) as { id: string }[];
    expect(json.map((s) => s.id)).toContain(id);
  });

  it('hangar logs --until-idle: at once for an idle session, after the next turn once one is asked for', async () => {
    const now = await cli(repo, 'logs', id, '--until-idle');
    expect(now.code, now.stderr).toBe(0);
    expect(now.stdout).toContain('> add a greeting file');
    expect(now.stdout).toMatch(/^— turn done/m);

    model.setScript({ replies: [say('Second answer, from a follow-up.')] });
    const sent = await cli(repo, 'send', id, 'one more thing');
    expect(sent.code, sent.stderr).toBe(0);
    const next = await cli(repo, 'logs', id, '--follow', '--until-idle', '--json');
    expect(next.code, next.stderr).toBe(0);
    const events = next.stdout
      .trim()
      .split('\n')
      .map(
        (line) => JSON.parse(line) as { type: string; data: { text?: string; status?: string } },
      );
    const reply = events.findIndex((e) => e.data.text === 'Second answer, from a follow-up.');
    expect(reply).toBeGreaterThan(-1);
    expect(events.at(-1)).toMatchObject({ type: 'session.status', data: { status: 'idle' } });
  });
});

describe('hangar logs --until-idle on a session that fails', { timeout: 300_000 }, () => {
  it('exits 1 naming the status and the reason', async () => {
    const repo = newRepo();
    const script = join(repo, '..', 'setup.sh');
    writeFileSync(script, 'echo the mirror is down >&2\nexit 3\n');
    const made = await cli(repo, 'env', 'create', '--name', 'broken', '--setup-script', script);
    expect(made.code, made.stderr).toBe(0);
    const { id } = await startSession(repo, 'remote', '--env', 'broken', 'never runs');

    const logs = await cli(repo, 'logs', id, '--follow', '--until-idle');
    expect(logs.code).toBe(1);
    expect(logs.stderr).toMatch(
      new RegExp(`^hangar: Session ${id} failed: The setup script exited with code 3`, 'm'),
    );
    expect(logs.stdout).toContain('the mirror is down');
  });
});

describe('teleport of a session on a git remote', { timeout: 300_000 }, () => {
  let upstream: GitHost;
  let checkout: string;
  let id: string;

  beforeAll(async () => {
    checkout = newRepo('demo');
    upstream = await startGitHost(checkout);
    const port = new URL(upstream.url).port;
    // The host name resolves for this checkout's git as the operator pinned it for the server.
    git(checkout, 'config', 'http.curloptResolve', `git.hangar.test:${port}:127.0.0.1`);
    git(checkout, 'remote', 'add', 'origin', upstream.url);
    // As a clone has it, set without a fetch: the host answers in this process, and a
    // synchronous git here would wait on it for ever.
    git(checkout, 'config', 'branch.main.remote', 'origin');
    git(checkout, 'config', 'branch.main.merge', 'refs/heads/main');
    model.setScript({
      replies: [
        commitAndPush(
          'echo pushed > pushed.txt && git add pushed.txt && git commit -qm "From the git session" && git push -q origin HEAD',
        ),
        say('Pushed.'),
      ],
    });
    ({ id } = await startSession(checkout, 'remote', '--wait', 'push a file'));
  }, 300_000);
  afterAll(() => {
    upstream.close();
  });

  it("refuses a fork of the repository, even one that has the branch, with the seed's words", async () => {
    // The fork: another repository (another host here) holding the session's branch too.
    const forkHost = await startGitHost(upstream.bare);
    try {
      const fork = newRepo('demo');
      const port = new URL(forkHost.url).port;
      git(fork, 'config', 'http.curloptResolve', `git.hangar.test:${port}:127.0.0.1`);
      git(fork, 'remote', 'add', 'origin', forkHost.url);
      for (const args of [
        ['teleport', id],
        ['--teleport', id],
      ]) {
        const refused = await cli(fork, ...args);
        expect(refused.code).toBe(1);
        expect(refused.stderr).toContain(
          `not the session's: teleport runs from a checkout of the same repository (${upstream.url}), not a fork.`,
        );
        expect(refused.stderr).toContain(`origin here is ${forkHost.url}`);
      }
      expect(git(fork, 'branch', '--show-current')).toBe('main');
      expect(git(fork, 'log', '-1', '--format=%s')).toBe('initial');
    } finally {
      forkHost.close();
    }
  });

  it("hangar --teleport ID brings the branch from the session's repository", async () => {
    const result = await cli(checkout, '--teleport', id);
    expect(result.code, result.stderr).toBe(0);
    expect(git(checkout, 'branch', '--show-current')).toMatch(/^hangar\/push-a-file-/);
    expect(git(checkout, 'log', '-1', '--format=%s')).toBe('From the git session');
    expect(readFileSync(join(checkout, 'pushed.txt'), 'utf8')).toBe('pushed\n');
  });
});

describe('the bundle ladder', { timeout: 300_000 }, () => {
  let small: Stack;
  beforeAll(async () => {
    small = await Stack.start(model, { HANGAR_MAX_BUNDLE_MB: '1' });
  }, 120_000);
  afterAll(async () => {
    await small.server.stop();
  });

  const run = (cwd: string, ...args: string[]) =>
    runHangar(
      args,
      {
        ...small.env,
        HANGAR_SERVER: small.server.url,
        HANGAR_TOKEN: small.token,
        HANGAR_FORCE_BUNDLE: '1',
      },
      undefined,
      cwd,
    );
  const noise = (mb: number) => randomBytes(mb * 1024 * 1024).toString('base64');

  it('steps down to the current branch, then to a squashed commit, then says what it tried', async () => {
    model.setScript({ replies: [] });
    const repo = newRepo();
    git(repo, 'checkout', '-q', '-b', 'big');
    writeFileSync(join(repo, 'big.bin'), noise(1));
    git(repo, 'add', 'big.bin');
    commit(repo, 'a big file on another branch');
    git(repo, 'checkout', '-q', 'main');

    const branchOnly = await run(repo, 'remote', 'small task');
    expect(branchOnly.code, branchOnly.stderr).toBe(0);
    expect(branchOnly.stderr).toMatch(
      /Sending only main \(all-branches [\d.]+ MB, current-branch 0\.0 MB; limit 1\.0 MB\)/,
    );

    git(repo, 'merge', '-q', 'big');
    git(repo, 'rm', '-q', 'big.bin');
    commit(repo, 'remove the big file again');
    const squashed = await run(repo, 'remote', 'small task');
    expect(squashed.code, squashed.stderr).toBe(0);
    expect(squashed.stderr).toMatch(/Sending one squashed commit of the working state/);

    writeFileSync(join(repo, 'README.md'), noise(2));
    const tooBig = await run(repo, 'remote', 'small task');
    expect(tooBig.code).toBe(1);
    expect(tooBig.stderr).toMatch(
      /too large to send: bundles of all-branches [\d.]+ MB, current-branch [\d.]+ MB, squashed [\d.]+ MB are all over the server's limit of 1\.0 MB/,
    );
  });
});
