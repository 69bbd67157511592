import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startModelServer, type ModelServer, type Script } from '../../fixtures/model-server.js';
import { testAgentsDir } from './agents.js';
import { isolatedEnv, startServe, type Serving } from './hangar.js';

/**
 * Sessions end to end: the real `hangar serve`, real sandboxes, the real `claude`
 * binary, against the scripted model server. Runs as root (sandboxes need it).
 */

const REAL_KEY = 'sk-ant-real-key-that-must-never-reach-a-sandbox';

let model: ModelServer;
let env: NodeJS.ProcessEnv;
let server: Serving;
let token: string;
let repo: string;

interface SessionJson {
  id: string;
  status: string;
  branch: string | null;
  failureReason: string | null;
  agentSessionId: string | null;
  diffStats: { files: number; additions: number; deletions: number };
}
interface EventJson {
  seq: number;
  type: string;
  data: { status?: string; subStep?: string; reason?: string; output?: string; text?: string };
}

// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the answer's shape
async function api<T>(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: T }> {
  const res = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as T };
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
}

async function uploadBundle(): Promise<string> {
  const file = join(repo, '..', 'repo.bundle');
  git(repo, 'bundle', 'create', '-q', file, '--all');
  const res = await fetch(`${server.url}/api/v1/bundles`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
    body: readFileSync(file),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

async function createEnvironment(body: Record<string, unknown>): Promise<string> {
  const { status, json } = await api<{ id: string }>('POST', '/environments', body);
  expect(status).toBe(201);
  return json.id;
}

async function startSession(script: Script, extra: Record<string, unknown> = {}): Promise<string> {
  model.setScript(script);
  const bundleId = await uploadBundle();
  const { status, json } = await api<{ id: string; status: string }>('POST', '/sessions', {
    prompt: 'add hello.txt and make the tests pass',
    source: { type: 'bundle', bundleId, name: 'demo' },
    ...extra,
  });
  expect(status, JSON.stringify(json)).toBe(201);
  expect(json.status).toBe('queued');
  return json.id;
}

/** Waits until the session reaches one of `statuses` (after at least `minSeq` events). */
async function waitFor(id: string, statuses: string[], timeoutMs = 120_000): Promise<SessionJson> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { json } = await api<SessionJson>('GET', `/sessions/${id}`);
    if (statuses.includes(json.status)) return json;
    if (Date.now() > deadline)
      throw new Error(`session ${id} is ${json.status}, not ${statuses.join('|')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Waits for the agent's turn to end: the status goes to idle after a turn.result. */
async function waitForTurns(id: string, turns: number): Promise<EventJson[]> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const events = await allEvents(id);
    const done = events.filter((e) => e.type === 'turn.result').length;
    const last = events.filter((e) => e.type === 'session.status').at(-1);
    if (done >= turns && ['idle', 'hibernated'].includes(String(last?.data.status))) return events;
    if (last?.data.status === 'failed')
      throw new Error(`session failed: ${String(last.data.reason)}`);
    if (Date.now() > deadline)
      throw new Error(`only ${done} turns ended: ${JSON.stringify(events.slice(-5))}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function allEvents(id: string): Promise<EventJson[]> {
  const { json } = await api<{ events: EventJson[] }>(
    'GET',
    `/sessions/${id}/events?after=0&limit=1000`,
  );
  return json.events;
}

beforeAll(async () => {
  model = await startModelServer({ script: { replies: [] } });
  repo = join(mkdtempSync(join(tmpdir(), 'hangar-sessions-')), 'demo');
  execFileSync('git', ['init', '-q', '-b', 'main', repo]);
  writeFileSync(
    join(repo, 'test.sh'),
    '#!/bin/sh\ntest "$(cat hello.txt)" = hello && echo "1 test passed"\n',
  );
  writeFileSync(join(repo, 'README.md'), '# demo\n');
  git(repo, 'add', '.');
  git(
    repo,
    '-c',
    'user.name=dev',
    '-c',
    'user.email=dev@example.com',
    'commit',
    '-q',
    '-m',
    'initial',
  );

  env = isolatedEnv({
    ANTHROPIC_BASE_URL: model.url,
    ANTHROPIC_API_KEY: REAL_KEY,
    HANGAR_AGENTS_DIR: testAgentsDir(),
    HANGAR_HIBERNATE_SECONDS: '600',
  });
  server = await startServe(env);
  token = readFileSync(join(env.HANGAR_DATA_DIR ?? '', 'admin-token'), 'utf8').trim();
}, 600_000);

afterAll(async () => {
  await server.stop();
  await model.close();
});

describe('a session on a bundle', () => {
  let id: string;
  let events: EventJson[];

  beforeAll(async () => {
    id = await startSession({
      replies: [
        {
          content: [
            { type: 'text', text: 'I will add the file.' },
            {
              type: 'tool_use',
              name: 'Write',
              input: { file_path: '/home/user/demo/hello.txt', content: 'hello\n' },
            },
          ],
        },
        {
          content: [
            {
              type: 'tool_use',
              name: 'Bash',
              input: { command: 'sh test.sh', description: 'Run the tests' },
            },
          ],
        },
        {
          content: [
            {
              type: 'tool_use',
              name: 'Bash',
              input: {
                command:
                  'git add hello.txt && git commit -q -m "Add hello.txt" && git push -q origin HEAD 2>&1; echo "push exit $?"',
                description: 'Commit and push',
              },
            },
          ],
        },
        {
          content: [
            { type: 'text', text: 'Added hello.txt; the tests pass and the branch is pushed.' },
          ],
        },
      ],
    });
    events = await waitForTurns(id, 1);
  }, 300_000);

  it('provisions in order and runs the agent to the end of its turn', () => {
    const statuses = events
      .filter((e) => e.type === 'session.status')
      .map((e) => `${String(e.data.status)}${e.data.subStep ? `/${e.data.subStep}` : ''}`);
    expect(statuses).toEqual([
      'queued',
      'provisioning/sandbox',
      'provisioning/clone',
      'provisioning/agent',
      'running',
      'idle',
    ]);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    const toolResults = events
      .filter((e) => e.type === 'tool.result')
      .map((e) => String(e.data.output));
    expect(toolResults[1]).toContain('1 test passed');
    expect(toolResults[2]).toContain('push exit 0');
    expect(events.find((e) => e.type === 'turn.result')?.data).toMatchObject({ isError: false });
  });

  it('pushed the commit to the session branch of the repo Hangar keeps', async () => {
    const { json: session } = await api<SessionJson>('GET', `/sessions/${id}`);
    expect(session.branch).toMatch(/^hangar\/add-hello-txt-and-make-the-tests-pass-[0-9a-z]{6}$/);
    const bare = join(env.HANGAR_DATA_DIR ?? '', 'sessions', id, 'repo.git');
    expect(git(bare, 'log', '-1', '--format=%s', session.branch ?? '')).toBe('Add hello.txt');
    expect(git(bare, 'show', `${session.branch ?? ''}:hello.txt`)).toBe('hello');
  });

  it('shows the change in the diff', async () => {
    const { json } = await api<{ diff: string; files: number; additions: number }>(
      'GET',
      `/sessions/${id}/diff`,
    );
    expect(json).toMatchObject({ files: 1, additions: 1 });
    expect(json.diff).toContain('+++ b/hello.txt');
    expect(json.diff).toContain('+hello');
  });

  it('streams the same events over SSE, resuming from Last-Event-ID', async () => {
    const res = await fetch(`${server.url}/api/v1/sessions/${id}/events`, {
      headers: {
        authorization: `Bearer ${token}`,
        accept: 'text/event-stream',
        'last-event-id': '3',
      },
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = (res.body as ReadableStream<Uint8Array> | null)?.getReader();
    let text = '';
    while (reader && (text.match(/^id: /gm)?.length ?? 0) < events.length - 3) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    await reader?.cancel();
    const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    expect(ids).toEqual(events.slice(3).map((e) => e.seq));
  });

  it('never lets the real API key into the sandbox, while the model API gets it', () => {
    const agentRequests = model.agentRequests();
    expect(agentRequests.at(-1)?.headers['x-api-key']).toBe(REAL_KEY);
    expect(JSON.stringify(events)).not.toContain(REAL_KEY);
  });

  it('continues the same conversation on a follow-up', async () => {
    model.setScript({
      replies: [
        {
          content: [
            {
              type: 'tool_use',
              name: 'Bash',
              input: {
                command:
                  'env | grep -c ANTHROPIC_API_KEY=sk-ant || true; cat /proc/*/environ 2>/dev/null | tr "\\0" "\\n" | grep -c sk-ant-real || true',
                description: 'look for the key',
              },
            },
          ],
        },
        { content: [{ type: 'text', text: 'Follow-up done.' }] },
      ],
    });
    const before = model.agentRequests().length;
    const { status, json } = await api<{ queued: boolean }>('POST', `/sessions/${id}/messages`, {
      text: 'now check the key',
    });
    expect(status).toBe(202);
    expect(json.queued).toBe(false);
    const after = await waitForTurns(id, 2);
    const followUp = model.agentRequests()[before];
    // The model sees the first turn's messages again: the conversation was resumed.
    expect(JSON.stringify(followUp?.body)).toContain('add hello.txt and make the tests pass');
    expect(JSON.stringify(followUp?.body)).toContain('now check the key');
    const lastResult = after.filter((e) => e.type === 'tool.result').at(-1);
    expect(String(lastResult?.data.output).trim()).toBe('0\n0');
  });
});

describe('environments in sessions', () => {
  it('runs the setup script as root with the env vars, and fails the session when it fails', async () => {
    const envId = await createEnvironment({
      name: 'failing setup',
      envVars: 'GREETING="hi there"\n',
      setupScript: 'echo "greeting=$GREETING as $(id -u)"\necho "about to fail" >&2\nexit 3\n',
    });
    const id = await startSession({ replies: [] }, { environmentId: envId });
    const session = await waitFor(id, ['failed']);
    expect(session.failureReason).toMatch(/setup script exited with code 3/);
    expect(session.failureReason).toContain('about to fail');
    const events = await allEvents(id);
    const output = events
      .filter((e) => e.type === 'setup.output')
      .map((e) => String(e.data.text))
      .join('');
    expect(output).toContain('greeting="hi there" as 0');
    const { status } = await api('POST', `/sessions/${id}/messages`, { text: 'hello?' });
    expect(status).toBe(409);
  });
});

describe('bad input', () => {
  it('refuses bad session requests with the field named, never leaving a session queued', async () => {
    const bundleId = await uploadBundle();
    const cases: [unknown, number, RegExp][] = [
      [{ source: { type: 'bundle', bundleId } }, 400, /prompt/],
      [
        { prompt: 'x', source: { type: 'bundle', bundleId: 'bun_nope' } },
        400,
        /source.bundleId: no bundle/,
      ],
      [
        { prompt: 'x', source: { type: 'bundle', bundleId, branch: 'nope' } },
        400,
        /source.branch: the bundle has no branch "nope"/,
      ],
      [{ prompt: 'x', source: { type: 'git', url: 'ftp://example.com/r.git' } }, 400, /source.url/],
      [
        { prompt: 'x', source: { type: 'git', url: 'http://127.0.0.1:9/r.git' } },
        400,
        /source.url: cannot read/,
      ],
      [
        { prompt: 'x', source: { type: 'git', url: 'https://user:pw@example.com/r.git' } },
        400,
        /no credentials/,
      ],
      [
        { prompt: 'x', source: { type: 'bundle', bundleId }, environmentId: 'env_nope' },
        400,
        /environmentId/,
      ],
      [{ prompt: 'x', source: { type: 'bundle', bundleId }, agent: 'codex' }, 400, /agent/],
      [{ prompt: 'x', source: { type: 'svn', url: 'x' } }, 400, /source/],
      ['{"prompt": ', 400, /not valid JSON/],
    ];
    const before = (await api<{ sessions: unknown[] }>('GET', '/sessions?archived=true')).json
      .sessions.length;
    for (const [body, status, message] of cases) {
      const res = await api<{ error: { message: string } }>('POST', '/sessions', body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.json.error.message).toMatch(message);
    }
    const after = (await api<{ sessions: unknown[] }>('GET', '/sessions?archived=true')).json
      .sessions.length;
    expect(after).toBe(before);

    const archived = await createEnvironment({ name: 'old one' });
    await api('POST', `/environments/${archived}/archive`);
    const res = await api<{ error: { message: string } }>('POST', '/sessions', {
      prompt: 'x',
      source: { type: 'bundle', bundleId },
      environmentId: archived,
    });
    expect(res.status).toBe(400);
    expect(res.json.error.message).toMatch(/archived/);
  });

  it('answers 404 for an unknown session on every route', async () => {
    for (const [method, path, body] of [
      ['GET', '/sessions/ses_nope', undefined],
      ['GET', '/sessions/ses_nope/events', undefined],
      ['GET', '/sessions/ses_nope/diff', undefined],
      ['POST', '/sessions/ses_nope/messages', { text: 'hi' }],
      ['POST', '/sessions/ses_nope/interrupt', undefined],
      ['POST', '/sessions/ses_nope/archive', undefined],
      ['DELETE', '/sessions/ses_nope', undefined],
    ] as const) {
      const res = await api<{ error: { code: string } }>(method, path, body);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.json.error.code).toBe('not_found');
    }
    const badSeq = await api('GET', '/sessions/ses_nope/events?after=-1');
    expect(badSeq.status).toBe(400);
    const empty = await api('POST', '/sessions/ses_nope/messages', { text: '' });
    expect(empty.status).toBe(400);
  });
});
