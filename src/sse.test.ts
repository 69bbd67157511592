import { describe, expect, it } from 'vitest';
import { parseSse, type SseMessage } from './sse.js';

/** The messages of a stream that arrives in the given chunks. */
async function messages(...chunks: string[]): Promise<SseMessage[]> {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
  const out: SseMessage[] = [];
  for await (const message of parseSse(body)) out.push(message);
  return out;
}

describe('parseSse', () => {
  it('reads events, ids and multi-line data, skipping comments', async () => {
    expect(
      await messages(': keep-alive\n\n', 'id: 1\nevent: session\ndata: {"a":\ndata: 1}\n\n'),
    ).toEqual([{ id: '1', event: 'session', data: '{"a":\n1}' }]);
  });

  it('keeps the last id for later messages and names unnamed events "message"', async () => {
    expect(await messages('id: 7\ndata: x\n\ndata: y\n\n')).toEqual([
      { id: '7', event: 'message', data: 'x' },
      { id: '7', event: 'message', data: 'y' },
    ]);
  });

  it('takes frames split anywhere, CRLF split across chunks included', async () => {
    expect(await messages('da', 'ta: é', 'tre\r', '\n\r', '\ndata: two\r\r')).toEqual([
      { id: undefined, event: 'message', data: 'étre' },
      { id: undefined, event: 'message', data: 'two' },
    ]);
  });

  it('drops a message the stream cut off before its blank line', async () => {
    expect(await messages('data: whole\n\n', 'data: half')).toEqual([
      { id: undefined, event: 'message', data: 'whole' },
    ]);
  });

  it('closes the stream when the reader stops early', async () => {
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('data: first\n\n'));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const message of parseSse(body)) {
      expect(message.data).toBe('first');
      break;
    }
    expect(cancelled).toBe(true);
  });
});
