/**
 * Attacks on the user's laptop and the server's host through the CLI and the agent
 * install: a forged agent conversation id at teleport (a path, a flag), the API token
 * in a git process's argv (which every user can read in `ps`), and the server's secrets
 * in the environment of the npm that installs the agent.
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLAUDE_CODE } from '../../src/agents/claude-code/package.js';
import { ensureAgent } from '../../src/agents/install.js';
import { openTestApp } from '../../src/server/test-app.js';
import { sessions } from '../../src/store/schema.js';
import { oneCommitBundle } from '../../src/git/test-repo.js';
import { HANGAR_BIN, isolatedEnv, runHangar } from '../e2e/hangar.js';
import { startGitHost, type GitHost } from '../e2e/git-host.js';

const TOKEN = 'hgr_attack0test0token0that0must0not0show0in0argv';
const SESSION = 'ses_01jattack0000000000000000';
const BRANCH = 'hangar/attack-01jattack';

const temps: string[] = [];
function temp(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

function git(cwd: string, ...args: string[]): string {
  return execFileSync(
    'git',
    [
      '-c',
      'user.name=t',
      '-c',
      'user.email=t@example.com',
      '-c',
      'init.defaultBranch=main',
      ...args,
    ],
    { cwd, encoding: 'utf8' },
  ).trim();
}

/**
 * The user's clone, whose `origin` (a bare repo on disk) already has the session's
 * branch, so teleport gets as far as the conversation.
 */
function userClone(): string {
  const root = temp('hangar-cli-attack-');
  const origin = join(root, 'origin.git');
  const work = join(root, 'work');
  mkdirSync(work);
  git(root, 'init', '--bare', '-q', origin);
  git(work, 'init', '-q');
  writeFileSync(join(work, 'a.txt'), 'a\n');
  git(work, 'add', '.');
  git(work, 'commit', '-qm', 'a');
  git(work, 'remote', 'add', 'origin', origin);
  git(work, 'push', '-q', 'origin', `HEAD:refs/heads/${BRANCH}`);
  return work;
}

/**
 * A user's clone whose origin is served over smart HTTP on loopback: the session's
 * repository is the checkout's own remote, as teleport requires before it reads the
 * conversation (it refuses a fork).
 */
async function servedClone(): Promise<{ work: string; host: GitHost; url: string }> {
  const work = userClone();
  const host = await startGitHost(join(work, '..', 'origin.git'));
  const url = host.url.replace('git.hangar.test', '127.0.0.1');
  git(work, 'remote', 'set-url', 'origin', url);
  return { work, host, url };
}

/** What a hostile (or compromised) Hangar server answers; the test is the attacker. */
interface Hostile {
  url: string;
  requests: { path: string; authorization?: string }[];
  close(): Promise<void>;
}

