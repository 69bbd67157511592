import { describe, expect, it } from 'vitest';
import { parseClaudeLine } from './claude-stream.js';

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
      '{"type":"result","subtype":"error_during_execution","is_error":true,"session_id":"s"}',
    );
    expect(parsed).toMatchObject({
      endsTurn: true,
      agentSessionId: 's',
      events: [{ type: 'turn.result', data: { isError: true } }],
    });
  });
});
