import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedEnv, runHangar, startServe, type Serving } from './hangar.js';
import { commit, git } from './stack.js';

/** A server started with no model key says so, and refuses sessions at once with the reason. */
describe('a server with no model key', () => {
  let env: NodeJS.ProcessEnv;
  let server: Serving;
  let token: string;

  beforeAll(async () => {
    env = isolatedEnv();
    server = await startServe(env);
    token = readFileSync(join(env.HANGAR_DATA_DIR ?? '', 'admin-token'), 'utf8').trim();
  });
  afterAll(async () => {
    await server.stop();
  });

  const api = (method: string, path: string, body?: unknown) =>
    fetch(`${server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? null : JSON.stringify(body),
    });

  it('warns as it starts, and /healthz says the agent is not usable and why', async () => {
    const { stdout, stderr } = server.output();
    expect(stderr).toMatch(
      /^Warning: claude-code sessions are refused: Claude Code needs a model key: set ANTHROPIC_API_KEY/m,
    );
    const logged = stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { level: number; agent?: string; reason?: string });
    const warning = logged.find((line) => line.level === 40 && line.agent === 'claude-code');
    expect(warning?.reason).toMatch(/set ANTHROPIC_API_KEY/);
    const health: unknown = await (await fetch(`${server.url}/healthz`)).json();
    expect(health).toMatchObject({
      status: 'ok',
      agents: [
        {
          name: 'claude-code',
          usable: false,
          reason: expect.stringMatching(/set ANTHROPIC_API_KEY/) as unknown,
        },
        {
          name: 'codex',
          usable: false,
          reason: expect.stringMatching(/set OPENAI_API_KEY/) as unknown,
        },
        {
          name: 'opencode',
          usable: false,
          reason: expect.stringMatching(/set ANTHROPIC_API_KEY .* or OPENAI_API_KEY/) as unknown,
        },
      ],
    });
  });

  it('refuses a session over the API at once, with the reason, and keeps nothing', async () => {
    const refused = await api('POST', '/api/v1/sessions', {
      prompt: 'add hello.txt',
      source: { type: 'git', url: 'https://git.example.com/acme/app.git' },
    });
    expect(refused.status).toBe(422);
    const body = (await refused.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('agent_not_configured');
    expect(body.error.message).toMatch(
      /^claude-code cannot run on this server: Claude Code needs a model key: set ANTHROPIC_API_KEY/,
    );
    const list = (await (await api('GET', '/api/v1/sessions')).json()) as { sessions: unknown[] };
    expect(list.sessions).toEqual([]);
  });

  /** `hangar remote ARGS…` in a new repository of one commit. */
  const remote = (...args: string[]) => {
    const repo = join(mkdtempSync(join(tmpdir(), 'hangar-nokey-')), 'app');
    execFileSync('git', ['init', '-q', '-b', 'main', repo]);
    writeFileSync(join(repo, 'README.md'), '# app\n');
    git(repo, 'add', '.');
    commit(repo, 'initial');
    return runHangar(
      ['remote', ...args],
      { ...env, HANGAR_SERVER: server.url, HANGAR_TOKEN: token },
      undefined,
      repo,
    );
  };

  it('makes `hangar remote` fail at once with the reason, before sending the repository', async () => {
    const cli = await remote('--wait', 'add hello.txt');
    expect(cli.code).toBe(1);
    expect(cli.stderr).toMatch(
      /^hangar: claude-code cannot run on this server: Claude Code needs a model key: set ANTHROPIC_API_KEY/m,
    );
    expect(cli.stdout).not.toMatch(/Started session/);

    // An environment whose default agent is Codex: that agent, and its key, are named.
    const created = await api('POST', '/api/v1/environments', {
      name: 'Codex work',
      defaultAgent: 'codex',
    });
    expect(created.status).toBe(201);
    const byEnv = await remote('--env', 'codex work', 'add hello.txt');
    expect(byEnv.code).toBe(1);
    expect(byEnv.stderr).toMatch(
      /^hangar: codex \(the default agent of the environment "Codex work"\) cannot run on this server: Codex needs a model key: set OPENAI_API_KEY/m,
    );
    const limits = (await (await api('GET', '/api/v1/bundles/limits')).json()) as {
      usedBytes: number;
    };
    expect(limits.usedBytes).toBe(0);
  });
});
