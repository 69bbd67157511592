import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bashCall,
  mcpCall,
  say,
  startModelServer,
  type ModelServer,
} from '../../fixtures/model-server.js';
import {
  parseClaudeLine,
  STREAM_JSON_ARGS,
  userMessageLine,
} from '../../src/agents/claude-code/stream.js';
import { CLAUDE_CODE } from '../../src/agents/claude-code/package.js';
import { ensureAgent } from '../../src/agents/install.js';
import { testAgentsDir } from './agents.js';

let claude: string;
let model: ModelServer;

beforeAll(async () => {
  claude = (await ensureAgent(testAgentsDir(), CLAUDE_CODE)).bin;
  model = await startModelServer({ script: { replies: [] } });
}, 600_000);
afterAll(async () => {
  await model.close();
});

/** Runs the real `claude -p` in stream-json mode on the host (not yet in a sandbox). */
function runClaude(
  cwd: string,
  prompt: string,
  extra: string[] = [],
): Promise<{ lines: Record<string, unknown>[]; text: string[]; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(claude, [...STREAM_JSON_ARGS, '--dangerously-skip-permissions', ...extra], {
      cwd,
      env: {
        PATH: process.env.PATH,
        HOME: cwd,
        IS_SANDBOX: '1',
        ANTHROPIC_BASE_URL: model.url,
        ANTHROPIC_API_KEY: 'sk-placeholder',
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      },
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const text = out.split('\n').filter(Boolean);
      resolve({ code, text, lines: text.map((l) => JSON.parse(l) as Record<string, unknown>) });
    });
    child.stdin.end(userMessageLine(prompt));
  });
}

