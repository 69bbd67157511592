import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiClient } from '../client.js';
import { followEvents, formatEvent } from './sessions.js';

describe('followEvents', () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  const event = (seq: number) =>
    `id: ${seq}\ndata: ${JSON.stringify({ seq, type: 'message.assistant', data: { text: `event ${seq}` } })}\n\n`;

  it('reconnects after a reset connection and a stream cut mid-way, from the last event seen', async () => {
    const asked: string[] = [];
    server = createServer((req, res) => {
      asked.push(String(req.headers['last-event-id']));
      if (asked.length === 1) return req.socket.destroy(); // the connect itself fails
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      if (asked.length === 2) {
        res.write(event(1));
        setTimeout(() => req.socket.destroy(), 50); // cut, not ended
        return;
      }
      res.end(event(2));
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const api = new ApiClient({ server: `http://127.0.0.1:${port}`, token: 't' });
    const seen: number[] = [];
    const answer = await followEvents(api, 'ses_1', 0, (e) => {
      seen.push(e.seq);
      return e.seq === 2 ? 'done' : undefined;
    });
    expect(answer).toBe('done');
    expect(seen).toEqual([1, 2]);
    expect(asked).toEqual(['0', '0', '1']);
  });

  it('closes the stream once it has what it waited for, so the command can exit', async () => {
    let closed!: Promise<void>;
    server = createServer((_req, res) => {
      closed = new Promise((resolve) => res.on('close', resolve));
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(event(1)); // and the stream stays open, as a live session's does
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const api = new ApiClient({ server: `http://127.0.0.1:${port}`, token: 't' });
    expect(await followEvents(api, 'ses_1', 0, (e) => e.seq)).toBe(1);
    await closed;
  }, 5_000);

  it('gives up on a server it cannot reach for the whole reconnect window, saying where', async () => {
    server = createServer((req) => req.socket.destroy());
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const api = new ApiClient({ server: `http://127.0.0.1:${port}`, token: 't' });
    await expect(followEvents(api, 'ses_1', 0, () => undefined, 600)).rejects.toThrow(
      `Cannot reach Hangar at http://127.0.0.1:${port}`,
    );
  });
});

describe('formatEvent', () => {
  it("heads a hook's output with its name, and says when it failed", () => {
    const hook = (data: Record<string, unknown>) =>
      formatEvent({ seq: 1, type: 'hook.output', data, createdAt: '' });
    expect(hook({ hook: 'SessionStart:startup', text: 'deps ready\n', isError: false })).toBe(
      '· SessionStart:startup hook\ndeps ready',
    );
    expect(hook({ hook: 'SessionStart:resume', text: '', isError: true, exitCode: 2 })).toBe(
      '· SessionStart:resume hook failed (exit 2)',
    );
  });

  it('marks a compaction', () => {
    const compacted = (trigger: string) =>
      formatEvent({ seq: 1, type: 'context.compacted', data: { trigger }, createdAt: '' });
    expect(compacted('manual')).toBe('— conversation compacted (manual)');
    expect(compacted('auto')).toBe('— conversation compacted (context full)');
  });
});
