import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bashCall, say, startModelServer, type ModelServer } from '../../fixtures/model-server.js';
import { runHangar } from './hangar.js';
import { git, makeRepo, REAL_KEY, REAL_OPENAI_KEY, Stack, type EventJson } from './stack.js';

/**
 * The same session for every agent: the real `hangar serve`, real sandboxes and the
 * real agent binaries against the scripted model server. A prompt becomes shell calls
 * in the sandbox, a pushed branch and a diff; a follow-up resumes the same
 * conversation; teleport prints the agent's own command to continue it. Each agent's
 * model key stays on the host.
 */

let model: ModelServer;
let stack: Stack;
let repo: string;

beforeAll(async () => {
  model = await startModelServer({ script: { replies: [] } });
  repo = makeRepo('demo', {
    'test.sh': '#!/bin/sh\ntest "$(cat hello.txt)" = hello && echo "1 test passed"\n',
  });
  stack = await Stack.start(model);
}, 900_000);

afterAll(async () => {
  await stack.server.stop();
  await model.close();
});

const cli = (cwd: string, ...args: string[]) =>
  runHangar(
    args,
    { ...stack.env, HANGAR_SERVER: stack.server.url, HANGAR_TOKEN: stack.token },
    undefined,
    cwd,
  );

/**
 * A bash command that counts, per real key the server holds, where a sandbox could
 * find it: its environment, every process's environ and argv, and its files. The key
 * is written in two halves and joined in an unexported variable, fed to grep through
 * a pipe: the hunt itself (its argv, the conversation) never holds it whole.
 */
const HUNT = [REAL_KEY, REAL_OPENAI_KEY]
  .map((key) => {
    const half = Math.floor(key.length / 2);
    return [
      `a='${key.slice(0, half)}'; b='${key.slice(half)}'; k="$a$b"`,
      `{ env; cat /proc/*/environ /proc/*/cmdline 2>/dev/null | tr "\\0" "\\n"; grep -rhsF -f <(printf '%s\\n' "$k") "$HOME" /tmp 2>/dev/null; } | grep -cF -f <(printf '%s\\n' "$k") || true`,
    ].join('; ');
  })
  .join('; ');

/**
 * A directory whose `claude`, `codex` and `opencode` each append their name, argv and
 * working directory to `log`: the person's own agent, for `teleport --exec` to run
 * (the real ones want a terminal).
 */
function recordingAgents(log: string): string {
  const bin = mkdtempSync(join(tmpdir(), 'hangar-local-agents-'));
  for (const name of ['claude', 'codex', 'opencode']) {
    const file = join(bin, name);
    writeFileSync(file, `#!/bin/sh\necho "${name} $* in $(pwd)" >> '${log}'\n`);
    chmodSync(file, 0o755);
  }
  return bin;
}

const cases = [
  {
    agent: 'claude-code',
    model: undefined,
    api: '/v1/messages',
    continues: /claude --resume \S+/,
    execs: (id: string) => [`claude --resume ${id}`],
  },
  {
    agent: 'codex',
    model: 'gpt-5.5',
    api: '/v1/responses',
    continues: /codex resume \S+/,
    execs: (id: string) => [`codex resume ${id}`],
  },
  {
    agent: 'opencode',
    model: 'openai/gpt-5.5',
    api: '/v1/responses',
    continues: /opencode import \S+\.json && opencode --session ses_\S+/,
    execs: (id: string) => [
      expect.stringMatching(new RegExp(`^opencode import \\S+/${id}\\.json$`)) as unknown,
      `opencode --session ${id}`,
    ],
  },
];

