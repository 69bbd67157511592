import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GitHubStandIn } from '../../../fixtures/github/stand-in.js';
import { githubClient } from '../../github/client.js';
import { repoWithCommits } from '../../git/test-repo.js';
import { LOG_REDACT } from '../serve.js';
import { openTestApp, type TestApp } from '../test-app.js';

let t: TestApp;
let gh: GitHubStandIn;
let token: string;
let dir: string;
/** Every answer the API gave, to show the token is never in one. */
const answers: string[] = [];

beforeAll(async () => {
  t = await openTestApp();
  if (!t.github) throw new Error('the test app has a GitHub stand-in');
  gh = t.github;
  token = gh.addUser('octo');
  dir = mkdtempSync(join(tmpdir(), 'hangar-gh-routes-'));
  repoWithCommits(join(dir, 'src'), 'one');
  for (const name of ['acme/app', 'acme/api', 'octo/dotfiles']) {
    gh.createRepo(name, { from: join(dir, 'src'), collaborators: { octo: 'write' } });
  }
});
afterAll(async () => {
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});

async function call(method: string, path: string, body?: unknown) {
  const res = await t.request(method, path, body === undefined ? {} : { body });
  const text = await res.text();
  answers.push(text);
  return { status: res.status, json: JSON.parse(text) as Record<string, unknown> };
}

describe('/api/v1/github', () => {
  it('connects a token, lists repos by search, and forgets the token', async () => {
    expect(await call('GET', '/api/v1/github')).toEqual({
      status: 200,
      json: { connected: false, login: null, via: null, tokenLogin: true },
    });
    expect(await call('POST', '/api/v1/github/token', { token })).toEqual({
      status: 200,
      json: { connected: true, login: 'octo', via: 'token', tokenLogin: true },
    });
    expect((await call('GET', '/api/v1/github')).json).toMatchObject({ login: 'octo' });

    const all = await call('GET', '/api/v1/github/repos');
    expect(all.status).toBe(200);
    expect((all.json.repos as { fullName: string }[]).map((r) => r.fullName)).toEqual([
      'acme/api',
      'acme/app',
      'octo/dotfiles',
    ]);
    const found = await call('GET', '/api/v1/github/repos?q=AP');
    expect(found.json.repos).toEqual([
      expect.objectContaining({ fullName: 'acme/api', private: true, via: 'token' }),
      expect.objectContaining({ fullName: 'acme/app', defaultBranch: 'main' }),
    ]);

    expect(await call('DELETE', '/api/v1/github/token')).toEqual({
      status: 200,
      json: { connected: false, login: null, via: null, tokenLogin: true },
    });
    expect((await call('GET', '/api/v1/github/repos')).json).toEqual({ repos: [] });
  });

  it('refuses a bad token, naming the field and what to do', async () => {
    const revoked = gh.createToken('octo');
    gh.revokeToken(revoked);
    for (const [body, message] of [
      [
        { token: revoked },
        /^token: GitHub at .* does not accept this token \(revoked, expired or mistyped\)/,
      ],
      [{ token: 'has space' }, /^token: must be a GitHub token/],
      [{ token: '' }, /^token: must not be empty/],
      [{}, /^token: /],
      [{ token, extra: 1 }, /extra/],
    ] as const) {
      const { status, json } = await call('POST', '/api/v1/github/token', body);
      expect(status).toBe(400);
      expect((json.error as { message: string }).message).toMatch(message);
    }
    expect((await call('GET', '/api/v1/github')).json).toMatchObject({ connected: false });
    expect((await call('GET', `/api/v1/github/repos?q=${'x'.repeat(101)}`)).status).toBe(400);
  });

  it('never sends a token back', () => {
    expect(answers.length).toBeGreaterThan(5);
    for (const answer of answers) expect(answer).not.toContain(token);
  });
});

describe('the server log', () => {
  it('redacts tokens and Authorization headers, including in a failed GitHub call', async () => {
    const lines: string[] = [];
    const logger = pino(
      { redact: LOG_REDACT },
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(chunk.toString());
          done();
        },
      }),
    );
    const secret = 'ghp_never-in-a-log';
    const failure: unknown = await githubClient({ apiUrl: gh.apiUrl }, secret)
      .rest.users.getAuthenticated()
      .catch((error: unknown) => error);
    logger.warn({ err: failure }, 'GitHub refused');
    logger.info({ token: secret, request: { headers: { authorization: `token ${secret}` } } }, 'x');
    logger.info({ body: { token: secret } }, 'y');
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line).not.toContain(secret);
  });
});