function hostileServer(
  answer: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<Hostile> {
  const requests: Hostile['requests'] = [];
  const server: Server = createServer((req, res) => {
    requests.push({ path: req.url ?? '', authorization: req.headers.authorization });
    answer(req, res);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        requests,
        close: () =>
          new Promise((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

function sessionJson(source: Record<string, string>) {
  return {
    id: SESSION,
    title: 'attack',
    status: 'idle',
    archived: false,
    repo: 'work',
    branch: BRANCH,
    source,
    diffStats: { additions: 0, deletions: 0 },
    updatedAt: new Date().toISOString(),
  };
}

function json(res: ServerResponse, body: unknown, status = 200): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1));
}

describe('teleport with a forged agent conversation id', () => {
  beforeAll(() => {
    // bin/hangar.js runs dist/: the CLI as users get it.
    expect(existsSync(new URL('../../dist/cli/main.js', import.meta.url))).toBe(true);
  });

  for (const forged of ['../../../.bashrc', '--dangerously-skip-permissions']) {
    it(`refuses ${forged}: nothing written, nothing run`, async () => {
      const { work, host, url } = await servedClone();
      const server = await hostileServer((req, res) => {
        if (req.url === `/api/v1/sessions/${SESSION}`) {
          json(res, sessionJson({ type: 'git', url, branch: 'main' }));
        } else if (req.url === `/api/v1/sessions/${SESSION}/conversation`) {
          json(res, {
            agentSessionId: forged,
            sandboxRepoPath: '/home/user/work',
            jsonl: '{"type":"user"}\n',
          });
        } else {
          json(res, { error: { code: 'not_found', message: 'no' } }, 404);
        }
      });
      // A `claude` on PATH that records being run: with --exec, a forged id must not reach it.
      const env = isolatedEnv({ HANGAR_SERVER: server.url, HANGAR_TOKEN: TOKEN });
      const home = env.HOME ?? '';
      const bin = join(home, '..', 'bin');
      mkdirSync(bin, { recursive: true });
      const ran = join(home, '..', 'claude-ran');
      writeFileSync(join(bin, 'claude'), `#!/bin/sh\necho "$@" > '${ran}'\n`);
      chmodSync(join(bin, 'claude'), 0o755);
      env.PATH = `${bin}:${process.env.PATH ?? ''}`;
      try {
        const result = await runHangar(['teleport', SESSION, '--exec'], env, undefined, work);
        expect(result.code, result.stderr).not.toBe(0);
        expect(result.stderr).toMatch(/not a UUID/);
        expect(existsSync(ran)).toBe(false);
        // Not in ~/.claude, not beside it, not anywhere the traversal points.
        expect(filesUnder(join(home, '..'))).not.toContainEqual(expect.stringMatching(/jsonl$/));
        expect(filesUnder(home)).toEqual([]);
      } finally {
        await server.close();
        host.close();
      }
    });
  }

  // The server's refusal of the conversation is said as it said it: only "no finished turn
  // yet" means there is nothing to hand over (teleport used to read every failure so).
  for (const [code, said] of [
    ['not_ready', 'The agent has no finished turn yet: only the branch was brought over.'],
    ['invalid_agent_session', 'the id it holds is not a UUID [invalid_agent_session]'],
  ] as const) {
    it(`says the conversation's ${code} as the server does`, async () => {
      const { work, host, url } = await servedClone();
      const server = await hostileServer((req, res) => {
        if (req.url === `/api/v1/sessions/${SESSION}`) {
          json(res, sessionJson({ type: 'git', url, branch: 'main' }));
        } else if (req.url === `/api/v1/sessions/${SESSION}/conversation`) {
          const message = code === 'not_ready' ? 'no turn yet' : 'the id it holds is not a UUID';
          json(res, { error: { code, message } }, 409);
        } else {
          json(res, { error: { code: 'not_found', message: 'no' } }, 404);
        }
      });
      try {
        const env = isolatedEnv({ HANGAR_SERVER: server.url, HANGAR_TOKEN: TOKEN });
        const result = await runHangar(['teleport', SESSION], env, undefined, work);
        expect(result.stderr).toContain(said);
        expect(result.code, result.stderr).toBe(code === 'not_ready' ? 0 : 1);
        // The branch came over either way.
        expect(git(work, 'branch', '--show-current')).toBe(BRANCH);
      } finally {
        await server.close();
        host.close();
      }
    });
  }

  it('the server neither serves nor resumes an agent id that is not a UUID', async () => {
    const t = await openTestApp({ sessions: true });
    try {
      const repo = temp('hangar-cli-bundle-');
      const bundle = (await (
        await t.request('POST', '/api/v1/bundles', {
          raw: oneCommitBundle(repo),
          contentType: 'application/octet-stream',
        })
      ).json()) as { id: string };
      const created = (await (
        await t.request('POST', '/api/v1/sessions', {
          body: { prompt: 'x', source: { type: 'bundle', bundleId: bundle.id } },
        })
      ).json()) as { id: string };
      // The stored conversation carries a forged id (written before this check existed,
      // or by anyone with the database): the API hands it to no client.
      await t.store.db
        .update(sessions)
        .set({ agentSessionId: '../../.bashrc' })
        .where(eq(sessions.id, created.id));
      const session = (await (await t.request('GET', `/api/v1/sessions/${created.id}`)).json()) as {
        agentSessionId: string | null;
      };
      expect(session.agentSessionId).toBeNull();
      const conversation = await t.request('GET', `/api/v1/sessions/${created.id}/conversation`);
      expect(conversation.status).toBe(409);
      expect(await conversation.text()).toMatch(/not a UUID/);
    } finally {
      await t.close();
    }
  });
});

/** The pids of `root` and all its descendants, from /proc. */
function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // The comm field may hold spaces and parens: ppid is the 2nd field after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(Number(name), ppid);
    } catch {
      // gone already
    }
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) {
    for (const [pid, ppid] of parent) if (ppid === out[i]) out.push(pid);
  }
  return out;
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

describe('no token in any process argv', () => {
  it("teleport's git fetch from Hangar carries the token, but not in argv", async () => {
    const work = userClone();
    let release: () => void = () => undefined;
    const stalled = new Promise<void>((resolve) => (release = resolve));
    const server = await hostileServer((req, res) => {
      if (req.url === `/api/v1/sessions/${SESSION}`) {
        json(res, sessionJson({ type: 'bundle', bundleId: 'bun_x', branch: 'main' }));
        return;
      }
      // git's smart-HTTP request: held open until the test has looked at every process.
      void stalled.then(() => res.destroy());
    });
    const env = isolatedEnv({ HANGAR_SERVER: server.url, HANGAR_TOKEN: TOKEN });
    const { spawn } = await import('node:child_process');
    const child = spawn(HANGAR_BIN, ['teleport', SESSION], { env, cwd: work, stdio: 'pipe' });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      // Until git's request has reached the server: then the fetch's processes all exist.
      while (!server.requests.some((r) => r.path.includes('/git/'))) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const pids = descendants(child.pid ?? -1);
      const lines = pids.map(cmdline).filter(Boolean);
      expect(
        lines.some((line) => /\bgit\b.*fetch|remote-http/.test(line)),
        lines.join('\n'),
      ).toBe(true);
      for (const line of lines) expect(line).not.toContain(TOKEN);
      const gitRequest = server.requests.find((r) => r.path.includes('/git/'));
      expect(gitRequest?.authorization).toBe(`Bearer ${TOKEN}`);
    } finally {
      release();
      await exited;
      await server.close();
    }
  });
});

