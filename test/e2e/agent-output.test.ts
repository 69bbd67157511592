import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { say, startModelServer, type ModelServer } from '../../fixtures/model-server.js';
import { makeRepo, sessionStartHook, Stack, type EventJson } from './stack.js';

/**
 * What the agent says besides its answers, end to end: the real `hangar serve`, a real
 * sandbox and the real `claude` against the scripted model server. The repo's
 * SessionStart hook prints to the transcript; `/context` and `/compact` sent as
 * messages are run by Claude Code itself; `/clear` is refused before it reaches it.
 */

let model: ModelServer;
let stack: Stack;
let repo: string;

beforeAll(async () => {
  model = await startModelServer({ script: { replies: [] } });
  // The repo's SessionStart hook says what it did, on stdout and stderr.
  repo = makeRepo('hooked', {
    'README.md': '# hooked\n',
    ...sessionStartHook(
      'echo "deps ready (remote=$CLAUDE_CODE_REMOTE)"; echo "using the cached registry" >&2',
    ),
  });
  stack = await Stack.start(model);
}, 600_000);

afterAll(async () => {
  await stack.server.stop();
  await model.close();
});

/** The events of `type` among `events`, with their data as the test reads it. */
function ofType(events: EventJson[], type: string): Record<string, unknown>[] {
  return events.filter((e) => e.type === type).map((e) => e.data as Record<string, unknown>);
}

async function send(id: string, text: string): Promise<{ status: number; json: unknown }> {
  return stack.api('POST', `/sessions/${id}/messages`, { text });
}

describe('the agent beyond its answers', () => {
  let id: string;
  let events: EventJson[];

  beforeAll(async () => {
    id = await stack.startSession(repo, {
      replies: [say('Hello.'), say('Picking up after the compaction.')],
      compactSummary: 'The user greeted the agent; a greeting was returned.',
    });
    events = await stack.waitForTurns(id, 1);
  }, 300_000);

  it("shows the repo's SessionStart hook output, under the hook's name", () => {
    const hooks = ofType(events, 'hook.output');
    expect(hooks).toHaveLength(1);
    expect(hooks[0]).toMatchObject({ hook: 'SessionStart:startup', isError: false, exitCode: 0 });
    expect(hooks[0]?.text).toContain('deps ready (remote=true)');
    expect(hooks[0]?.text).toContain('using the cached registry');
  });

  it('answers /context itself, without a model turn, and the transcript shows it', async () => {
    const turns = model.agentRequests().length;
    expect((await send(id, '/context')).status).toBe(202);
    events = await stack.waitForTurns(id, 2);
    const answer = ofType(events, 'message.assistant').at(-1);
    expect(answer?.text).toMatch(/Context Usage/);
    expect(answer?.text).toMatch(/Tokens:/);
    expect(model.agentRequests()).toHaveLength(turns);
    // It cost nothing: the turn's cost, not the conversation's so far.
    expect(ofType(events, 'turn.result').at(-1)).toMatchObject({ isError: false, costUsd: 0 });
  });

  it('compacts on /compact: the transcript marks it, and the next turn has the summary', async () => {
    const compactions = model.compactionRequests().length;
    const conversation = (await stack.session(id)).agentSessionId;
    expect(conversation).toMatch(/^[0-9a-f-]{36}$/);
    expect((await send(id, '/compact')).status).toBe(202);
    events = await stack.waitForTurns(id, 3);
    expect(model.compactionRequests()).toHaveLength(compactions + 1);
    const compacted = ofType(events, 'context.compacted');
    expect(compacted).toHaveLength(1);
    expect(compacted[0]).toMatchObject({ trigger: 'manual' });
    expect(Number(compacted[0]?.postTokens)).toBeLessThan(Number(compacted[0]?.preTokens));
    // The hook runs again after a compaction, and says so.
    expect(ofType(events, 'hook.output').map((h) => h.hook)).toContain('SessionStart:compact');

    expect((await send(id, 'what now?')).status).toBe(202);
    events = await stack.waitForTurns(id, 4);
    expect(ofType(events, 'message.assistant').at(-1)?.text).toBe(
      'Picking up after the compaction.',
    );
    const request = JSON.stringify(model.agentRequests().at(-1)?.body);
    expect(request).toContain('The user greeted the agent; a greeting was returned.');
    expect(request).toContain('what now?');
    // Still the session's one conversation.
    expect((await stack.session(id)).agentSessionId).toBe(conversation);
  });

  it('refuses /clear at once with the reason, and the session goes on', async () => {
    const before = await stack.session(id);
    const { status, json } = await send(id, '/clear');
    expect(status).toBe(400);
    expect(json).toMatchObject({
      error: {
        code: 'message_refused',
        message: expect.stringMatching(/new conversation.*start a new session instead/) as unknown,
      },
    });
    expect(ofType(await stack.events(id), 'message.user').map((m) => m.text)).not.toContain(
      '/clear',
    );
    expect((await stack.session(id)).agentSessionId).toBe(before.agentSessionId);
  });

  it('refuses /clear as the first prompt, starting no session', async () => {
    const bundleId = await stack.uploadBundle(repo);
    const { status, json } = await stack.api<{ error: { code: string; message: string } }>(
      'POST',
      '/sessions',
      { prompt: '/clear', source: { type: 'bundle', bundleId } },
    );
    expect(status).toBe(400);
    expect(json.error.code).toBe('message_refused');
    expect(json.error.message).toMatch(/^prompt: \/clear would start a new conversation/);
  });
});

describe('compaction the agent starts itself', () => {
  it('shows it when the context fills, as the environment sets the threshold', async () => {
    // 1 % of the window: a conversation compacts once it has turns enough to summarise.
    const environmentId = await stack.createEnvironment({
      name: 'compacts early',
      envVars: 'CLAUDE_AUTOCOMPACT_PCT_OVERRIDE=1\n',
    });
    const id = await stack.startSession(repo, { replies: [] }, { environmentId });
    let events = await stack.waitForTurns(id, 1);
    // Bounded: it needs a few turns to have something to summarise.
    for (let turn = 2; turn <= 8 && ofType(events, 'context.compacted').length === 0; turn++) {
      expect((await send(id, `step ${turn}`)).status).toBe(202);
      events = await stack.waitForTurns(id, turn);
    }
    expect(ofType(events, 'context.compacted')).toMatchObject([{ trigger: 'auto' }]);
    expect(model.compactionRequests().length).toBeGreaterThan(0);
  });
});
