import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import { policyFor } from './egress-policy.js';
import { createGateway, type Attachment, type Gateway } from './gateway.js';
import { modelUpstreamFrom, PLACEHOLDER_API_KEY } from './model-gateway.js';
import { closeServer, listenLoopback, tempDir } from './test-gateway.js';

const REAL_KEY = 'sk-ant-real-key-that-stays-on-the-host';

/** A model API stand-in: the second SSE event is sent only after the client saw the first. */
let releaseSecond: () => void = () => undefined;
const received: { method: string; url: string; headers: IncomingHttpHeaders; body: string }[] = [];
const upstream = createServer((req, res) => {
  let body = '';
  req.on('data', (chunk: Buffer) => (body += chunk.toString()));
  req.on('end', () => {
    received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
    if (!req.url?.includes('/v1/messages')) {
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write('event: message_start\ndata: {"type":"message_start"}\n\n');
    releaseSecond = () => {
      res.end('event: message_stop\ndata: {"type":"message_stop"}\n\n');
    };
  });
});

const temp = tempDir();
let gateway: Gateway;
let attachment: Attachment;
let socketPath = '';

beforeAll(async () => {
  const port = await listenLoopback(upstream);
  gateway = createGateway({
    models: {
      anthropic: modelUpstreamFrom({
        ANTHROPIC_BASE_URL: `http://127.0.0.1:${port}/prefix/`,
        ANTHROPIC_API_KEY: REAL_KEY,
      }),
    },
  });
  socketPath = join(temp.dir, 'model.sock');
  // Level none: the model gateway is allowed even so.
  attachment = await gateway.attach('model', {
    socketPath,
    policy: policyFor({ level: 'none' }, []),
  });
});

afterAll(async () => {
  await gateway.close();
  await closeServer(upstream);
  temp.remove();
});

function send(
  path: string,
  options: {
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    socket?: string;
  } = {},
  onChunk?: (text: string) => void,
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath: options.socket ?? socketPath,
        path,
        method: options.method ?? 'GET',
        headers: options.headers,
      },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => {
          body += chunk.toString();
          onChunk?.(chunk.toString());
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('model gateway', () => {
  it('injects the real key in place of the placeholder, at network level none', async () => {
    const answer = await send('/model/anthropic/api/hello', {
      method: 'HEAD',
      headers: { 'x-api-key': PLACEHOLDER_API_KEY, authorization: 'Bearer sandbox-made-this-up' },
    });
    expect(answer.status).toBe(200);
    const hello = received.at(-1);
    expect(hello).toMatchObject({ method: 'HEAD', url: '/prefix/api/hello' });
    expect(hello?.headers['x-api-key']).toBe(REAL_KEY);
    expect(hello?.headers.authorization).toBeUndefined();
    expect(attachment.denials()).toEqual([]);
  });

  it('streams SSE through without buffering, query and body intact', async () => {
    let first = '';
    const answer = await send(
      '/model/anthropic/v1/messages?beta=true',
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-api-key': PLACEHOLDER_API_KEY,
          'anthropic-version': '2023-06-01',
        },
        body: '{"stream":true}',
      },
      (text) => {
        // Only once the first event has reached the client does upstream send the rest.
        if (first === '') {
          first = text;
          releaseSecond();
        }
      },
    );
    expect(first).toContain('message_start');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('text/event-stream');
    expect(answer.body).toContain('message_stop');
    const call = received.at(-1);
    expect(call).toMatchObject({ url: '/prefix/v1/messages?beta=true', body: '{"stream":true}' });
    expect(call?.headers['anthropic-version']).toBe('2023-06-01');
    expect(call?.headers['x-api-key']).toBe(REAL_KEY);
  });

  it('refuses unknown providers and dot segments', async () => {
    expect((await send('/model/openai/v1/chat')).status).toBe(404);
    expect((await send('/model/anthropic/../../etc')).status).toBe(400);
    expect((await send('/model/anthropic/%2e%2e/x')).status).toBe(400);
  });

  it('says so when the server has no key', async () => {
    const keyless = createGateway({ models: { anthropic: modelUpstreamFrom({}) } });
    const socket = join(temp.dir, 'keyless.sock');
    const box = await keyless.attach('keyless', {
      socketPath: socket,
      policy: policyFor({ level: 'full' }, []),
    });
    const answer = await send('/model/anthropic/v1/messages', { method: 'POST', socket });
    expect(answer.status).toBe(503);
    expect(answer.body).toMatch(/no ANTHROPIC_API_KEY/);
    await box.detach();
  });
});

describe('modelUpstreamFrom', () => {
  it('defaults the base URL and names a bad one', () => {
    expect(modelUpstreamFrom({}).baseUrl.protocol).toBe('https:');
    expect(() => modelUpstreamFrom({ ANTHROPIC_BASE_URL: 'ftp://x' })).toThrow(ValidationError);
    expect(() => modelUpstreamFrom({ ANTHROPIC_BASE_URL: 'nope' })).toThrow(/ANTHROPIC_BASE_URL/);
  });
});
