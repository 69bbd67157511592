import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestApp, type TestApp } from './test-app.js';

interface ErrorJson {
  error: {
    code: string;
    message: string;
    details?: { issues?: { path: string; message: string; line?: number }[] };
  };
}
interface EnvJson {
  id: string;
  name: string;
  networkLevel: string;
  allowlist: string[];
  includeDefaults: boolean;
  envVars: string;
  setupScript: string;
  defaultAgent: string | null;
  isDefault: boolean;
  archived: boolean;
}

let t: TestApp;
beforeAll(async () => {
  t = await openTestApp();
});
afterAll(async () => {
  await t.close();
});

async function json<T>(response: Response | Promise<Response>): Promise<T> {
  return (await (await response).json()) as T;
}

async function expectError(
  response: Promise<Response>,
  status: number,
  code: string,
  message?: RegExp,
) {
  const res = await response;
  const body = await json<ErrorJson>(res);
  expect({ status: res.status, code: body.error.code }).toEqual({ status, code });
  if (message) expect(body.error.message).toMatch(message);
  return body;
}

describe('health and docs', () => {
  it('answers /healthz without a token', async () => {
    const res = await t.request('GET', '/healthz', { token: null });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok' });
  });

  it('serves an OpenAPI document covering every route', async () => {
    const doc = await json<{ paths: Record<string, unknown> }>(
      t.request('GET', '/openapi.json', { token: null }),
    );
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/me',
        '/api/v1/tokens',
        '/api/v1/tokens/{id}',
        '/api/v1/environments',
        '/api/v1/environments/{id}',
        '/api/v1/environments/{id}/archive',
        '/api/v1/environments/{id}/default',
        '/api/v1/network/trusted-domains',
        '/api/v1/users',
      ]),
    );
  });
});

