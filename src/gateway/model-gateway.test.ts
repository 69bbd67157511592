import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import { policyFor } from './egress-policy.js';
import { createGateway, type Attachment, type Gateway } from './gateway.js';
import { OPENAI_API } from './model-apis.js';
import { modelUpstreamFrom, PLACEHOLDER_API_KEY } from './model-gateway.js';
import { closeServer, listenLoopback, tempDir } from './test-gateway.js';

const REAL_KEY = 'sk-ant-real-key-that-stays-on-the-host';
const REAL_OPENAI_KEY = 'sk-openai-real-key-that-stays-on-the-host';

/** A model API stand-in: the second SSE event is sent only after the client saw the first. */
let releaseSecond: () => void = () => undefined;
const received: { method: string; url: string; headers: IncomingHttpHeaders; body: string }[] = [];
const upstream = createServer((req, res) => {
  let body = '';
  req.on('data', (chunk: Buffer) => (body += chunk.toString()));
  req.on('end', () => {
    received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
    if (!req.url?.includes('/v1/messages') || req.url.includes('count_tokens')) {
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

let openaiSocket = '';

beforeAll(async () => {
  const port = await listenLoopback(upstream);
  // OpenAI on a gateway of its own: the shared one serves Anthropic alone.
  const openai = createGateway({
    models: {
      openai: modelUpstreamFrom(
        { OPENAI_BASE_URL: `http://127.0.0.1:${port}/oa/v1`, OPENAI_API_KEY: REAL_OPENAI_KEY },
        OPENAI_API,
      ),
    },
  });
  openaiSocket = join(temp.dir, 'openai.sock');
  await openai.attach('openai', {
    socketPath: openaiSocket,
    policy: policyFor({ level: 'none' }, []),
  });
  closeOpenai = () => openai.close();
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

let closeOpenai: () => Promise<void> = () => Promise.resolve();

afterAll(async () => {
  await closeOpenai();
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

  it("refuses unknown providers, and every route an agent does not need, in Anthropic's error shape", async () => {
    const unknown = await send('/model/openai/v1/chat');
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body)).toMatchObject({
      type: 'error',
      error: { type: 'not_found_error' },
    });
    const before = received.length;
    for (const [method, path] of [
      ['GET', '/model/anthropic/v1/files'],
      ['POST', '/model/anthropic/v1/files'],
      ['POST', '/model/anthropic/v1/messages/batches'],
      ['GET', '/model/anthropic/v1/organizations/me'],
      ['GET', '/model/anthropic/v1/organizations/api_keys'],
      ['GET', '/model/anthropic/v1/messages'],
      ['POST', '/model/anthropic/v1/messages/'],
      ['POST', '/model/anthropic//v1/messages'],
      ['POST', '/model/anthropic/v1/messages/../files'],
      ['POST', '/model/anthropic/v1/messages/%2e%2e/files'],
      ['POST', '/model/anthropic/v1/complete'],
      ['GET', '/model/anthropic/../../etc'],
      ['GET', '/model/anthropic'],
    ] as const) {
      const answer = await send(path, { method, body: method === 'POST' ? '{}' : undefined });
      expect(answer.status, `${method} ${path}`).toBe(403);
      expect(answer.headers['x-hangar-deny-reason']).toBe('model-route-not-allowed');
      const body = JSON.parse(answer.body) as {
        type: string;
        error: { type: string; message: string };
      };
      expect(body).toMatchObject({ type: 'error', error: { type: 'permission_error' } });
      expect(body.error.message).toMatch(/is not forwarded to the model API/);
    }
    expect(received.length).toBe(before);
  });

  it('forwards the routes an agent needs', async () => {
    for (const [method, path] of [
      ['GET', '/model/anthropic/v1/models'],
      ['GET', '/model/anthropic/v1/models/claude-sonnet-4-5'],
      ['POST', '/model/anthropic/v1/messages/count_tokens'],
      ['HEAD', '/model/anthropic/api/hello'],
    ] as const) {
      const before = received.length;
      const answer = await send(path, { method });
      expect(answer.status, `${method} ${path}`).toBe(200);
      expect(received.length).toBe(before + 1);
    }
  });

  it("forwards OpenAI's Responses API with the key as a bearer token, below OPENAI_BASE_URL", async () => {
    const answer = await send('/model/openai/v1/responses', {
      method: 'POST',
      socket: openaiSocket,
      headers: { authorization: `Bearer ${PLACEHOLDER_API_KEY}`, 'x-api-key': 'sk-sandbox' },
      body: '{"stream":true}',
    });
    expect(answer.status).toBe(200);
    const call = received.at(-1);
    expect(call).toMatchObject({
      method: 'POST',
      url: '/oa/v1/responses',
      body: '{"stream":true}',
    });
    expect(call?.headers.authorization).toBe(`Bearer ${REAL_OPENAI_KEY}`);
    expect(call?.headers['x-api-key']).toBeUndefined();
    expect(JSON.stringify(call?.headers)).not.toContain(REAL_KEY);
    expect((await send('/model/openai/v1/models/gpt-5.5', { socket: openaiSocket })).status).toBe(
      200,
    );
    expect(received.at(-1)?.url).toBe('/oa/v1/models/gpt-5.5');
  });

  it("refuses every OpenAI route an agent does not need, in OpenAI's error shape", async () => {
    const before = received.length;
    for (const [method, path] of [
      ['POST', '/model/openai/v1/files'],
      ['POST', '/model/openai/v1/chat/completions'],
      ['POST', '/model/openai/v1/fine_tuning/jobs'],
      ['GET', '/model/openai/v1/organization/api_keys'],
      ['POST', '/model/openai/v1/responses/../files'],
      ['POST', '/model/openai/responses'],
      ['POST', '/model/openai/v1/messages'],
    ] as const) {
      const answer = await send(path, {
        method,
        socket: openaiSocket,
        body: method === 'POST' ? '{}' : undefined,
      });
      expect(answer.status, `${method} ${path}`).toBe(403);
      const body = JSON.parse(answer.body) as { error: { type: string; message: string } };
      expect(body.error.type).toBe('permission_error');
      expect(body.error.message).toMatch(/only the Responses API/);
    }
    expect(received.length).toBe(before);
  });

  it('says what to do when the server has no key, with a status the agent does not retry', async () => {
    const keyless = createGateway({ models: { anthropic: modelUpstreamFrom({}) } });
    const socket = join(temp.dir, 'keyless.sock');
    const box = await keyless.attach('keyless', {
      socketPath: socket,
      policy: policyFor({ level: 'full' }, []),
    });
    const answer = await send('/model/anthropic/v1/messages', { method: 'POST', socket });
    // Claude Code retries 5xx (and 408, 409, 429) for minutes and calls them temporary.
    expect(answer.status).toBe(403);
    expect(answer.headers['x-hangar-deny-reason']).toBe('no-model-key');
    expect(JSON.parse(answer.body)).toMatchObject({
      type: 'error',
      error: {
        type: 'permission_error',
        message: expect.stringMatching(/set ANTHROPIC_API_KEY/) as unknown,
      },
    });
    expect(answer.body).not.toMatch(/temporar|retry/i);
    await box.detach();
  });

  it("says what to do when the server has no OpenAI key, in OpenAI's error shape", async () => {
    const noOpenai = createGateway({ models: { openai: modelUpstreamFrom({}, OPENAI_API) } });
    const other = join(temp.dir, 'keyless-openai.sock');
    const openaiBox = await noOpenai.attach('keyless-openai', {
      socketPath: other,
      policy: policyFor({ level: 'full' }, []),
    });
    const refused = await send('/model/openai/v1/responses', { method: 'POST', socket: other });
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body)).toMatchObject({
      error: {
        type: 'permission_error',
        message: expect.stringMatching(/set OPENAI_API_KEY/) as string,
      },
    });
    await openaiBox.detach();
  });

  it('forwards to a stand-in upstream without a key, and sends it none', async () => {
    const port = (upstream.address() as { port: number }).port;
    const standIn = createGateway({
      models: { anthropic: modelUpstreamFrom({ ANTHROPIC_BASE_URL: `http://127.0.0.1:${port}` }) },
    });
    const socket = join(temp.dir, 'stand-in.sock');
    const box = await standIn.attach('stand-in', {
      socketPath: socket,
      policy: policyFor({ level: 'none' }, []),
    });
    const before = received.length;
    const answer = await send('/model/anthropic/v1/models', {
      socket,
      headers: { 'x-api-key': PLACEHOLDER_API_KEY },
    });
    expect(answer.status).toBe(200);
    expect(received.slice(before)).toHaveLength(1);
    expect(received[before]?.url).toBe('/v1/models');
    expect(received[before]?.headers['x-api-key']).toBeUndefined();
    await box.detach();
  });
});

describe('modelUpstreamFrom', () => {
  it('defaults the base URL and names a bad one', () => {
    expect(modelUpstreamFrom({}).baseUrl.protocol).toBe('https:');
    expect(() => modelUpstreamFrom({ ANTHROPIC_BASE_URL: 'ftp://x' })).toThrow(ValidationError);
    expect(() => modelUpstreamFrom({ ANTHROPIC_BASE_URL: 'nope' })).toThrow(/ANTHROPIC_BASE_URL/);
    expect(modelUpstreamFrom({}, OPENAI_API).baseUrl.href).toBe('https://api.openai.com/v1');
    expect(() => modelUpstreamFrom({ OPENAI_BASE_URL: 'nope' }, OPENAI_API)).toThrow(
      /OPENAI_BASE_URL/,
    );
  });
});
