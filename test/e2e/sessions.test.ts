import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bashCall, say, startModelServer, type ModelServer } from '../../fixtures/model-server.js';
import { startGitHost, type GitHost } from './git-host.js';
import { runHangar } from './hangar.js';
import { git, makeRepo, REAL_KEY, Stack, type EventJson, type SessionJson } from './stack.js';

/**
 * Sessions end to end: the real `hangar serve`, real sandboxes, the real `claude`
 * binary, against the scripted model server. Runs as root (sandboxes need it).
 */

let model: ModelServer;
let stack: Stack;
let repo: string;

beforeAll(async () => {
  model = await startModelServer({ script: { replies: [] } });
  repo = makeDemoRepo();
  stack = await Stack.start(model);
}, 600_000);

afterAll(async () => {
  await stack.server.stop();
  await model.close();
});

/** A small repo: a test script and a SessionStart hook that exports a variable. */
function makeDemoRepo(): string {
  const hook = (matcher: string) => ({
    matcher,
    hooks: [
      {
        type: 'command',
        command: `echo "export HOOK_SOURCE=${matcher}-$CLAUDE_CODE_REMOTE" >> "$CLAUDE_ENV_FILE"`,
      },
    ],
  });
  return makeRepo('demo', {
    'test.sh': '#!/bin/sh\ntest "$(cat hello.txt)" = hello && echo "1 test passed"\n',
    'README.md': '# demo\n',
    '.claude/settings.json': JSON.stringify(
      { hooks: { SessionStart: [hook('startup'), hook('resume')] } },
      null,
      2,
    ),
  });
}

describe('a session on a bundle', () => {
  let id: string;
  let events: EventJson[];

  beforeAll(async () => {
    id = await stack.startSession(repo, {
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
          content: [bashCall('sh test.sh; echo "hook=$HOOK_SOURCE"', 'Run the tests')],
        },
        {
          content: [
            bashCall(
              'git add hello.txt && git commit -q -m "Add hello.txt" && git push -q origin HEAD 2>&1; echo "push exit $?"',
              'Commit and push',
            ),
          ],
        },
        say('Added hello.txt; the tests pass and the branch is pushed.'),
      ],
    });
    events = await stack.waitForTurns(id, 1);
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
    // The repo's SessionStart hook ran (as on startup) and its CLAUDE_ENV_FILE export reached Bash.
    expect(toolResults[1]).toContain('hook=startup-true');
    expect(toolResults[2]).toContain('push exit 0');
    expect(events.find((e) => e.type === 'turn.result')?.data).toMatchObject({ isError: false });
  });

  it('pushed the commit to the session branch of the repo Hangar keeps', async () => {
    const { json: session } = await stack.api<SessionJson>('GET', `/sessions/${id}`);
    expect(session.branch).toMatch(/^hangar\/add-hello-txt-and-make-the-tests-pass-[0-9a-z]{6}$/);
    const bare = join(stack.dataDir, 'sessions', id, 'repo.git');
    expect(git(bare, 'log', '-1', '--format=%s', session.branch ?? '')).toBe('Add hello.txt');
    expect(git(bare, 'show', `${session.branch ?? ''}:hello.txt`)).toBe('hello');
  });

  it('shows the change in the diff', async () => {
    const { json } = await stack.api<{ diff: string; files: number; additions: number }>(
      'GET',
      `/sessions/${id}/diff`,
    );
    expect(json).toMatchObject({ files: 1, additions: 1 });
    expect(json.diff).toContain('+++ b/hello.txt');
    expect(json.diff).toContain('+hello');
  });

  it('streams the same events over SSE, resuming from Last-Event-ID', async () => {
    const res = await fetch(`${stack.server.url}/api/v1/sessions/${id}/events`, {
      headers: {
        authorization: `Bearer ${stack.token}`,
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
            bashCall(
              'env | grep -c ANTHROPIC_API_KEY=sk-ant || true; cat /proc/*/environ 2>/dev/null | tr "\\0" "\\n" | grep -c sk-ant-real || true',
              'look for the key',
            ),
          ],
        },
        say('Follow-up done.'),
      ],
    });
    const before = model.agentRequests().length;
    const { status, json } = await stack.api<{ queued: boolean }>(
      'POST',
      `/sessions/${id}/messages`,
      {
        text: 'now check the key',
      },
    );
    expect(status).toBe(202);
    expect(json.queued).toBe(false);
    const after = await stack.waitForTurns(id, 2);
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
    const envId = await stack.createEnvironment({
      name: 'failing setup',
      envVars: 'GREETING="hi there"\n',
      setupScript: 'echo "greeting=$GREETING as $(id -u)"\necho "about to fail" >&2\nexit 3\n',
    });
    const id = await stack.startSession(repo, { replies: [] }, { environmentId: envId });
    const session = await stack.waitForStatus(id, ['failed']);
    expect(session.failureReason).toMatch(/setup script exited with code 3/);
    expect(session.failureReason).toContain('about to fail');
    const events = await stack.events(id);
    const output = events
      .filter((e) => e.type === 'setup.output')
      .map((e) => String(e.data.text))
      .join('');
    expect(output).toContain('greeting="hi there" as 0');
    const { status } = await stack.api('POST', `/sessions/${id}/messages`, { text: 'hello?' });
    expect(status).toBe(409);
  });
});

