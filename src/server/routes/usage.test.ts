import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oneCommitBundle } from '../../git/test-repo.js';
import { addModelUsage } from '../../store/model-usage.js';
import { updateSession } from '../../store/sessions.js';
import { openTestApp, type TestApp } from '../test-app.js';

/**
 * The window limits (sessions started per hour, model tokens per UTC day) on the app's
 * controllable clock, and `/usage`, where an admin sees every user's use of the limits.
 */
let t: TestApp;
let bundleBytes: Buffer;

interface ErrorJson {
  error: {
    code: string;
    message: string;
    details: { limit: number; used: number; variable: string; retryAt: string };
  };
}
interface UsageJson {
  day: string;
  users: {
    id: string;
    name: string;
    running: number;
    queued: number;
    sessionsLastHour: number;
    tokensToday: number;
  }[];
  limits: { sessionsAtOnce: number; sessionsPerHour: number; tokensPerDay: number | null };
}

beforeAll(async () => {
  t = await openTestApp({
    sessions: true,
    limits: { sessionsPerHour: 2, sessionsPerUser: 3 },
    modelLimits: { requestsPerSession: undefined, tokensPerUserPerDay: 1000 },
  });
  const repo = mkdtempSync(join(tmpdir(), 'hangar-usage-'));
  bundleBytes = oneCommitBundle(repo);
  rmSync(repo, { recursive: true, force: true });
}, 120_000);
afterAll(async () => {
  await t.close();
});

async function json<T>(response: Response | Promise<Response>): Promise<T> {
  return (await (await response).json()) as T;
}

async function addUser(name: string): Promise<{ id: string; token: string }> {
  const res = await t.request('POST', '/api/v1/users', { body: { name } });
  expect(res.status).toBe(201);
  return json(res);
}

/** Asks for a session on a fresh bundle as the token's user. */
async function startSession(token: string): Promise<Response> {
  const upload = await t.request('POST', '/api/v1/bundles', {
    raw: bundleBytes,
    contentType: 'application/octet-stream',
    token,
  });
  const { id: bundleId } = await json<{ id: string }>(upload);
  return t.request('POST', '/api/v1/sessions', {
    body: { prompt: 'add hello.txt', source: { type: 'bundle', bundleId } },
    token,
  });
}

async function started(token: string): Promise<string> {
  const res = await startSession(token);
  expect(res.status, await res.clone().text()).toBe(201);
  return (await json<{ id: string }>(res)).id;
}

