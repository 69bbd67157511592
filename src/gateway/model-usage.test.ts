import { describe, expect, it } from 'vitest';
import {
  checkModelLimits,
  MAX_USAGE_JSON_BYTES,
  MAX_USAGE_LINE_BYTES,
  NO_USAGE,
  UsageReader,
} from './model-usage.js';

const event = (type: string, data: Record<string, unknown>) =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

const stream = [
  event('message_start', {
    message: {
      id: 'msg_1',
      content: [],
      usage: {
        input_tokens: 120,
        cache_creation_input_tokens: 30,
        cache_read_input_tokens: 1000,
        output_tokens: 1,
      },
    },
  }),
  event('ping', {}),
  event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Hello' } }),
  event('message_delta', { delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 42 } }),
  event('message_stop', {}),
].join('');

function read(contentType: string, chunks: (string | Buffer)[]) {
  const reader = new UsageReader(contentType);
  for (const chunk of chunks) reader.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return reader.finish();
}

describe('UsageReader', () => {
  it("reads the Responses API's usage from response.completed, in SSE or JSON", () => {
    const usage = {
      input_tokens: 900,
      input_tokens_details: { cached_tokens: 800 },
      output_tokens: 37,
    };
    const sse = [
      event('response.created', { response: { id: 'resp_1', usage: null } }),
      event('response.output_text.delta', { delta: 'Hi "usage": {"input_tokens": 5}' }),
      event('response.completed', { response: { id: 'resp_1', usage } }),
    ].join('');
    const reader = new UsageReader('text/event-stream', 'openai');
    for (const piece of [sse.slice(0, 50), sse.slice(50, 51), sse.slice(51)]) {
      reader.push(Buffer.from(piece));
    }
    // OpenAI's input count already includes the cached tokens.
    expect(reader.finish()).toEqual({ inputTokens: 900, outputTokens: 37 });
    const json = new UsageReader('application/json', 'openai');
    json.push(Buffer.from(JSON.stringify({ id: 'resp_2', usage })));
    expect(json.finish()).toEqual({ inputTokens: 900, outputTokens: 37 });
  });

  it('reads input (with cache) from message_start and output from message_delta', () => {
    expect(read('text/event-stream; charset=utf-8', [stream])).toEqual({
      inputTokens: 1150,
      outputTokens: 42,
    });
  });

  it('gives the same figures whatever the chunking, CRLF included', () => {
    const crlf = stream.replace(/\n/g, '\r\n');
    for (const text of [stream, crlf]) {
      const bytes = Buffer.from(text);
      for (const size of [1, 2, 7, 64]) {
        const chunks: Buffer[] = [];
        for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
        expect(read('text/event-stream', chunks), `chunks of ${size}`).toEqual({
          inputTokens: 1150,
          outputTokens: 42,
        });
      }
    }
  });

  it('takes the last delta and keeps fields a later event leaves out', () => {
    const text = [
      event('message_start', {
        message: { usage: { input_tokens: 5, cache_read_input_tokens: 10, output_tokens: 1 } },
      }),
      event('message_delta', { usage: { output_tokens: 3 } }),
      event('message_delta', { usage: { input_tokens: 6, output_tokens: 9 } }),
    ].join('');
    expect(read('text/event-stream', [text])).toEqual({ inputTokens: 16, outputTokens: 9 });
  });

  it('skips over-long lines without keeping them, and still reads what follows', () => {
    const huge = `data: ${JSON.stringify({ type: 'message_delta', usage: { output_tokens: 999 }, pad: 'x'.repeat(MAX_USAGE_LINE_BYTES) })}\n`;
    const text = huge + event('message_delta', { usage: { output_tokens: 7 } });
    expect(read('text/event-stream', [text])).toEqual({ inputTokens: 0, outputTokens: 7 });
    expect(read('text/event-stream', [huge])).toEqual({ inputTokens: 0, outputTokens: 0 });
  });

  it('ignores what is not usage: bad JSON, wrong types, negative or fractional counts', () => {
    const text = [
      'data: {"type":"message_start", nope\n',
      event('message_start', { message: { usage: { input_tokens: -5, output_tokens: 1.5 } } }),
      event('message_delta', { usage: { output_tokens: '12' } }),
      event('content_block_delta', {
        delta: { text: '"message_delta"' },
        usage: { output_tokens: 50 },
      }),
      ': a comment with "message_delta"\n',
    ].join('');
    expect(read('text/event-stream', [text])).toEqual({ inputTokens: 0, outputTokens: 0 });
  });

  it('reads a plain JSON message, and gives up on one past the bound', () => {
    const message = JSON.stringify({
      type: 'message',
      content: [{ type: 'text', text: 'hi' }],
      usage: { input_tokens: 11, output_tokens: 4, cache_read_input_tokens: 2 },
    });
    expect(read('application/json', [message.slice(0, 10), message.slice(10)])).toEqual({
      inputTokens: 13,
      outputTokens: 4,
    });
    const big = Buffer.alloc(MAX_USAGE_JSON_BYTES + 1, 0x20);
    expect(read('application/json', [big, message])).toEqual({ inputTokens: 0, outputTokens: 0 });
    expect(read('application/json', ['not json'])).toEqual({ inputTokens: 0, outputTokens: 0 });
  });
});

describe('checkModelLimits', () => {
  const limits = { requestsPerSession: 3, tokensPerUserPerDay: 100 };

  it('lets a request through below both limits', () => {
    expect(
      checkModelLimits(limits, {
        session: { ...NO_USAGE, requests: 2 },
        userToday: { requests: 9, inputTokens: 60, outputTokens: 39 },
      }),
    ).toBeUndefined();
  });

  it('names the limit reached', () => {
    expect(
      checkModelLimits(limits, { session: { ...NO_USAGE, requests: 3 }, userToday: NO_USAGE }),
    ).toMatchObject({ limit: 'HANGAR_MAX_MODEL_REQUESTS_PER_SESSION' });
    const today = { requests: 1, inputTokens: 60, outputTokens: 40 };
    expect(checkModelLimits(limits, { session: NO_USAGE, userToday: today })).toMatchObject({
      limit: 'HANGAR_MAX_MODEL_TOKENS_PER_USER_PER_DAY',
      message: expect.stringMatching(/used 100 model tokens today/) as unknown,
    });
  });

  it('has no limit where the operator set none', () => {
    const none = { requestsPerSession: undefined, tokensPerUserPerDay: undefined };
    const huge = { requests: 1e9, inputTokens: 1e12, outputTokens: 1e12 };
    expect(checkModelLimits(none, { session: huge, userToday: huge })).toBeUndefined();
  });
});