describe('bad input', () => {
  it('refuses bad session requests with the field named, never leaving a session queued', async () => {
    const bundleId = await stack.uploadBundle(repo);
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
      [{ prompt: 'x', source: { type: 'bundle', bundleId }, agent: 'aider' }, 400, /agent/],
      [{ prompt: 'x', source: { type: 'svn', url: 'x' } }, 400, /source/],
      ['{"prompt": ', 400, /not valid JSON/],
    ];
    const before = (await stack.api<{ sessions: unknown[] }>('GET', '/sessions?archived=true')).json
      .sessions.length;
    for (const [body, status, message] of cases) {
      const res = await stack.api<{ error: { message: string } }>('POST', '/sessions', body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.json.error.message).toMatch(message);
    }
    const after = (await stack.api<{ sessions: unknown[] }>('GET', '/sessions?archived=true')).json
      .sessions.length;
    expect(after).toBe(before);

    const archived = await stack.createEnvironment({ name: 'old one' });
    await stack.api('POST', `/environments/${archived}/archive`);
    const res = await stack.api<{ error: { message: string } }>('POST', '/sessions', {
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
      const res = await stack.api<{ error: { code: string } }>(method, path, body);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.json.error.code).toBe('not_found');
    }
    const badSeq = await stack.api('GET', '/sessions/ses_nope/events?after=-1');
    expect(badSeq.status).toBe(400);
    const empty = await stack.api('POST', '/sessions/ses_nope/messages', { text: '' });
    expect(empty.status).toBe(400);
  });
});

describe('network policy in sessions', { timeout: 120_000 }, () => {
  it('refuses what the environment does not allow and records it as network.blocked', async () => {
    const envId = await stack.createEnvironment({ name: 'offline', networkLevel: 'none' });
    const id = await stack.startSession(
      repo,
      {
        replies: [
          {
            content: [
              bashCall('curl -s -o /dev/null -w "%{http_code}" http://example.com/; echo', 'fetch'),
            ],
          },
          say('It is blocked.'),
        ],
      },
      { environmentId: envId },
    );
    const events = await stack.waitForTurns(id, 1);
    const result = events.filter((e) => e.type === 'tool.result').at(-1);
    expect(result?.data.output?.trim()).toBe('403');
    expect(events.find((e) => e.type === 'network.blocked')?.data).toMatchObject({
      host: 'example.com',
      port: 80,
    });
  });
});