/** Waits (vitest's timeout is the deadline) until the runner is done with the session's start. */
async function settled(id: string, token: string): Promise<void> {
  for (;;) {
    const { status } = await json<{ status: string }>(
      t.request('GET', `/api/v1/sessions/${id}`, { token }),
    );
    if (status !== 'queued' && status !== 'provisioning') return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('sessions started per hour', { timeout: 60_000 }, () => {
  it('refuses one more with 429, Retry-After and the limit named, until the oldest is an hour old', async () => {
    const ada = await addUser('ada');
    t.setNow(new Date('2030-03-04T10:00:00Z'));
    const first = await started(ada.token);
    t.setNow(new Date('2030-03-04T10:10:00Z'));
    await started(ada.token);

    t.setNow(new Date('2030-03-04T10:20:00Z'));
    const refused = await startSession(ada.token);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe(String(40 * 60));
    const { error } = await json<ErrorJson>(refused);
    expect(error.code).toBe('too_many_sessions_this_hour');
    expect(error.message).toBe(
      'You have started 2 sessions in the last hour, the most allowed ' +
        '(HANGAR_MAX_SESSIONS_PER_USER_PER_HOUR=2); you can start another in 40 minutes (at 11:00 UTC).',
    );
    expect(error.details).toEqual({
      limit: 2,
      used: 2,
      variable: 'HANGAR_MAX_SESSIONS_PER_USER_PER_HOUR',
      retryAt: '2030-03-04T11:00:00.000Z',
    });

    // Deleting a session does not give its place back.
    await settled(first, ada.token);
    const deleted = await t.request('DELETE', `/api/v1/sessions/${first}`, { token: ada.token });
    expect(deleted.status).toBe(200);
    expect((await startSession(ada.token)).status).toBe(429);

    // Another user is not held back by ada's hour.
    const bob = await addUser('bob');
    await started(bob.token);

    t.setNow(new Date('2030-03-04T11:00:01Z'));
    await started(ada.token);
    const again = await startSession(ada.token);
    expect(again.status).toBe(429);
    expect(again.headers.get('retry-after')).toBe(String(10 * 60 - 1));
  });
});

describe('model tokens per day', { timeout: 60_000 }, () => {
  it('refuses new sessions and follow-ups once the day is used up, until 00:00 UTC', async () => {
    const cy = await addUser('cy');
    t.setNow(new Date('2030-03-05T09:00:00Z'));
    const session = await started(cy.token);
    await settled(session, cy.token);
    await addModelUsage(t.store.db, { sessionId: session, userId: cy.id }, '2030-03-05', {
      requests: 3,
      inputTokens: 700,
      outputTokens: 300,
    });

    t.setNow(new Date('2030-03-05T21:30:00Z'));
    const refused = await startSession(cy.token);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe(String(2.5 * 3600));
    const { error } = await json<ErrorJson>(refused);
    expect(error.code).toBe('model_tokens_used_up');
    expect(error.message).toBe(
      'You have used 1000 model tokens today (UTC), the most allowed ' +
        '(HANGAR_MAX_MODEL_TOKENS_PER_USER_PER_DAY=1000); new sessions and follow-ups can ' +
        'start again at 00:00 UTC, in 2 hours 30 minutes.',
    );
    expect(error.details.retryAt).toBe('2030-03-06T00:00:00.000Z');

    const followUp = await t.request('POST', `/api/v1/sessions/${session}/messages`, {
      body: { text: 'and a test' },
      token: cy.token,
    });
    expect(followUp.status).toBe(429);
    expect(followUp.headers.get('retry-after')).toBe(String(2.5 * 3600));
    expect((await json<ErrorJson>(followUp)).error.code).toBe('model_tokens_used_up');

    t.setNow(new Date('2030-03-06T00:00:00Z'));
    const tomorrow = await t.request('POST', `/api/v1/sessions/${session}/messages`, {
      body: { text: 'and a test' },
      token: cy.token,
    });
    expect(tomorrow.status).not.toBe(429);
    await started(cy.token);
  });
});

describe('GET /api/v1/usage', { timeout: 60_000 }, () => {
  it("shows an admin every user's running sessions, last hour and tokens today, with the limits", async () => {
    const dee = await addUser('dee');
    t.setNow(new Date('2030-03-07T12:00:00Z'));
    const running = await started(dee.token);
    await settled(running, dee.token);
    // Played as the runner would hold it: a leased session running a turn.
    await updateSession(t.store.db, running, {
      status: 'running',
      leaseOwner: 'elsewhere',
      leaseExpiresAt: new Date(Date.now() + 600_000),
    });
    await settled(await started(dee.token), dee.token);
    await addModelUsage(t.store.db, { sessionId: running, userId: dee.id }, '2030-03-07', {
      requests: 1,
      inputTokens: 40,
      outputTokens: 2,
    });
    await addModelUsage(t.store.db, { sessionId: running, userId: dee.id }, '2030-03-06', {
      requests: 1,
      inputTokens: 500,
      outputTokens: 0,
    });

    const usage = await json<UsageJson>(t.request('GET', '/api/v1/usage'));
    expect(usage.day).toBe('2030-03-07');
    expect(usage.limits).toEqual({ sessionsAtOnce: 3, sessionsPerHour: 2, tokensPerDay: 1000 });
    expect(usage.users.map((u) => u.name)).toEqual(['ada', 'admin', 'bob', 'cy', 'dee']);
    const row = usage.users.find((u) => u.name === 'dee');
    expect(row).toMatchObject({ id: dee.id, running: 1, sessionsLastHour: 2, tokensToday: 42 });

    t.setNow(new Date('2030-03-07T13:00:01Z'));
    const later = await json<UsageJson>(t.request('GET', '/api/v1/usage'));
    expect(later.users.find((u) => u.name === 'dee')?.sessionsLastHour).toBe(0);
  });

  it('shows a user who is not an admin their own use alone', async () => {
    const eve = await addUser('eve');
    const own = await t.request('GET', '/api/v1/usage', { token: eve.token });
    expect(own.status).toBe(200);
    const usage = await json<UsageJson>(own);
    expect(usage.users).toEqual([
      { id: eve.id, name: 'eve', running: 0, queued: 0, sessionsLastHour: 0, tokensToday: 0 },
    ]);
  });
});