describe('agent install', () => {
  it("runs npm without the server's secrets and checks what it installed against the pins", async () => {
    const agents = temp('hangar-agents-');
    const secrets = {
      ANTHROPIC_API_KEY: 'sk-ant-attack-secret',
      OPENAI_API_KEY: 'sk-openai-attack-secret',
      DATABASE_URL: 'postgres://hangar:attack-secret@127.0.0.1/hangar',
      HANGAR_GITHUB_TOKEN: 'ghp_attack_secret',
    };
    const seen = new Map<number, { argv: string; environ: string }>();
    const watch = setInterval(() => {
      for (const pid of descendants(process.pid)) {
        const argv = cmdline(pid);
        if (pid === process.pid || seen.has(pid) || !/npm.* install /.test(argv)) continue;
        try {
          seen.set(pid, { argv, environ: readFileSync(`/proc/${pid}/environ`, 'utf8') });
        } catch {
          // exited between the listing and the read
        }
      }
    }, 20);
    // As `hangar serve` runs it: with the secrets in the server's own environment.
    Object.assign(process.env, secrets);
    try {
      const installed = await ensureAgent(agents, CLAUDE_CODE);
      expect(execFileSync(installed.bin, ['--version'], { encoding: 'utf8' })).toContain(
        CLAUDE_CODE.version,
      );
    } finally {
      clearInterval(watch);
      for (const key of Object.keys(secrets)) Reflect.deleteProperty(process.env, key);
    }
    expect(seen.size).toBeGreaterThan(0);
    for (const { argv, environ } of seen.values()) {
      for (const secret of Object.values(secrets)) expect(environ).not.toContain(secret);
      expect(environ).toMatch(/(^|\0)PATH=/);
      expect(argv).toContain('--ignore-scripts');
    }
    const lock = readFileSync(
      join(agents, '@anthropic-ai+claude-code@2.1.330', 'node_modules', '.package-lock.json'),
      'utf8',
    );
    expect(lock).toContain(CLAUDE_CODE.integrity['@anthropic-ai/claude-code']);
  }, 300_000);
});
