import { auth } from './client';

export interface SseMessage {
  id: string | undefined;
  event: string;
  data: string;
}

/**
 * Follows a server-sent event stream with the bearer token (EventSource cannot send
 * one), reconnecting with `Last-Event-ID` after a dropped connection, until `signal`
 * aborts. `onOpen` runs on every (re)connect, e.g. to refetch what may have been missed.
 */
export async function followSse(
  path: string,
  options: {
    signal: AbortSignal;
    onMessage: (message: SseMessage) => void;
    onOpen?: () => void;
    lastEventId?: string;
  },
): Promise<void> {
  let lastEventId = options.lastEventId;
  let delay = 500;
  const stopped = () => options.signal.aborted;
  while (!stopped()) {
    try {
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      const token = auth.token;
      if (token) headers.authorization = `Bearer ${token}`;
      if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
      const response = await fetch(path, { headers, signal: options.signal });
      if (response.status === 401) {
        auth.signOut();
        return;
      }
      // Gone or refused (a deleted session): asking again will not help.
      if (response.status >= 400 && response.status < 500 && response.status !== 429) return;
      if (!response.ok || !response.body) throw new Error(`stream answered ${response.status}`);
      delay = 500;
      options.onOpen?.();
      for await (const message of parseSse(response.body)) {
        if (message.id !== undefined) lastEventId = message.id;
        options.onMessage(message);
      }
    } catch {
      if (stopped()) return;
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 10_000);
  }
}

/** The messages of an SSE body, per the HTML spec's event-stream format. */
export async function* parseSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let id: string | undefined;
  let event = '';
  let data: string[] = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let newline: number;
    while ((newline = buffer.search(/\r\n|\r|\n/)) !== -1) {
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
  }
}