describe('auth', () => {
  it('requires a bearer token on every /api/v1 route', async () => {
    for (const path of ['/api/v1/me', '/api/v1/environments', '/api/v1/tokens', '/api/v1/nope']) {
      const res = await t.request('GET', path, { token: null });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
    await expectError(
      t.request('GET', '/api/v1/me', { token: 'hgr_not-a-real-one' }),
      401,
      'unauthorized',
      /Invalid token/,
    );
  });

  it('rejects a malformed Authorization header', async () => {
    for (const authorization of [
      'Token abc',
      'Bearer',
      `Basic ${t.token}`,
      `Bearer ${t.token} extra`,
    ]) {
      await expectError(
        t.request('GET', '/api/v1/me', { headers: { authorization } }),
        401,
        'unauthorized',
        /Malformed Authorization header/,
      );
    }
  });

  it('says who a token belongs to', async () => {
    const me = await json<{ name: string; isAdmin: boolean; defaultEnvironmentId: string }>(
      t.request('GET', '/api/v1/me'),
    );
    expect(me).toMatchObject({ name: 'admin', isAdmin: true });
    expect(me.defaultEnvironmentId).toMatch(/^env_/);
  });

  it('creates, lists and revokes tokens; a revoked token stops working at once', async () => {
    const created = await t.request('POST', '/api/v1/tokens', { body: { name: 'ci' } });
    expect(created.status).toBe(201);
    const { id, token, prefix } = await json<{ id: string; token: string; prefix: string }>(
      created,
    );
    expect(token.startsWith(prefix)).toBe(true);
    expect((await t.request('GET', '/api/v1/me', { token })).status).toBe(200);

    const { tokens } = await json<{ tokens: { id: string; token?: string }[] }>(
      t.request('GET', '/api/v1/tokens'),
    );
    expect(tokens.map((x) => x.id)).toContain(id);
    expect(tokens.every((x) => x.token === undefined)).toBe(true);

    expect((await t.request('DELETE', `/api/v1/tokens/${id}`)).status).toBe(200);
    await expectError(t.request('GET', '/api/v1/me', { token }), 401, 'unauthorized', /revoked/);
    await expectError(t.request('DELETE', `/api/v1/tokens/${id}`), 404, 'not_found');
  });

  it('refuses an expired token, saying it expired', async () => {
    const { token } = await json<{ token: string }>(
      t.request('POST', '/api/v1/tokens', { body: { name: 'short', expiresInDays: 1 } }),
    );
    expect((await t.request('GET', '/api/v1/me', { token })).status).toBe(200);
    t.setNow(new Date(Date.now() + 2 * 86_400_000));
    try {
      await expectError(t.request('GET', '/api/v1/me', { token }), 401, 'unauthorized', /expired/);
    } finally {
      t.setNow(new Date());
    }
  });

  it('validates token requests', async () => {
    await expectError(
      t.request('POST', '/api/v1/tokens', { body: { name: '' } }),
      400,
      'invalid_request',
      /name/,
    );
    await expectError(
      t.request('POST', '/api/v1/tokens', { body: { name: 'x', expiresInDays: 1.5 } }),
      400,
      'invalid_request',
      /expiresInDays: must be a whole number/,
    );
  });
});

describe('users', () => {
  it('lets an admin add a user, who gets a token, a default environment, and nothing of the admin', async () => {
    const res = await t.request('POST', '/api/v1/users', { body: { name: 'bob' } });
    expect(res.status).toBe(201);
    const bob = await json<{ id: string; token: string; isAdmin: boolean }>(res);
    expect(bob.isAdmin).toBe(false);
    const me = await json<{ name: string; defaultEnvironmentId: string }>(
      t.request('GET', '/api/v1/me', { token: bob.token }),
    );
    expect(me.name).toBe('bob');
    const mine = await json<{ environments: EnvJson[] }>(
      t.request('GET', '/api/v1/environments', { token: bob.token }),
    );
    expect(mine.environments.map((e) => e.id)).toEqual([me.defaultEnvironmentId]);
    const admins = await json<{ environments: EnvJson[] }>(
      t.request('GET', '/api/v1/environments'),
    );
    await expectError(
      t.request('GET', `/api/v1/environments/${admins.environments[0]?.id ?? ''}`, {
        token: bob.token,
      }),
      404,
      'not_found',
    );
    await expectError(
      t.request('POST', '/api/v1/users', { body: { name: 'eve' }, token: bob.token }),
      403,
      'forbidden',
      /Only an admin/,
    );
    await expectError(
      t.request('POST', '/api/v1/users', { body: { name: '' } }),
      400,
      'invalid_request',
      /^name: /,
    );
  });
});

describe('environments', () => {
  const create = (body: unknown) => t.request('POST', '/api/v1/environments', { body });

  it('starts with a default environment on the trusted level', async () => {
    const { environments } = await json<{ environments: EnvJson[] }>(
      t.request('GET', '/api/v1/environments'),
    );
    expect(environments).toEqual([
      expect.objectContaining({
        name: 'Default',
        networkLevel: 'trusted',
        isDefault: true,
        archived: false,
      }),
    ]);
  });

  it('creates an environment with every setting, normalising patterns and keeping .env text', async () => {
    const envVars = 'API_URL="https://example.com"\n# comment\nDEBUG=1\n';
    const res = await create({
      name: 'Python',
      networkLevel: 'custom',
      allowlist: [
        '*.PyPI.org.',
        'files.pythonhosted.org',
        'git.example.com:22',
        'files.pythonhosted.org',
      ],
      includeDefaults: true,
      envVars,
      setupScript: 'apt-get install -y gh\n',
    });
    expect(res.status).toBe(201);
    const env = await json<EnvJson>(res);
    expect(env).toMatchObject({
      name: 'Python',
      networkLevel: 'custom',
      allowlist: ['*.pypi.org', 'files.pythonhosted.org', 'git.example.com:22'],
      includeDefaults: true,
      envVars,
      setupScript: 'apt-get install -y gh\n',
      isDefault: false,
    });
    expect(await json<EnvJson>(t.request('GET', `/api/v1/environments/${env.id}`))).toEqual(env);
  });

  it('names the bad .env line', async () => {
    const body = await expectError(
      create({ name: 'Bad env', envVars: 'GOOD=1\nnot a pair\n2X=y' }),
      400,
      'invalid_request',
      /^envVars: line 2: expected KEY=value \(and 1 more\)$/,
    );
    expect(body.error.details?.issues).toEqual([
      { path: 'envVars', line: 2, message: 'line 2: expected KEY=value' },
      {
        path: 'envVars',
        line: 3,
        message: expect.stringMatching(/^line 3: "2X" is not a valid name/) as string,
      },
    ]);
  });

  it('gives the line of a bad .env line as a number, for editors to mark', async () => {
    const body = await expectError(
      create({ name: 'Marked', envVars: 'A=1\nbad line\n' }),
      400,
      'invalid_request',
    );
    expect(body.error.details?.issues).toEqual([
      { path: 'envVars', line: 2, message: 'line 2: expected KEY=value' },
    ]);
    // Other fields' issues carry no line.
    const other = await expectError(create({ name: '' }), 400, 'invalid_request');
    expect(other.error.details?.issues?.[0]).not.toHaveProperty('line');
  });

  it('names each refused allowlist pattern', async () => {
    const body = await expectError(
      create({
        name: 'Bad net',
        networkLevel: 'custom',
        allowlist: ['ok.example.com', '*.co.uk', 'http://x.com', '*'],
      }),
      400,
      'invalid_request',
      /allowlist\[1\]: "\*\.co\.uk" puts a wildcard over the public suffix/,
    );
    expect(body.error.details?.issues?.map((i) => i.path)).toEqual([
      'allowlist[1]',
      'allowlist[2]',
      'allowlist[3]',
    ]);
  });

  it('refuses a custom level that allows nothing', async () => {
    await expectError(
      create({ name: 'Empty', networkLevel: 'custom' }),
      400,
      'invalid_request',
      /custom network level needs at least one allowed domain/,
    );
  });

  it('refuses unknown fields, wrong types, bad levels and bad JSON with the field named', async () => {
    await expectError(create({ name: 'X', colour: 'red' }), 400, 'invalid_request', /colour/);
    await expectError(create({ name: 42 }), 400, 'invalid_request', /^name: /);
    await expectError(
      create({ name: 'X', networkLevel: 'open' }),
      400,
      'invalid_request',
      /^networkLevel: /,
    );
    await expectError(
      create({ name: 'X', allowlist: 'a.com' }),
      400,
      'invalid_request',
      /^allowlist: /,
    );
    await expectError(create({}), 400, 'invalid_request', /^name: /);
    await expectError(create([]), 400, 'invalid_request');
    await expectError(
      t.request('POST', '/api/v1/environments', { raw: '{"name": "X",' }),
      400,
      'invalid_json',
      /not valid JSON/,
    );
    await expectError(
      t.request('GET', '/api/v1/environments?archived=maybe'),
      400,
      'invalid_request',
      /^archived: /,
    );
  });

  it('refuses a second live environment with the same name', async () => {
    await create({ name: 'Twin' });
    await expectError(create({ name: 'twin' }), 409, 'conflict', /already exists/);
  });

  it('edits only the fields given, and checks the result as a whole', async () => {
    const env = await json<EnvJson>(create({ name: 'Editable', envVars: 'A=1' }));
    const patch = (body: unknown) => t.request('PATCH', `/api/v1/environments/${env.id}`, { body });

    const edited = await json<EnvJson>(
      patch({ networkLevel: 'custom', allowlist: ['api.example.com'] }),
    );
    expect(edited).toMatchObject({
      name: 'Editable',
      envVars: 'A=1',
      networkLevel: 'custom',
      allowlist: ['api.example.com'],
    });
    await expectError(patch({ allowlist: [] }), 400, 'invalid_request', /custom network level/);
    await expectError(patch({ id: 'env_other' }), 400, 'invalid_request', /id/);
    await expectError(patch({ setupScript: 'a\0b' }), 400, 'invalid_request', /^setupScript: /);
    expect(await json<EnvJson>(t.request('GET', `/api/v1/environments/${env.id}`))).toMatchObject(
      edited,
    );
  });

  it("sets, shows and clears an environment's default agent, naming the agents when one is unknown", async () => {
    const env = await json<EnvJson>(create({ name: 'Codex work', defaultAgent: 'codex' }));
    expect(env).toMatchObject({ defaultAgent: 'codex' });
    const patch = (body: unknown) => t.request('PATCH', `/api/v1/environments/${env.id}`, { body });
    // Editing another field keeps it.
    expect(await json<EnvJson>(patch({ envVars: 'A=1' }))).toMatchObject({ defaultAgent: 'codex' });
    expect(await json<EnvJson>(patch({ defaultAgent: 'opencode' }))).toMatchObject({
      defaultAgent: 'opencode',
    });
    for (const bad of [patch({ defaultAgent: 'aider' }), create({ name: 'X', defaultAgent: '' })]) {
      await expectError(
        bad,
        400,
        'invalid_request',
        /^defaultAgent: must be one of claude-code, codex, opencode$/,
      );
    }
    // null: the server's default.
    expect(await json<EnvJson>(patch({ defaultAgent: null }))).toMatchObject({
      defaultAgent: null,
    });
    expect(await json<EnvJson>(create({ name: 'Plain' }))).toMatchObject({ defaultAgent: null });
  });

  it('archives environments out of the list unless asked, and protects the default', async () => {
    const env = await json<EnvJson>(create({ name: 'Old' }));
    const archived = await json<EnvJson>(
      t.request('POST', `/api/v1/environments/${env.id}/archive`),
    );
    expect(archived.archived).toBe(true);
    const live = await json<{ environments: EnvJson[] }>(t.request('GET', '/api/v1/environments'));
    expect(live.environments.map((e) => e.id)).not.toContain(env.id);
    const all = await json<{ environments: EnvJson[] }>(
      t.request('GET', '/api/v1/environments?archived=true'),
    );
    expect(all.environments.map((e) => e.id)).toContain(env.id);

    await expectError(
      t.request('POST', `/api/v1/environments/${env.id}/default`),
      409,
      'conflict',
      /archived/,
    );
    const def = live.environments.find((e) => e.isDefault);
    await expectError(
      t.request('POST', `/api/v1/environments/${def?.id ?? ''}/archive`),
      409,
      'conflict',
      /default/,
    );
  });

  it('moves the default', async () => {
    const env = await json<EnvJson>(create({ name: 'New default' }));
    const res = await json<EnvJson>(t.request('POST', `/api/v1/environments/${env.id}/default`));
    expect(res.isDefault).toBe(true);
    const { environments } = await json<{ environments: EnvJson[] }>(
      t.request('GET', '/api/v1/environments'),
    );
    expect(environments.filter((e) => e.isDefault).map((e) => e.id)).toEqual([env.id]);
  });

  it('answers 404 for an unknown id', async () => {
    for (const [method, path] of [
      ['GET', '/api/v1/environments/env_missing'],
      ['POST', '/api/v1/environments/env_missing/archive'],
      ['POST', '/api/v1/environments/env_missing/default'],
    ] as const) {
      await expectError(t.request(method, path), 404, 'not_found', /env_missing/);
    }
    await expectError(
      t.request('PATCH', '/api/v1/environments/env_missing', { body: { name: 'x' } }),
      404,
      'not_found',
    );
  });

  it('serves the trusted default list', async () => {
    const { groups } = await json<{ groups: { name: string; patterns: string[] }[] }>(
      t.request('GET', '/api/v1/network/trusted-domains'),
    );
    expect(groups.flatMap((g) => g.patterns)).toEqual(
      expect.arrayContaining(['github.com', '*.npmjs.org']),
    );
  });
});

describe('bad input never yields a 500', () => {
  const bodies: unknown[] = [
    null,
    0,
    'x',
    [],
    {},
    { name: null },
    { name: 'x'.repeat(10_000) },
    { allowlist: [null] },
  ];
  const raws = ['', '{', 'null', '\u0000', '{"name":"\\ud800"}', '{"__proto__":{"x":1}}'];

  it('on every write route', async () => {
    const paths: [string, string][] = [
      ['POST', '/api/v1/environments'],
      ['PATCH', '/api/v1/environments/env_x'],
      ['POST', '/api/v1/tokens'],
    ];
    for (const [method, path] of paths) {
      for (const body of bodies) {
        const res = await t.request(method, path, { body });
        expect(res.status, `${method} ${path} ${JSON.stringify(body)}`).toBeLessThan(500);
      }
      for (const raw of raws) {
        const res = await t.request(method, path, { raw });
        expect(res.status, `${method} ${path} ${JSON.stringify(raw)}`).toBeLessThan(500);
      }
    }
  });

  it('refuses an oversized body with 413', async () => {
    await expectError(
      t.request('POST', '/api/v1/environments', {
        body: { name: 'big', setupScript: 'x'.repeat(2 * 1024 * 1024) },
      }),
      413,
      'too_large',
    );
  });
});
