import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect } from 'vitest';
import type { Script, ModelServer } from '../../fixtures/model-server.js';
import { testAgentsDir } from './agents.js';
import { GIT_HOST_PIN } from './git-host.js';
import { isolatedEnv, startServe, type Serving } from './hangar.js';

export interface SessionJson {
  id: string;
  status: string;
  branch: string | null;
  failureReason: string | null;
  agentSessionId: string | null;
  diffStats: { files: number; additions: number; deletions: number };
}

export interface EventJson {
  seq: number;
  type: string;
  createdAt: string;
  data: {
    status?: string;
    subStep?: string;
    reason?: string;
    output?: string;
    text?: string;
    interrupted?: boolean;
    isError?: boolean;
    error?: string;
    name?: string;
  };
}

export const REAL_KEY = 'sk-ant-real-key-that-must-never-reach-a-sandbox';
export const REAL_OPENAI_KEY = 'sk-openai-real-key-that-must-never-reach-a-sandbox';

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
}

/** Commits everything staged (or nothing) as a fixed developer identity. */
export function commit(cwd: string, message: string): void {
  git(
    cwd,
    '-c',
    'user.name=dev',
    '-c',
    'user.email=dev@example.com',
    'commit',
    '-q',
    '--allow-empty',
    '-m',
    message,
  );
}

/** A new repo `name` on branch main whose one commit holds `files` (path → content). */
export function makeRepo(name: string, files: Record<string, string>): string {
  const dir = join(mkdtempSync(join(tmpdir(), `hangar-${name}-`)), name);
  execFileSync('git', ['init', '-q', '-b', 'main', dir]);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  git(dir, 'add', '.');
  commit(dir, 'initial');
  return dir;
}

/** A `.claude/settings.json` whose SessionStart hook runs `command` on every start. */
export function sessionStartHook(command: string): Record<string, string> {
  const hooks = { SessionStart: [{ hooks: [{ type: 'command', command }] }] };
  return { '.claude/settings.json': JSON.stringify({ hooks }, null, 2) };
}

/** A running `hangar serve` wired to the scripted model server, and ways to drive it. */
export class Stack {
  server!: Serving;
  token = '';

  constructor(
    readonly model: ModelServer,
    readonly env: NodeJS.ProcessEnv,
  ) {}

  static async start(model: ModelServer, extra: NodeJS.ProcessEnv = {}): Promise<Stack> {
    const env = isolatedEnv({
      ANTHROPIC_BASE_URL: model.url,
      ANTHROPIC_API_KEY: REAL_KEY,
      OPENAI_BASE_URL: `${model.url}/v1`,
      OPENAI_API_KEY: REAL_OPENAI_KEY,
      HANGAR_AGENTS_DIR: testAgentsDir(),
      // The loopback git host of git-host.ts, as an operator would pin it.
      HANGAR_EGRESS_RESOLVE: GIT_HOST_PIN,
      ...extra,
    });
    const stack = new Stack(model, env);
    await stack.restart();
    stack.token = readFileSync(join(stack.dataDir, 'admin-token'), 'utf8').trim();
    return stack;
  }

  get dataDir(): string {
    return this.env.HANGAR_DATA_DIR ?? '';
  }

  async restart(): Promise<void> {
    this.server = await startServe(this.env);
  }

  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the answer's shape
  async api<T>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
    const send = () =>
      fetch(`${this.server.url}/api/v1${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body),
      });
    // A GET on a kept-alive connection the server closed at that moment (likelier when a
    // loaded machine stalls it past its keep-alive timeout) is reset: send it again once.
    const res = await send().catch((error: unknown) => {
      const reset = (error as { cause?: { code?: string } }).cause?.code === 'ECONNRESET';
      if (method === 'GET' && reset) return send();
      throw error;
    });
    return { status: res.status, json: (await res.json()) as T };
  }

  async uploadBundle(repo: string): Promise<string> {
    const file = `${repo}.bundle`;
    git(repo, 'bundle', 'create', '-q', file, '--all');
    const res = await fetch(`${this.server.url}/api/v1/bundles`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${this.token}`,
        'content-type': 'application/octet-stream',
      },
      body: readFileSync(file),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: string }).id;
  }

  async createEnvironment(body: Record<string, unknown>): Promise<string> {
    const { status, json } = await this.api<{ id: string }>('POST', '/environments', body);
    expect(status).toBe(201);
    return json.id;
  }

  /** Uploads `repo` as a bundle and starts a session on it with `script` playing the model. */
  async startSession(
    repo: string,
    script: Script,
    extra: Record<string, unknown> = {},
  ): Promise<string> {
    this.model.setScript(script);
    const bundleId = await this.uploadBundle(repo);
    const { status, json } = await this.api<{ id: string; status: string }>('POST', '/sessions', {
      prompt: 'add hello.txt and make the tests pass',
      source: { type: 'bundle', bundleId, name: 'demo' },
      ...extra,
    });
    expect(status, JSON.stringify(json)).toBe(201);
    expect(json.status).toBe('queued');
    return json.id;
  }

  async session(id: string): Promise<SessionJson> {
    return (await this.api<SessionJson>('GET', `/sessions/${id}`)).json;
  }

  async events(id: string): Promise<EventJson[]> {
    const { json } = await this.api<{ events: EventJson[] }>(
      'GET',
      `/sessions/${id}/events?after=0&limit=1000`,
    );
    return json.events;
  }

  /** Polls until `ready` holds for the session's events (or fails on a failed session). */
  async waitForEvents(
    id: string,
    ready: (events: EventJson[]) => boolean,
    timeoutMs = 120_000,
  ): Promise<EventJson[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const events = await this.events(id);
      if (ready(events)) return events;
      const last = events.filter((e) => e.type === 'session.status').at(-1);
      if (last?.data.status === 'failed')
        throw new Error(`session failed: ${last.data.reason ?? ''}`);
      if (Date.now() > deadline) throw new Error(`timed out: ${JSON.stringify(events.slice(-6))}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** Waits until `turns` turns have ended and the session waits for a message. */
  waitForTurns(id: string, turns: number): Promise<EventJson[]> {
    return this.waitForEvents(id, (events) => {
      const done = events.filter((e) => e.type === 'turn.result').length;
      const last = events.filter((e) => e.type === 'session.status').at(-1);
      return done >= turns && ['idle', 'hibernated'].includes(last?.data.status ?? '');
    });
  }

  async waitForStatus(id: string, statuses: string[], timeoutMs = 120_000): Promise<SessionJson> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const session = await this.session(id);
      if (statuses.includes(session.status)) return session;
      if (Date.now() > deadline)
        throw new Error(`session ${id} is ${session.status}, not ${statuses.join('|')}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
