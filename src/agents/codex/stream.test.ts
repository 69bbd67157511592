import { describe, expect, it } from 'vitest';
import { parseCodexLine, shellCommand } from './stream.js';

const ID = '01a21e35-5389-7670-beaa-bbcc474de194';
const line = (value: unknown) => parseCodexLine(JSON.stringify(value));

describe('parseCodexLine', () => {
  it('names the conversation from thread.started, only when it is a UUID', () => {
    expect(line({ type: 'thread.started', thread_id: ID }).agentSessionId).toBe(ID);
    expect(line({ type: 'thread.started', thread_id: '../../x' }).agentSessionId).toBeUndefined();
  });

  it('maps a command to a shell call when it starts and a result when it ends', () => {
    const item = { id: 'item_2', type: 'command_execution', command: "/bin/bash -lc 'ls -a'" };
    expect(line({ type: 'item.started', item: { ...item, status: 'in_progress' } }).events).toEqual(
      [{ type: 'tool.call', data: { id: 'item_2', name: 'shell', input: { command: 'ls -a' } } }],
    );
    const done = { ...item, aggregated_output: 'nope\n', exit_code: 2, status: 'failed' };
    expect(line({ type: 'item.completed', item: done }).events).toEqual([
      { type: 'tool.result', data: { id: 'item_2', output: 'nope', isError: true } },
    ]);
  });

  it('ends the turn with usage, cached input counted apart', () => {
    const usage = { input_tokens: 1000, cached_input_tokens: 800, output_tokens: 20 };
    expect(line({ type: 'turn.completed', usage })).toMatchObject({
      endsTurn: true,
      events: [
        {
          type: 'turn.result',
          data: {
            isError: false,
            usage: { inputTokens: 200, outputTokens: 20, cacheReadInputTokens: 800 },
          },
        },
      ],
    });
    expect(line({ type: 'turn.failed', error: { message: 'quota' } })).toMatchObject({
      endsTurn: true,
      events: [{ type: 'turn.result', data: { isError: true, error: 'quota' } }],
    });
  });

  it('shows messages, patches and tool calls, and keeps its warnings out of the transcript', () => {
    const message = { id: 'i1', type: 'agent_message', text: 'Done.' };
    expect(line({ type: 'item.completed', item: message }).events).toEqual([
      { type: 'message.assistant', data: { text: 'Done.' } },
    ]);
    const patch = { id: 'i2', type: 'file_change', changes: [{ path: 'a.txt', kind: 'add' }] };
    expect(line({ type: 'item.completed', item: patch }).events.map((e) => e.type)).toEqual([
      'tool.call',
      'tool.result',
    ]);
    const warning = { id: 'i3', type: 'error', message: 'Model metadata not found' };
    expect(line({ type: 'item.completed', item: warning }).events).toEqual([]);
    expect(line({ type: 'error', message: 'Reconnecting... 1/5' }).events).toEqual([]);
  });

  it('keeps what it does not know raw, never failing', () => {
    expect(parseCodexLine('not json').events).toEqual([
      { type: 'agent.unknown', data: { line: 'not json' } },
    ]);
    expect(line({ type: 'something.new' }).events).toEqual([
      { type: 'agent.unknown', data: { line: { type: 'something.new' } } },
    ]);
  });
});

describe('shellCommand', () => {
  it("unwraps Codex's bash -lc, quotes included", () => {
    expect(shellCommand(`/bin/bash -lc 'echo '\\''hi'\\'''`)).toBe("echo 'hi'");
    expect(shellCommand('git status')).toBe('git status');
  });
});