describe.each(cases)('a session with $agent', { timeout: 600_000 }, (agentCase) => {
  let id = '';
  let events: EventJson[] = [];
  let firstRequest = 0;

  beforeAll(async () => {
    firstRequest = model.agentRequests().length;
    id = await stack.startSession(
      repo,
      {
        replies: [
          {
            content: [
              { type: 'text', text: 'Adding the file.' },
              bashCall('echo hello > hello.txt && sh test.sh'),
            ],
          },
          {
            content: [
              bashCall(
                'git add hello.txt && git commit -q -m "Add hello.txt" && git push -q origin HEAD 2>&1; echo "push exit $?"',
                'Commit and push',
              ),
            ],
          },
          say('Added hello.txt; the test passes and the branch is pushed.'),
        ],
      },
      { agent: agentCase.agent, ...(agentCase.model ? { model: agentCase.model } : {}) },
    );
    events = await stack.waitForTurns(id, 1);
  }, 600_000);

  it('runs the shell calls in the sandbox and ends its turn', () => {
    const calls = events.filter((e) => e.type === 'tool.call');
    const results = events.filter((e) => e.type === 'tool.result').map((e) => e.data.output);
    expect(calls).toHaveLength(2);
    expect(results[0]).toContain('1 test passed');
    expect(results[1]).toContain('push exit 0');
    expect(events.filter((e) => e.type === 'message.assistant').map((e) => e.data.text)).toEqual([
      'Adding the file.',
      'Added hello.txt; the test passes and the branch is pushed.',
    ]);
    expect(events.find((e) => e.type === 'turn.result')?.data).toMatchObject({ isError: false });
    // What the agent did went through its own model API, via the gateway.
    const turns = model.agentRequests().slice(firstRequest);
    expect(turns.length).toBeGreaterThanOrEqual(3);
    expect(turns.every((r) => r.path.startsWith(agentCase.api))).toBe(true);
  });

  it('pushed the branch, and the diff shows the change', async () => {
    const session = await stack.session(id);
    const bare = join(stack.dataDir, 'sessions', id, 'repo.git');
    expect(git(bare, 'log', '-1', '--format=%s', session.branch ?? '')).toBe('Add hello.txt');
    const { json } = await stack.api<{ diff: string; files: number }>(
      'GET',
      `/sessions/${id}/diff`,
    );
    expect(json.files).toBe(1);
    expect(json.diff).toContain('+hello');
    const usage = await stack.api<{ session: { requests: number } }>(
      'GET',
      `/sessions/${id}/usage`,
    );
    expect(usage.json.session.requests).toBeGreaterThanOrEqual(3);
  });

  it('resumes the same conversation on a follow-up, with no real key in the sandbox', async () => {
    const before = model.agentRequests().length;
    const { agentSessionId } = await stack.session(id);
    expect(agentSessionId).toBeTruthy();
    model.setScript({
      replies: [{ content: [bashCall(HUNT, 'look for the keys')] }, say('Follow-up done.')],
    });
    const sent = await stack.api('POST', `/sessions/${id}/messages`, {
      text: 'now look for the keys',
    });
    expect(sent.status).toBe(202);
    const after = await stack.waitForTurns(id, 2);
    const followUp = JSON.stringify(model.agentRequests()[before]?.body);
    // The model sees the first turn again: the agent resumed its conversation.
    expect(followUp).toContain('add hello.txt and make the tests pass');
    expect(followUp).toContain('push exit 0');
    expect(followUp).toContain('now look for the keys');
    expect((await stack.session(id)).agentSessionId).toBe(agentSessionId);
    const hunted = after.filter((e) => e.type === 'tool.result').at(-1)?.data.output ?? '';
    expect(hunted.trim().split('\n')).toEqual(['0', '0']);
    for (const key of [REAL_KEY, REAL_OPENAI_KEY]) expect(JSON.stringify(after)).not.toContain(key);
  });

  it("teleport brings the branch back and prints the agent's own command", async () => {
    const local = join(mkdtempSync(join(tmpdir(), 'hangar-agents-local-')), 'demo');
    execFileSync('git', ['clone', '-q', repo, local]);
    const result = await cli(local, 'teleport', id);
    expect(result.code, result.stderr).toBe(0);
    expect(readFileSync(join(local, 'hello.txt'), 'utf8')).toBe('hello\n');
    expect(result.stdout).toMatch(agentCase.continues);
    const file = /Conversation written to (\S+)/.exec(result.stdout)?.[1] ?? '';
    expect(existsSync(file)).toBe(true);
    const { agentSessionId } = await stack.session(id);
    expect(file).toContain(agentSessionId ?? 'none');
    // The sandbox's repo path is this clone's in what was handed over.
    expect(readFileSync(file, 'utf8')).not.toContain('/home/user/demo');
  });

  it("teleport --exec runs the agent's own command in the checkout", async () => {
    const local = join(mkdtempSync(join(tmpdir(), 'hangar-agents-exec-')), 'demo');
    execFileSync('git', ['clone', '-q', repo, local]);
    const log = join(local, '..', 'agent.log');
    const env = { ...stack.env, HANGAR_SERVER: stack.server.url, HANGAR_TOKEN: stack.token };
    const result = await runHangar(
      ['teleport', id, '--exec'],
      { ...env, PATH: `${recordingAgents(log)}:${stack.env.PATH ?? ''}` },
      undefined,
      local,
    );
    expect(result.code, result.stderr).toBe(0);
    const { agentSessionId } = await stack.session(id);
    const ran = readFileSync(log, 'utf8').trim().split('\n');
    expect(ran.map((line) => line.replace(/ in \S+$/, ''))).toEqual(
      agentCase.execs(agentSessionId ?? 'none'),
    );
    expect(ran.every((line) => line.endsWith(` in ${local}`))).toBe(true);
  });
});
