/**
 * Server-sent events as the HTML standard defines the stream: one parser for the CLI
 * (`hangar logs --follow`) and the web app, over a fetch Response's body.
 */

export interface SseMessage {
  /** The last `id:` seen on the stream, as `Last-Event-ID` would resend it. */
  id: string | undefined;
  event: string;
  data: string;
}

/** The messages of an SSE body, per the HTML spec's event-stream format. */
export async function* parseSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let id: string | undefined;
  let event = '';
  let data: string[] = [];
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (!done) buffer += decoder.decode(value, { stream: true });
      // At the end, a held CR ends its line after all.
      else if (buffer.endsWith('\r')) buffer += '\n';
      else return;
      let newline: number;
      while ((newline = buffer.search(/\r\n|\r|\n/)) !== -1) {
        // A CR at the end may be half of a CRLF whose LF is in the next chunk.
        if (newline === buffer.length - 1 && buffer.endsWith('\r')) break;
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
        if (line === '') {
          if (data.length > 0) yield { id, event: event || 'message', data: data.join('\n') };
          event = '';
          data = [];
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon === -1 ? line : line.slice(0, colon);
        const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'data') data.push(value);
        else if (field === 'event') event = value;
        else if (field === 'id') id = value;
      }
      if (done) return;
    }
  } finally {
    // A reader that stops early (it found what it waited for) closes the connection.
    await reader.cancel().catch(() => undefined);
  }
}
