import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bashCall, say, startModelServer, type ModelServer } from '../../fixtures/model-server.js';
import type { Agent } from '../../src/agents/agent.js';
import { codex } from '../../src/agents/codex/agent.js';
import { opencode } from '../../src/agents/opencode/agent.js';
import type { NewEvent } from '../../src/sessions/events.js';
import { testAgentsDir } from './agents.js';

/**
 * The scripted model server against the real Codex and opencode binaries, on the
 * host (not yet in a sandbox): each speaks the stand-in's wire format, runs the tool
 * call it gets, resumes its conversation, and Hangar reads its output as events.
 */

let model: ModelServer;
const installed = new Map<string, string>();

beforeAll(async () => {
  for (const agent of [codex, opencode]) {
    installed.set(agent.name, (await agent.install(testAgentsDir())).dir);
  }
  model = await startModelServer({ script: { replies: [] } });
}, 900_000);
afterAll(async () => {
  await model.close();
});

const KEY = 'sk-placeholder-for-the-stand-in';

/** Runs one turn of `agent` in `cwd` as Hangar would, with the model server as its gateway. */
function runTurn(
  agent: Agent,
  cwd: string,
  input: string,
  options: { resumeId?: string; model: string },
): Promise<{ code: number | null; events: NewEvent[]; agentSessionId?: string; stderr: string }> {
  const turn = agent.turn({
    mount: installed.get(agent.name) ?? '',
    input,
    systemPrompt: 'You are running in a test.',
    resumeId: options.resumeId ?? null,
    model: options.model,
    envFile: join(cwd, '.env-file'),
  });
  const [command = '', ...args] = turn.argv;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: {
        PATH: process.env.PATH,
        HOME: cwd,
        ANTHROPIC_BASE_URL: model.url,
        ANTHROPIC_API_KEY: KEY,
        OPENAI_BASE_URL: `${model.url}/v1`,
        OPENAI_API_KEY: KEY,
        ...turn.env,
      },
    });
    let out = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const read = agent.turnReader?.() ?? ((line: string) => agent.parseLine(line));
      const parsed = out.split('\n').filter(Boolean).map(read);
      expect(
        parsed.filter((p) => p.endsTurn),
        out,
      ).toHaveLength(1);
      resolve({
        code,
        stderr,
        events: parsed.flatMap((p) => p.events),
        agentSessionId: parsed.find((p) => p.agentSessionId)?.agentSessionId,
      });
    });
    child.stdin.end(turn.stdin);
  });
}

const cases: { agent: Agent; model: string; api: string; shell: string; auth: string }[] = [
  {
    agent: codex,
    model: 'gpt-5.5',
    api: '/v1/responses',
    shell: 'shell',
    auth: 'authorization',
  },
  {
    agent: opencode,
    model: 'openai/gpt-5.5',
    api: '/v1/responses',
    shell: 'bash',
    auth: 'authorization',
  },
  {
    agent: opencode,
    model: 'anthropic/claude-sonnet-4-5',
    api: '/v1/messages',
    shell: 'bash',
    auth: 'x-api-key',
  },
];

describe.each(cases)(
  'the scripted model server and $agent.label on $model',
  { timeout: 300_000 },
  ({ agent, model: modelName, api, shell, auth }) => {
    const dir = mkdtempSync(join(tmpdir(), `hangar-${agent.name}-`));
    const task = `write hello.txt with ${agent.name} on ${modelName}`;
    let first: Awaited<ReturnType<typeof runTurn>>;

    beforeAll(async () => {
      model.scriptFor(task, {
        replies: [
          { content: [{ type: 'text', text: 'Writing it.' }, bashCall('echo hi > hello.txt')] },
          { content: [bashCall('cat hello.txt', 'show the file')] },
          say('All done.'),
          say('Resumed, and the file is still there.'),
        ],
      });
      first = await runTurn(agent, dir, task, { model: modelName });
    }, 300_000);

    it('runs the tool calls it gets and ends with the final message', () => {
      expect(first.code, first.stderr).toBe(0);
      expect(readFileSync(join(dir, 'hello.txt'), 'utf8')).toBe('hi\n');
      const { events } = first;
      expect(events.map((e) => e.type)).toEqual([
        'message.assistant',
        'tool.call',
        'tool.result',
        'tool.call',
        'tool.result',
        'message.assistant',
        'turn.result',
      ]);
      expect(events[3]).toMatchObject({
        data: { name: shell, input: { command: 'cat hello.txt' } },
      });
      expect(events[4]).toMatchObject({ data: { output: 'hi', isError: false } });
      expect(events[5]).toMatchObject({ data: { text: 'All done.' } });
      expect(events[6]).toMatchObject({
        data: { isError: false, usage: { inputTokens: expect.any(Number) as number } },
      });
      const turns = model.agentRequests().filter((r) => JSON.stringify(r.body).includes(task));
      expect(turns.map((r) => r.path)).toEqual([api, api, api]);
      // The key the agent was given is the key the model API got.
      expect(String(turns[0]?.headers[auth])).toContain(KEY);
      // The third request carries the shell's output back to the model.
      expect(JSON.stringify(turns[2]?.body)).toContain('hi');
    });

    it('resumes the same conversation', async () => {
      expect(first.agentSessionId).toBeDefined();
      const before = model.agentRequests().length;
      const next = await runTurn(agent, dir, 'and now?', {
        model: modelName,
        resumeId: first.agentSessionId ?? '',
      });
      expect(next.code, next.stderr).toBe(0);
      expect(next.agentSessionId).toBe(first.agentSessionId);
      expect(next.events.find((e) => e.type === 'message.assistant')).toMatchObject({
        data: { text: 'Resumed, and the file is still there.' },
      });
      const body = JSON.stringify(model.agentRequests()[before]?.body);
      // The model sees the first turn again, and the new message.
      expect(body).toContain(task);
      expect(body).toContain('cat hello.txt');
      expect(body).toContain('and now?');
    });
  },
);