describe('the scripted model server', () => {
  it('drives the real Claude Code through tool calls and records what it sent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hangar-model-'));
    model.setScript({
      replies: [
        {
          content: [
            { type: 'text', text: 'Writing it.' },
            {
              type: 'tool_use',
              name: 'Write',
              input: { file_path: join(dir, 'hello.txt'), content: 'hi\n' },
            },
          ],
        },
        {
          content: [bashCall('cat hello.txt', 'show the file')],
        },
        say('All done.'),
      ],
    });
    const { code, lines, text } = await runClaude(dir, 'write hello.txt');
    expect(code).toBe(0);
    expect(readFileSync(join(dir, 'hello.txt'), 'utf8')).toBe('hi\n');

    const result = lines.find((l) => l.type === 'result');
    expect(result).toMatchObject({ subtype: 'success', is_error: false, result: 'All done.' });
    const turns = model.agentRequests();
    expect(turns).toHaveLength(3);
    // The third request carries the Bash tool's output back to the model.
    expect(JSON.stringify(turns[2]?.body)).toContain('hi\\n');
    expect(turns[0]?.headers['x-api-key']).toBe('sk-placeholder');

    // Hangar's reading of the same lines: the canonical events, in order.
    const parsed = text.map(parseClaudeLine);
    expect(parsed.find((p) => p.agentSessionId)?.agentSessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(parsed.filter((p) => p.endsTurn)).toHaveLength(1);
    const events = parsed.flatMap((p) => p.events);
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
      data: { name: 'Bash', input: { command: 'cat hello.txt' } },
    });
    expect(events[4]).toMatchObject({ data: { output: 'hi', isError: false } });
    expect(events[6]).toMatchObject({
      data: { isError: false, usage: { inputTokens: expect.any(Number) as number } },
    });
  });

  it("answers Claude Code's compaction request with the script's summary, taking no reply", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hangar-model-'));
    model.setScript({
      replies: [say('First answer.'), say('Answer after the compaction.')],
      compactSummary: 'The user said hello; nothing is left to do.',
    });
    const first = await runClaude(dir, 'say hello');
    const id = first.lines.find((l) => typeof l.session_id === 'string')?.session_id as string;
    const compactions = model.compactionRequests().length;

    const compact = await runClaude(dir, '/compact', ['--resume', id]);
    expect(compact.code).toBe(0);
    // Accepted at the first answer: a reply without a <summary> block is asked for again.
    expect(model.compactionRequests()).toHaveLength(compactions + 1);
    expect(compact.lines).toContainEqual(
      expect.objectContaining({
        type: 'system',
        subtype: 'compact_boundary',
        compact_metadata: expect.objectContaining({ trigger: 'manual' }) as unknown,
      }),
    );
    // Hangar's reading: the compaction, then the turn's end.
    expect(compact.text.flatMap((line) => parseClaudeLine(line).events)).toMatchObject([
      { type: 'context.compacted', data: { trigger: 'manual' } },
      { type: 'turn.result', data: { isError: false } },
    ]);

    // The next turn gets the script's next reply, and the model sees the summary.
    const next = await runClaude(dir, 'what now?', ['--resume', id]);
    expect(next.lines.find((l) => l.type === 'result')).toMatchObject({
      result: 'Answer after the compaction.',
    });
    expect(JSON.stringify(model.agentRequests().at(-1)?.body)).toContain(
      'The user said hello; nothing is left to do.',
    );
  });

  it('plays a repeat script from its start for each new conversation, so a demo runs again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hangar-model-'));
    model.setScript({
      repeat: true,
      replies: [{ content: [bashCall('echo ran >> runs.txt', 'count a run')] }, say('Counted.')],
    });
    for (const run of [1, 2]) {
      const { code, lines } = await runClaude(dir, 'count a run');
      expect(code).toBe(0);
      expect(lines.find((l) => l.type === 'result')).toMatchObject({ result: 'Counted.' });
      expect(readFileSync(join(dir, 'runs.txt'), 'utf8')).toBe('ran\n'.repeat(run));
    }
  });

  it('says that its port is in use, without a stack trace', async () => {
    const port = new URL(model.url).port;
    const cli = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        fileURLToPath(new URL('../../fixtures/model-server.ts', import.meta.url)),
        '--port',
        port,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    cli.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => cli.on('close', resolve));
    expect(code).toBe(1);
    expect(stderr).toBe(
      `model server: port ${port} is in use (a model server already running?); --port 0 takes a free one\n`,
    );
  });

  it('plays each task its own script, apart from the shared one', async () => {
    const ask = async (task: string) => {
      const res = await fetch(`${model.url}/v1/messages`, {
        method: 'POST',
        body: JSON.stringify({
          model: 'm',
          tools: [{ name: 'Bash' }],
          messages: [{ role: 'user', content: [{ type: 'text', text: `<ctx/> ${task}` }] }],
        }),
      });
      const body = (await res.json()) as { content: { text: string }[] };
      return body.content[0]?.text;
    };
    model.setScript({ replies: [say('shared 1'), say('shared 2')] });
    model.scriptFor('task "one"', { replies: [say('one 1'), say('one 2')] });
    model.scriptFor('task two', { replies: [say('two 1')] });
    model.scriptFor('task two, longer', { replies: [say('longer 1')] });
    expect(await ask('task "one"')).toBe('one 1');
    expect(await ask('task two')).toBe('two 1');
    expect(await ask('another task')).toBe('shared 1');
    expect(await ask('task "one"')).toBe('one 2');
    expect(await ask('task two')).toMatch(/no more replies/);
    expect(await ask('task two, longer')).toBe('longer 1');
  });

  it('answers bad requests with Anthropic-style errors', async () => {
    const res = await fetch(`${model.url}/v1/messages`, { method: 'POST', body: '{"model": 1}' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error' },
    });
  });
  it('speaks the Responses API: a shell call through the tool offered, a message, and usage', async () => {
    model.setScript({
      replies: [{ content: [{ type: 'text', text: 'Listing.' }, bashCall('ls -a')] }],
    });
    const res = await fetch(`${model.url}/v1/responses`, {
      method: 'POST',
      body: JSON.stringify({
        model: 'gpt-test',
        stream: true,
        input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'list' }] }],
        tools: [{ type: 'function', name: 'exec_command', parameters: {} }],
      }),
    });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const frames = (await res.text())
      .split('\n\n')
      .filter(Boolean)
      .map((frame) => {
        const [event, data] = frame.split('\n');
        return {
          event: event?.slice('event: '.length),
          data: JSON.parse(data?.slice(6) ?? '') as Record<string, unknown>,
        };
      });
    // Each frame's event name is its data's type, numbered in order.
    expect(frames.every((f, i) => f.data.type === f.event && f.data.sequence_number === i)).toBe(
      true,
    );
    expect(frames.map((f) => f.event)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const call = frames[13]?.data.item as { type: string; name: string; arguments: string };
    expect(call).toMatchObject({ type: 'function_call', name: 'exec_command' });
    expect(JSON.parse(call.arguments)).toEqual({ cmd: 'ls -a' });
    const deltas = frames.filter((f) => f.event === 'response.function_call_arguments.delta');
    expect(deltas.map((f) => f.data.delta).join('')).toBe(call.arguments);
    expect(frames[14]?.data.response).toMatchObject({
      status: 'completed',
      usage: {
        input_tokens: expect.any(Number) as number,
        output_tokens: expect.any(Number) as number,
      },
    });
    expect(model.agentRequests().at(-1)?.path).toBe('/v1/responses');
  });

  it('names an MCP tool call as each agent offers the tool, in a namespace for Codex', async () => {
    const call = mcpCall('hangar-github', 'read_issue', { number: 2 });
    const ask = async (path: string, tools: Record<string, unknown>[]) => {
      model.setScript({ replies: [{ content: [call] }] });
      const input = [{ role: 'user', content: 'read it' }];
      const body = path === '/v1/responses' ? { input } : { messages: input };
      const res = await fetch(`${model.url}${path}`, {
        method: 'POST',
        body: JSON.stringify({ model: 'm', tools, ...body }),
      });
      const json = (await res.json()) as { content?: unknown[]; output?: unknown[] };
      return (json.content ?? json.output)?.[0];
    };
    expect(await ask('/v1/messages', [{ name: 'ToolSearch' }])).toMatchObject({
      type: 'tool_use',
      name: 'mcp__hangar-github__read_issue',
      input: { number: 2 },
    });
    expect(
      await ask('/v1/responses', [{ type: 'function', name: 'hangar-github_read_issue' }]),
    ).toMatchObject({ type: 'function_call', name: 'hangar-github_read_issue' });
    expect(
      await ask('/v1/responses', [{ type: 'namespace', name: 'mcp__hangar_github', tools: [] }]),
    ).toMatchObject({ type: 'function_call', name: 'read_issue', namespace: 'mcp__hangar_github' });
    expect(await ask('/v1/responses', [{ type: 'function', name: 'exec_command' }])).toMatchObject({
      type: 'message',
      content: [{ text: expect.stringContaining('no tool read_issue of hangar-github') as string }],
    });
  });

  it('answers bad Responses requests with OpenAI-style errors', async () => {
    const res = await fetch(`${model.url}/v1/responses`, { method: 'POST', body: '{"model": 1}' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: { type: 'invalid_request_error', code: null },
    });
  });
});
