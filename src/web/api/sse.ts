import { parseSse, type SseMessage } from '../../sse.js';
import { auth } from './client';

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