describe('hibernation, interruption, crash recovery and deletion', { timeout: 180_000 }, () => {
  let quick: Stack;

  beforeAll(async () => {
    quick = await Stack.start(model, { HANGAR_HIBERNATE_SECONDS: '3' });
  }, 120_000);
  afterAll(async () => {
    await quick.server.stop();
  });

  const bash = (command: string) => ({ content: [bashCall(command)] });

  it('hibernates an idle session and resumes it on a message, without re-running setup', async () => {
    const envId = await quick.createEnvironment({
      name: 'counted',
      setupScript: 'echo ran >> /home/user/setup-runs\n',
    });
    const id = await quick.startSession(
      repo,
      { replies: [say('ready')] },
      { environmentId: envId },
    );
    await quick.waitForTurns(id, 1);
    await quick.waitForStatus(id, ['hibernated'], 30_000);

    model.setScript({
      replies: [bash('cat /home/user/setup-runs; echo "hook=$HOOK_SOURCE"'), say('resumed')],
    });
    const sent = await quick.api<{ queued: boolean }>('POST', `/sessions/${id}/messages`, {
      text: 'continue',
    });
    expect(sent.status).toBe(202);
    const events = await quick.waitForTurns(id, 2);
    const output = events.filter((e) => e.type === 'tool.result').at(-1)?.data.output ?? '';
    expect(output.split('\n')).toEqual(['ran', 'hook=resume-true']);
    const statuses = events.filter((e) => e.type === 'session.status').map((e) => e.data);
    expect(statuses.filter((s) => s.status === 'hibernated').length).toBeGreaterThanOrEqual(1);
    expect(statuses.filter((s) => s.subStep === 'setup')).toHaveLength(1);
  });

  it('interrupts a running turn and takes the next message', async () => {
    const id = await quick.startSession(repo, {
      replies: [
        bash('i=0; while [ $i -lt 120 ]; do i=$((i+1)); sleep 1; done; echo finished'),
        say('never'),
      ],
    });
    await quick.waitForEvents(id, (events) => events.some((e) => e.type === 'tool.call'));
    const res = await quick.api<{ interrupted: boolean }>('POST', `/sessions/${id}/interrupt`);
    expect(res.json.interrupted).toBe(true);
    const events = await quick.waitForTurns(id, 1);
    expect(events.find((e) => e.type === 'turn.result')?.data.interrupted).toBe(true);

    model.setScript({ replies: [say('after the interrupt')] });
    await quick.api('POST', `/sessions/${id}/messages`, { text: 'go on' });
    const after = await quick.waitForTurns(id, 2);
    expect(after.filter((e) => e.type === 'message.assistant').at(-1)?.data.text).toBe(
      'after the interrupt',
    );
  });

  it('recovers from kill -9 mid-turn: nothing stored is lost, the session takes a new message', async () => {
    const id = await quick.startSession(repo, {
      replies: [
        bash('i=0; while [ $i -lt 120 ]; do i=$((i+1)); sleep 1; done; echo finished'),
        say('never'),
      ],
    });
    const before = await quick.waitForEvents(id, (events) =>
      events.some((e) => e.type === 'tool.call'),
    );
    quick.server.child.kill('SIGKILL');
    await new Promise((resolve) => quick.server.child.once('exit', resolve));
    await quick.restart();

    const recovered = await quick.waitForStatus(id, ['hibernated']);
    expect(recovered.status).toBe('hibernated');
    const events = await quick.events(id);
    expect(events.slice(0, before.length)).toEqual(before);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.filter((e) => e.type === 'turn.result').at(-1)?.data).toMatchObject({
      interrupted: true,
    });

    model.setScript({ replies: [say('back again')] });
    await quick.api('POST', `/sessions/${id}/messages`, { text: 'are you there?' });
    const after = await quick.waitForTurns(id, 2);
    const last = after.filter((e) => e.type === 'message.assistant').at(-1);
    expect(last?.data.text, JSON.stringify(after.slice(-6))).toBe('back again');
  });

  it('archives a session out of the list, and deletes one with its sandbox and data', async () => {
    const id = await quick.startSession(repo, { replies: [say('short')] });
    await quick.waitForTurns(id, 1);
    const { json: session } = await quick.api<SessionJson & { archived: boolean }>(
      'POST',
      `/sessions/${id}/archive`,
    );
    expect(session.archived).toBe(true);
    const live = await quick.api<{ sessions: { id: string }[] }>('GET', '/sessions');
    expect(live.json.sessions.map((s) => s.id)).not.toContain(id);
    const all = await quick.api<{ sessions: { id: string }[] }>('GET', '/sessions?archived=true');
    expect(all.json.sessions.map((s) => s.id)).toContain(id);

    const sandboxes = () =>
      execFileSync('ls', [join(quick.dataDir, 'sandboxes')], { encoding: 'utf8' })
        .split('\n')
        .filter(Boolean);
    const sandboxesBefore = sandboxes().length;
    const deleted = await quick.api('DELETE', `/sessions/${id}`);
    expect(deleted.status).toBe(200);
    expect((await quick.api('GET', `/sessions/${id}`)).status).toBe(404);
    expect((await quick.api('GET', `/sessions/${id}/events`)).status).toBe(404);
    expect(existsSync(join(quick.dataDir, 'sessions', id))).toBe(false);
    expect(sandboxes().length).toBe(sandboxesBefore - 1);
  });
});

