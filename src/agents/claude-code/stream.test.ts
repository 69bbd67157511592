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
});
