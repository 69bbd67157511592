import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oneCommitBundle } from '../../src/git/test-repo.js';
import { openTestApp, type TestApp } from '../../src/server/test-app.js';
import { addModelUsage } from '../../src/store/model-usage.js';
import { isolatedEnv, runHangar } from './hangar.js';

/**
 * `hangar usage` against a real server, and what the CLI prints when a window limit
 * refuses a follow-up: the server's message naming the limit, and when to try again.
 */
let t: TestApp;
let url: string;
let bundleBytes: Buffer;

beforeAll(async () => {
  t = await openTestApp({
    sessions: true,
    limits: { sessionsPerHour: 4, sessionsPerUser: 2 },
    modelLimits: { requestsPerSession: undefined, tokensPerUserPerDay: 500 },
  });
  const repo = mkdtempSync(join(tmpdir(), 'hangar-usage-cli-'));
  bundleBytes = oneCommitBundle(repo);
  rmSync(repo, { recursive: true, force: true });
  url = await t.listen();
}, 120_000);
afterAll(async () => {
  await t.close();
});

async function startSession(token: string): Promise<string> {
  const upload = await t.request('POST', '/api/v1/bundles', {
    raw: bundleBytes,
    contentType: 'application/octet-stream',
    token,
  });
  const { id: bundleId } = (await upload.json()) as { id: string };
  const res = await t.request('POST', '/api/v1/sessions', {
    body: { prompt: 'add hello.txt', source: { type: 'bundle', bundleId } },
    token,
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

describe('hangar usage', { timeout: 120_000 }, () => {
  it('prints each user against the limits; a refused follow-up says which limit and when to retry', async () => {
    t.setNow(new Date('2030-05-01T22:00:00Z'));
    const made = await t.request('POST', '/api/v1/users', { body: { name: 'grace' } });
    const grace = (await made.json()) as { id: string; token: string };
    const session = await startSession(grace.token);
    await addModelUsage(t.store.db, { sessionId: session, userId: grace.id }, '2030-05-01', {
      requests: 2,
      inputTokens: 450,
      outputTokens: 50,
    });

    const env = isolatedEnv({ HANGAR_SERVER: url, HANGAR_TOKEN: t.token });
    const usage = await runHangar(['usage'], env);
    expect(usage.stderr).toBe('');
    expect(usage.code).toBe(0);
    const lines = usage.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^USER +RUNNING +QUEUED +STARTED \(1H\) +TOKENS TODAY \(2030-05-01 UTC\)$/,
    );
    expect(lines[1]).toMatch(/^admin +0\/2 +0 +0\/4 +0\/500$/);
    expect(lines[2]).toMatch(/^grace +[0-2]\/2 +[01] +1\/4 +500\/500$/);
    expect(lines[3]).toBe(
      'Limits per user: 2 sessions at once (more wait queued), 4 started per hour, 500 model tokens per UTC day.',
    );

    const own = await runHangar(['usage', '--json'], { ...env, HANGAR_TOKEN: grace.token });
    expect(own.code).toBe(0);
    const json = JSON.parse(own.stdout) as { users: { name: string; tokensToday: number }[] };
    expect(json.users).toMatchObject([{ name: 'grace', tokensToday: 500 }]);

    const refused = await runHangar(['send', session, 'and', 'a', 'test'], {
      ...env,
      HANGAR_TOKEN: grace.token,
    });
    expect(refused.code).toBe(1);
    const [message, retry] = refused.stderr.trimEnd().split('\n');
    expect(message).toBe(
      'hangar: You have used 500 model tokens today (UTC), the most allowed ' +
        '(HANGAR_MAX_MODEL_TOKENS_PER_USER_PER_DAY=500); new sessions and follow-ups can ' +
        'start again at 00:00 UTC, in 2 hours. [model_tokens_used_up]',
    );
    expect(retry).toMatch(/^ {2}Try again after .+ \(in 7200 s\)\.$/);
  });
});
