import { describe, expect, it } from 'vitest';
import { opencodeTurnReader, parseOpencodeLine } from './stream.js';

const SES = 'ses_de1c9c446ffei4Uq93hUeyEVzF';
const json = (value: Record<string, unknown>) => JSON.stringify({ sessionID: SES, ...value });
const step = (reason: string, input: number, cost: number) =>
  json({
    type: 'step_finish',
    part: {
      reason,
      tokens: { input, output: 5, reasoning: 1, cache: { read: 2, write: 0 } },
      cost,
    },
  });

describe('opencodeTurnReader', () => {
  it('maps text and a finished tool, naming the session', () => {
    const read = opencodeTurnReader();
    expect(read(json({ type: 'text', part: { text: 'Hi.' } }))).toMatchObject({
      agentSessionId: SES,
      events: [{ type: 'message.assistant', data: { text: 'Hi.' } }],
    });
    const tool = {
      type: 'tool_use',
      part: {
        tool: 'bash',
        callID: 'call_1',
        state: { status: 'completed', input: { command: 'ls' }, output: 'a\n' },
      },
    };
    expect(read(json(tool)).events).toEqual([
      { type: 'tool.call', data: { id: 'call_1', name: 'bash', input: { command: 'ls' } } },
      { type: 'tool.result', data: { id: 'call_1', output: 'a', isError: false } },
    ]);
  });

  it("adds up the turn's steps into its result: the step that stops for tools does not end it", () => {
    const read = opencodeTurnReader();
    expect(read(step('tool-calls', 100, 0.01))).toMatchObject({ endsTurn: false, events: [] });
    expect(read(step('stop', 150, 0.02))).toMatchObject({
      endsTurn: true,
      events: [
        {
          type: 'turn.result',
          data: {
            isError: false,
            costUsd: 0.03,
            usage: { inputTokens: 250, outputTokens: 12, cacheReadInputTokens: 4 },
          },
        },
      ],
    });
    // A new turn's reader starts from nothing.
    expect(opencodeTurnReader()(step('stop', 1, 0)).events[0]).toMatchObject({
      data: { usage: { inputTokens: 1 } },
    });
  });

  it('ends the turn on an error, with its message', () => {
    const line = json({
      type: 'error',
      error: { name: 'APIError', data: { message: 'Hangar: the server has no OPENAI_API_KEY' } },
    });
    expect(parseOpencodeLine(line)).toMatchObject({
      endsTurn: true,
      events: [
        {
          type: 'turn.result',
          data: { isError: true, error: expect.stringMatching(/OPENAI_API_KEY/) as string },
        },
      ],
    });
  });

  it('keeps an unknown line raw, and refuses a session id of another shape', () => {
    expect(parseOpencodeLine('oops').events).toEqual([
      { type: 'agent.unknown', data: { line: 'oops' } },
    ]);
    const odd = JSON.stringify({ type: 'text', sessionID: '--help', part: { text: 'x' } });
    expect(parseOpencodeLine(odd).agentSessionId).toBeUndefined();
  });
});