describe('a session on a git URL', { timeout: 120_000 }, () => {
  let upstream: GitHost;
  let url: string;

  beforeAll(async () => {
    upstream = await startGitHost(repo);
    url = upstream.url;
  });
  afterAll(() => {
    upstream.close();
  });

  it('clones the branch (the remote HEAD by default) and pushes the session branch upstream', async () => {
    model.setScript({
      replies: [
        {
          content: [
            bashCall(
              'echo hello > hello.txt && git add hello.txt && git commit -qm "From the URL session" && git push -q origin HEAD 2>&1; echo "push $?"; git push -q origin HEAD:main 2>&1; echo "main $?"',
              'commit and push',
            ),
          ],
        },
        say('pushed'),
      ],
    });
    const created = await stack.api<{ id: string; branch: string }>('POST', '/sessions', {
      prompt: 'say hello',
      source: { type: 'git', url },
    });
    expect(created.status).toBe(201);
    const events = await stack.waitForTurns(created.json.id, 1);
    const output = events.filter((e) => e.type === 'tool.result').at(-1)?.data.output ?? '';
    expect(output).toContain('push 0');
    // Any other ref is refused by the git proxy, with its reason shown by git.
    expect(output).toMatch(/main 1/);
    expect(output).toMatch(/Hangar refused this push/);
    const bare = upstream.bare;
    expect(git(bare, 'log', '-1', '--format=%s', created.json.branch)).toBe('From the URL session');
    expect(git(bare, 'log', '-1', '--format=%s', 'main')).toBe('initial');
    const { json } = await stack.api<SessionJson & { repo: string }>(
      'GET',
      `/sessions/${created.json.id}`,
    );
    expect(json.repo).toBe('demo');
  });

  it('refuses a branch the remote does not have', async () => {
    const res = await stack.api<{ error: { message: string } }>('POST', '/sessions', {
      prompt: 'x',
      source: { type: 'git', url, branch: 'nope' },
    });
    expect(res.status).toBe(400);
    expect(res.json.error.message).toMatch(/source.branch: there is no branch "nope"/);
  });
});

describe('the session commands of the CLI', { timeout: 120_000 }, () => {
  it('prints the transcript, sends a follow-up, archives, and deletes only when confirmed', async () => {
    const id = await stack.startSession(repo, {
      replies: [
        {
          content: [bashCall('echo from-bash', 'say')],
        },
        say('First answer.'),
      ],
    });
    await stack.waitForTurns(id, 1);
    const env = { ...stack.env, HANGAR_SERVER: stack.server.url, HANGAR_TOKEN: stack.token };
    const hangar = (...args: string[]) => runHangar(args, env);

    const logs = await hangar('logs', id);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toContain('> add hello.txt and make the tests pass');
    expect(logs.stdout).toMatch(/^⏺ Bash\(echo from-bash\)$/m);
    expect(logs.stdout).toContain('⎿ from-bash');
    expect(logs.stdout).toContain('First answer.');
    expect(logs.stdout).toMatch(/^— turn done/m);

    model.setScript({ replies: [say('Second answer.')] });
    const sent = await hangar('send', id, 'one', 'more', 'thing');
    expect(sent.stdout).toMatch(/Sent|Queued/);
    await stack.waitForTurns(id, 2);
    const json = await hangar('logs', id, '--json');
    const types = json.stdout
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as EventJson).type);
    expect(types.filter((t) => t === 'turn.result')).toHaveLength(2);
    expect(json.stdout).toContain('one more thing');

    expect((await hangar('archive', id)).stdout).toMatch(/Archived/);
    const refused = await hangar('delete', id);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/permanent: add --yes/);
    expect((await stack.session(id)).id).toBe(id);
    expect((await hangar('delete', id, '--yes')).stdout).toMatch(/Deleted/);
    const gone = await hangar('logs', id);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/No session with id/);
  });
});
