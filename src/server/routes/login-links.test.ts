import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestApp, type TestApp } from '../test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await openTestApp();
});
afterAll(async () => {
  await t.close();
});

interface ErrorJson {
  error: { code: string; message: string; details?: unknown };
}
interface BrowserToken {
  token: string;
  tokenId: string;
  expiresAt: string;
  user: { id: string; name: string; isAdmin: boolean };
}

async function newCode(): Promise<{ code: string; expiresAt: string }> {
  const res = await t.request('POST', '/api/v1/login-links', { body: {} });
  expect(res.status).toBe(201);
  return (await res.json()) as { code: string; expiresAt: string };
}

const redeem = (body: unknown) =>
  t.request('POST', '/api/v1/login-links/redeem', { body, token: null });

async function expectInvalidLink(res: Response | Promise<Response>) {
  const response = await res;
  const body = (await response.json()) as ErrorJson;
  expect({ status: response.status, code: body.error.code }).toEqual({
    status: 401,
    code: 'invalid_link',
  });
  expect(body.error.message).toMatch(/unknown, already used or expired.*hangar open/);
}

describe('login links', () => {
  it('makes a code that expires in five minutes', async () => {
    const before = Date.now();
    const { code, expiresAt } = await newCode();
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const ttl = Date.parse(expiresAt) - before;
    expect(ttl).toBeGreaterThan(4.9 * 60_000);
    expect(ttl).toBeLessThanOrEqual(5 * 60_000 + 1000);
  });

  it('trades a code, once and without a token, for a 30-day browser token that works', async () => {
    const { code } = await newCode();
    const res = await redeem({ code });
    expect(res.status).toBe(200);
    const signedIn = (await res.json()) as BrowserToken;
    expect(signedIn.user).toMatchObject({ name: 'admin', isAdmin: true });
    const days = (Date.parse(signedIn.expiresAt) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThanOrEqual(30);

    const me = await t.request('GET', '/api/v1/me', { token: signedIn.token });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ id: signedIn.user.id, tokenId: signedIn.tokenId });
    const { tokens } = (await (await t.request('GET', '/api/v1/tokens')).json()) as {
      tokens: { id: string; name: string }[];
    };
    expect(tokens).toContainEqual(
      expect.objectContaining({ id: signedIn.tokenId, name: 'browser' }),
    );

    await expectInvalidLink(redeem({ code }));
  });

  it('refuses an unknown code and an expired one alike', async () => {
    await expectInvalidLink(redeem({ code: 'x'.repeat(43) }));
    const { code } = await newCode();
    t.setNow(new Date(Date.now() + 5 * 60_000 + 1000));
    try {
      await expectInvalidLink(redeem({ code }));
    } finally {
      t.setNow(new Date());
    }
  });

  it('makes links only for a signed-in user', async () => {
    const res = await t.request('POST', '/api/v1/login-links', { body: {}, token: null });
    expect(res.status).toBe(401);
    expect(((await res.json()) as ErrorJson).error.code).toBe('unauthorized');
    const bad = await t.request('POST', '/api/v1/login-links', { body: {}, token: 'hgr_nope' });
    expect(bad.status).toBe(401);
  });

  it('answers hostile bodies with a 400 naming the problem', async () => {
    const cases: [string, { body?: unknown; raw?: string; token?: null }, RegExp][] = [
      ['/api/v1/login-links', { body: { userId: 'usr_someone' } }, /userId/],
      ['/api/v1/login-links', { body: [] }, /./],
      ['/api/v1/login-links', { raw: '{' }, /not valid JSON/],
      ['/api/v1/login-links/redeem', { body: {}, token: null }, /^code: /],
      ['/api/v1/login-links/redeem', { body: { code: 42 }, token: null }, /^code: /],
      ['/api/v1/login-links/redeem', { body: { code: '' }, token: null }, /^code: /],
      ['/api/v1/login-links/redeem', { body: { code: 'x'.repeat(201) }, token: null }, /^code: /],
      [
        '/api/v1/login-links/redeem',
        { body: { code: 'abc', token: 'hgr_x' }, token: null },
        /token/,
      ],
      ['/api/v1/login-links/redeem', { body: 'abc', token: null }, /./],
      ['/api/v1/login-links/redeem', { raw: '{"code":', token: null }, /not valid JSON/],
    ];
    for (const [path, options, message] of cases) {
      const res = await t.request('POST', path, options);
      const body = (await res.json()) as ErrorJson;
      expect({ path, options, status: res.status }).toEqual({ path, options, status: 400 });
      expect(body.error.message).toMatch(message);
    }
  });

  it('lets nothing else under /api/v1 through without a token', async () => {
    for (const [method, path] of [
      ['GET', '/api/v1/login-links/redeem'],
      ['POST', '/api/v1/login-links/redeem/'],
      ['POST', '/api/v1/login-links'],
      ['GET', '/api/v1/me'],
    ] as const) {
      const res = await t.request(method, path, { token: null });
      expect({ method, path, status: res.status }).toEqual({ method, path, status: 401 });
    }
  });

  it('are in the OpenAPI document', async () => {
    const doc = (await (await t.request('GET', '/openapi.json', { token: null })).json()) as {
      paths: Record<string, { post?: { security?: unknown } }>;
    };
    expect(doc.paths['/api/v1/login-links']?.post?.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/api/v1/login-links/redeem']?.post).toBeDefined();
    expect(doc.paths['/api/v1/login-links/redeem']?.post?.security).toBeUndefined();
  });
});
