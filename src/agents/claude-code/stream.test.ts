import { describe, expect, it } from 'vitest';
import { parseClaudeLine } from './stream.js';

describe('parseClaudeLine', () => {
  it('keeps a line of an unknown type raw instead of failing', () => {
    const line = '{"type":"stream_event","event":{"x":1}}';
    expect(parseClaudeLine(line)).toEqual({
      raw: { type: 'stream_event', event: { x: 1 } },
      events: [
        { type: 'agent.unknown', data: { line: { type: 'stream_event', event: { x: 1 } } } },
      ],
      endsTurn: false,
    });
  });

  it('keeps a line that is not JSON as text', () => {
    expect(parseClaudeLine('Error: something broke').events).toEqual([
      { type: 'agent.unknown', data: { line: 'Error: something broke' } },
    ]);
  });

  it('joins the text parts of a tool result and marks errors', () => {
    const line = JSON.stringify({
      type: 'user',
      message: {
        role: 'user',
        content: [
          {
            type: 'tool_result',
            tool_use_id: 't1',
            is_error: true,
            content: [{ type: 'text', text: 'a' }, { type: 'image' }],
          },
        ],
      },
    });
    expect(parseClaudeLine(line).events).toEqual([
      { type: 'tool.result', data: { id: 't1', output: 'a\n[image]', isError: true } },
    ]);
  });

  it('reads an error result as the end of a turn', () => {
    const parsed = parseClaudeLine(
      '{"type":"result","subtype":"error_during_execution","is_error":true,"session_id":"0b7e4a52-8f3c-4d2e-9a61-3c5d2f1e7b90"}',
    );
    expect(parsed).toMatchObject({
      endsTurn: true,
      agentSessionId: '0b7e4a52-8f3c-4d2e-9a61-3c5d2f1e7b90',
      events: [{ type: 'turn.result', data: { isError: true } }],
    });
  });

  it('takes only a UUID as the conversation id: a path or a flag is dropped, the line kept', () => {
    for (const forged of ['../../.bashrc', '--dangerously-skip-permissions', '', 'a'.repeat(36)]) {
      const parsed = parseClaudeLine(
        JSON.stringify({ type: 'system', subtype: 'init', session_id: forged }),
      );
      expect(parsed.agentSessionId).toBeUndefined();
      expect(parsed.events).toEqual([]);
    }
  });

  // Lines as Claude Code 2.1.330 prints them (ids shortened).
  const session = '1d2d9764-e400-4fcb-957a-25c11eae26ed';
  const hookLine = (fields: Record<string, unknown>) =>
    JSON.stringify({
      type: 'system',
      subtype: 'hook_response',
      hook_id: '2df25a8c',
      hook_name: 'SessionStart:startup',
      hook_event: 'SessionStart',
      uuid: 'd014b099',
      session_id: session,
      ...fields,
    });

  it("reads a SessionStart hook's output, stdout and stderr as they came", () => {
    const parsed = parseClaudeLine(
      hookLine({
        output: 'warn: slow mirror\nNode 20 and pnpm are installed\n',
        stdout: 'Node 20 and pnpm are installed\n',
        stderr: 'warn: slow mirror\n',
        exit_code: 0,
        outcome: 'success',
      }),
    );
    expect(parsed.agentSessionId).toBe(session);
    expect(parsed.events).toEqual([
      {
        type: 'hook.output',
        data: {
          hook: 'SessionStart:startup',
          text: 'warn: slow mirror\nNode 20 and pnpm are installed\n',
          isError: false,
          exitCode: 0,
        },
      },
    ]);
  });

  it('marks a failed hook, even a silent one, and leaves out a quiet one that worked', () => {
    const failed = hookLine({ output: '', stdout: '', stderr: '', exit_code: 1, outcome: 'error' });
    expect(parseClaudeLine(failed).events).toEqual([
      {
        type: 'hook.output',
        data: { hook: 'SessionStart:startup', text: '', isError: true, exitCode: 1 },
      },
    ]);
    const quiet = hookLine({
      output: '',
      stdout: '',
      stderr: '',
      exit_code: 0,
      outcome: 'success',
    });
    expect(parseClaudeLine(quiet).events).toEqual([]);
    // The hook's start says nothing a person needs.
    const started = JSON.stringify({
      type: 'system',
      subtype: 'hook_started',
      hook_name: 'SessionStart:startup',
      session_id: session,
    });
    expect(parseClaudeLine(started).events).toEqual([]);
  });

  it('reads a compaction, by /compact or by a full context', () => {
    const boundary = (trigger: string) =>
      JSON.stringify({
        type: 'system',
        subtype: 'compact_boundary',
        session_id: session,
        uuid: 'ea541c37',
        compact_metadata: {
          trigger,
          pre_tokens: 12485,
          post_tokens: 2571,
          cumulative_dropped_tokens: 9914,
          duration_ms: 402,
        },
        logical_parent_uuid: 'f40fe931',
      });
    expect(parseClaudeLine(boundary('manual')).events).toEqual([
      {
        type: 'context.compacted',
        data: { trigger: 'manual', preTokens: 12485, postTokens: 2571 },
      },
    ]);
    expect(parseClaudeLine(boundary('auto')).events).toMatchObject([{ data: { trigger: 'auto' } }]);
  });

  it("takes the turn's cost, not the conversation's total carried across --resume", () => {
    const result = (fields: Record<string, unknown>) =>
      parseClaudeLine(
        JSON.stringify({
          type: 'result',
          subtype: 'success',
          is_error: false,
          session_id: session,
          total_cost_usd: 0.310328,
          ...fields,
        }),
      ).events[0]?.data;
    const model = (costUSD: number) => ({ inputTokens: 1, outputTokens: 1, costUSD });
    const both = result({
      model_usage_since_last_result: { 'claude-opus-5-5': model(0.109), haiku: model(0.001) },
    });
    expect((both as { costUsd?: number }).costUsd).toBeCloseTo(0.11, 9);
    // `/context` asks no model.
    expect(result({ model_usage_since_last_result: {} })).toMatchObject({ costUsd: 0 });
    // An older release's line has only the total.
    expect(result({})).toMatchObject({ costUsd: 0.310328 });
  });
});
