import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { GitHubStandIn } from '../../../fixtures/github/stand-in.js';
import { repoWithCommits } from '../../git/test-repo.js';
import { nextRun } from '../../schedules/cron.js';
import { Scheduler } from '../../schedules/scheduler.js';
import { claimDueSchedule, getSchedule } from '../../store/schedules.js';
import { schedules } from '../../store/schema.js';
import { updateSession } from '../../store/sessions.js';
import { openTestApp, type TestApp } from '../test-app.js';

interface RunJson {
  id: string;
  dueAt: string;
  trigger: string;
  status: string;
  sessionId: string | null;
  reason: string | null;
}
interface ScheduleJson {
  id: string;
  title: string;
  prompt: string;
  repoUrl: string;
  branch: string | null;
  environmentId: string;
  agent: string;
  model: string | null;
  cron: string;
  timezone: string;
  paused: boolean;
  nextRuns: string[];
  runs: RunJson[];
}

let t: TestApp;
let gh: GitHubStandIn;
let dir: string;
let repoUrl: string;
let envId: string;

beforeAll(async () => {
  t = await openTestApp({ sessions: true, limits: { schedulesPerUser: 3 } });
  if (!t.github) throw new Error('the test app has a GitHub stand-in');
  gh = t.github;
  const octo = gh.addUser('octo');
  dir = mkdtempSync(join(tmpdir(), 'hangar-schedules-'));
  repoWithCommits(join(dir, 'src'), 'one');
  gh.createRepo('acme/app', { from: join(dir, 'src'), collaborators: { octo: 'write' } });
  repoUrl = `${gh.webUrl}/acme/app`;
  expect((await t.request('POST', '/api/v1/github/token', { body: { token: octo } })).status).toBe(
    200,
  );
  const env = await call('POST', '/api/v1/environments', { name: 'nightly' });
  envId = (env.json as { id: string }).id;
});
// Each test's schedules alone are due at its times.
beforeEach(async () => {
  await t.store.db.delete(schedules);
});
afterAll(async () => {
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});

async function call(method: string, path: string, body?: unknown, token = t.token) {
  const res = await t.request(method, path, body === undefined ? { token } : { body, token });
  return { status: res.status, json: await res.json() };
}
async function schedule(id: string): Promise<ScheduleJson> {
  return (await call('GET', `/api/v1/schedules/${id}`)).json as ScheduleJson;
}
function errorOf(json: unknown): { code: string; message: string } {
  return (json as { error: { code: string; message: string } }).error;
}
/** Waits (vitest's timeout is the deadline) until the runner is done with the session's start. */
async function settled(sessionId: string): Promise<void> {
  for (;;) {
    const { status } = (await call('GET', `/api/v1/sessions/${sessionId}`)).json as {
      status: string;
    };
    if (status !== 'queued' && status !== 'provisioning') return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
async function at(iso: string): Promise<void> {
  t.setNow(new Date(iso));
  await t.scheduler?.tick();
}
async function create(body: Record<string, unknown>): Promise<ScheduleJson> {
  const res = await call('POST', '/api/v1/schedules', {
    repoUrl,
    prompt: 'nightly check',
    ...body,
  });
  expect(res.status, JSON.stringify(res.json)).toBe(201);
  return res.json as ScheduleJson;
}

describe('/api/v1/schedules', { timeout: 60_000 }, () => {
  it('refuses a bad cron, time zone, environment, agent or repo, naming the field and why', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ cron: '61 * * * *' }, /^cron: not a cron .*Invalid value for minute: 61/],
      [{ cron: '* * * * * *' }, /^cron: .*exactly 5 parts/],
      [{ cron: '0 9 * * *', timezone: 'Mars/Base' }, /^timezone: unknown time zone "Mars\/Base"/],
      [{ cron: '0 9 * * *', environmentId: 'env_nope' }, /^environmentId: no environment/],
      [{ cron: '0 9 * * *', agent: 'hal' }, /^agent: Invalid option/],
      [{ cron: '0 9 * * *', repoUrl: `${gh.webUrl}/acme/missing` }, /repo|missing|not found/i],
    ];
    for (const [body, message] of cases) {
      const res = await call('POST', '/api/v1/schedules', { repoUrl, prompt: 'x', ...body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(errorOf(res.json).message).toMatch(message);
    }
    const missing = await call('POST', '/api/v1/schedules', {
      cron: '0 9 * * *',
      repoUrl: `${gh.webUrl}/acme/missing`,
      prompt: 'x',
    });
    expect(missing.status).toBe(400);
    expect((missing.json as { error: { details: { field: string } } }).error.details.field).toBe(
      'repoUrl',
    );
  });

  it('starts a session at each due time, pinned to its environment and agent, and lists it', async () => {
    t.setNow(new Date('2030-01-07T08:58:00Z'));
    const made = await create({ cron: '*/5 * * * *', environmentId: envId, agent: 'codex' });
    expect(made.nextRuns.slice(0, 3)).toEqual([
      '2030-01-07T09:00:00.000Z',
      '2030-01-07T09:05:00.000Z',
      '2030-01-07T09:10:00.000Z',
    ]);
    await at('2030-01-07T08:59:59Z');
    expect((await schedule(made.id)).runs).toEqual([]);
    await at('2030-01-07T09:00:01Z');
    const [run] = (await schedule(made.id)).runs;
    expect(run).toMatchObject({ dueAt: '2030-01-07T09:00:00.000Z', status: 'started' });
    const session = (await call('GET', `/api/v1/sessions/${run?.sessionId}`)).json;
    expect(session).toMatchObject({
      environmentId: envId,
      agent: 'codex',
      title: 'nightly check',
      source: { type: 'git', branch: 'main' },
    });
    // Ticking again at the same time starts nothing more.
    await at('2030-01-07T09:00:02Z');
    expect((await schedule(made.id)).runs).toHaveLength(1);
    expect((await schedule(made.id)).nextRuns[0]).toBe('2030-01-07T09:05:00.000Z');
  });

  it("pins the environment's default agent when none is named, and a named one over it", async () => {
    const env = await call('POST', '/api/v1/environments', {
      name: 'opencode-first',
      defaultAgent: 'opencode',
    });
    expect(env.status, JSON.stringify(env.json)).toBe(201);
    const environmentId = (env.json as { id: string }).id;
    expect((await create({ cron: '0 9 * * *', environmentId })).agent).toBe('opencode');
    expect((await create({ cron: '0 9 * * *', environmentId, agent: 'codex' })).agent).toBe(
      'codex',
    );
    // An environment with no default agent of its own: the server's.
    expect((await create({ cron: '0 9 * * *' })).agent).toBe('claude-code');
  });

  it('edit changes every field, and a new cron changes the next run', async () => {
    t.setNow(new Date('2030-02-01T10:00:00Z'));
    const made = await create({ cron: '0 9 * * *' });
    expect(made.nextRuns[0]).toBe('2030-02-02T09:00:00.000Z');
    const res = await call('PATCH', `/api/v1/schedules/${made.id}`, {
      cron: '30 12 * * 1-5',
      timezone: 'Europe/Berlin',
      branch: 'main',
      environmentId: envId,
      agent: 'opencode',
      model: 'gpt-5',
      prompt: 'weekly report',
      title: 'Report',
    });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    const edited = res.json as ScheduleJson;
    expect(edited).toMatchObject({
      cron: '30 12 * * 1-5',
      timezone: 'Europe/Berlin',
      branch: 'main',
      environmentId: envId,
      agent: 'opencode',
      model: 'gpt-5',
      prompt: 'weekly report',
      title: 'Report',
    });
    // 2030-02-01 is a Friday, 11:00 in Berlin (UTC+1): next is 12:30 that day, then Monday.
    expect(edited.nextRuns.slice(0, 2)).toEqual([
      '2030-02-01T11:30:00.000Z',
      '2030-02-04T11:30:00.000Z',
    ]);
    const bad = await call('PATCH', `/api/v1/schedules/${made.id}`, { cron: '0 25 * * *' });
    expect(bad.status).toBe(400);
    expect(errorOf(bad.json).message).toMatch(/^cron: .*hour/);
    await call('DELETE', `/api/v1/schedules/${made.id}`);
  });

  it('pause stops it; resume starts again from now, without making up missed runs', async () => {
    t.setNow(new Date('2030-03-01T10:00:00Z'));
    const made = await create({ cron: '0 * * * *' });
    const paused = (await call('POST', `/api/v1/schedules/${made.id}/pause`)).json as ScheduleJson;
    expect(paused).toMatchObject({ paused: true, nextRuns: [] });
    await at('2030-03-01T13:30:00Z');
    expect((await schedule(made.id)).runs).toEqual([]);
    const resumed = (await call('POST', `/api/v1/schedules/${made.id}/resume`))
      .json as ScheduleJson;
    expect(resumed.nextRuns[0]).toBe('2030-03-01T14:00:00.000Z');
    await at('2030-03-01T13:59:00Z');
    expect((await schedule(made.id)).runs).toEqual([]);
    await at('2030-03-01T14:00:00Z');
    expect((await schedule(made.id)).runs).toHaveLength(1);
    await call('DELETE', `/api/v1/schedules/${made.id}`);
  });

  it('a due run while the previous one still runs is skipped and recorded', async () => {
    t.setNow(new Date('2030-04-01T10:00:00Z'));
    const made = await create({ cron: '*/10 * * * *' });
    await at('2030-04-01T10:10:00Z');
    const first = (await schedule(made.id)).runs[0];
    if (!first?.sessionId) throw new Error('the first run has a session');
    // The in-process runner has no agent: once it has given up on the session, play one
    // still at work (before that, the runner's own update could land after ours).
    await settled(first.sessionId);
    await updateSession(t.store.db, first.sessionId, { status: 'running' });
    await at('2030-04-01T10:20:00Z');
    const runs = (await schedule(made.id)).runs;
    expect(runs[0]).toMatchObject({
      dueAt: '2030-04-01T10:20:00.000Z',
      status: 'skipped',
      sessionId: null,
      reason: `the previous run (${first.sessionId}) was still running`,
    });
    const now = await call('POST', `/api/v1/schedules/${made.id}/run`);
    expect(now.status).toBe(409);
    expect(errorOf(now.json).message).toContain(first.sessionId);

    await updateSession(t.store.db, first.sessionId, { status: 'idle' });
    const manual = await call('POST', `/api/v1/schedules/${made.id}/run`);
    expect(manual.status).toBe(201);
    expect(manual.json).toMatchObject({ trigger: 'manual', status: 'started' });
    expect((await schedule(made.id)).nextRuns[0]).toBe('2030-04-01T10:30:00.000Z');
    await call('DELETE', `/api/v1/schedules/${made.id}`);
  });

  it('a server that was down runs a missed schedule once, then from now on', async () => {
    t.setNow(new Date('2030-05-01T10:00:00Z'));
    const made = await create({ cron: '*/5 * * * *' });
    // An hour and a half without a look: 18 times missed.
    await at('2030-05-01T11:32:00Z');
    const { runs, nextRuns } = await schedule(made.id);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ dueAt: '2030-05-01T10:05:00.000Z', status: 'started' });
    expect(nextRuns[0]).toBe('2030-05-01T11:35:00.000Z');
    await call('DELETE', `/api/v1/schedules/${made.id}`);
  });

  it('a restart neither loses nor doubles a run; two schedulers never start one twice', async () => {
    t.setNow(new Date('2030-06-01T10:00:00Z'));
    const made = await create({ cron: '*/5 * * * *' });
    const db = t.store.db;
    const row = await getSchedule(db, (await me()).id, made.id);
    const logger = pino({ level: 'silent' });
    const starter = (owner: string, clock: () => Date) => {
      const started: string[] = [];
      const scheduler = new Scheduler({
        db,
        logger,
        owner,
        clock,
        leaseMs: 60_000,
        startSession: async (s, sessionId) => {
          started.push(sessionId);
          await t.startScheduledSession(s, sessionId);
        },
      });
      return { scheduler, started };
    };
    // A server took the 10:05 run, then died before making its session.
    const dueNow = new Date('2030-06-01T10:05:00Z');
    const claimed = await claimDueSchedule(db, {
      owner: 'dead-server',
      now: dueNow,
      leaseMs: 60_000,
      next: (s) => nextRun(s, dueNow),
    });
    expect(claimed?.run).toMatchObject({ scheduleId: row.id, status: 'starting' });
    // Another server, inside the lease: leaves it alone.
    const other = starter('other-server', () => new Date('2030-06-01T10:05:30Z'));
    await other.scheduler.tick();
    expect(other.started).toEqual([]);
    // The dead server restarts (same owner): it makes that session, once.
    const restarted = starter('dead-server', () => new Date('2030-06-01T10:05:40Z'));
    await restarted.scheduler.start();
    await restarted.scheduler.tick();
    await other.scheduler.tick();
    expect([...restarted.started, ...other.started]).toEqual([claimed?.run.sessionId]);
    expect((await schedule(made.id)).runs).toMatchObject([
      { status: 'started', sessionId: claimed?.run.sessionId },
    ]);

    // Both servers look at 10:10 at once: one run.
    const tenTen = () => new Date('2030-06-01T10:10:01Z');
    const a = starter('server-a', tenTen);
    const b = starter('server-b', tenTen);
    await Promise.all([a.scheduler.tick(), b.scheduler.tick(), a.scheduler.tick()]);
    expect([...a.started, ...b.started]).toHaveLength(1);
    expect((await schedule(made.id)).runs).toHaveLength(2);
    for (const s of [other, restarted, a, b]) await s.scheduler.stop();
    await call('DELETE', `/api/v1/schedules/${made.id}`);
  });

  it('refuses a schedule past HANGAR_MAX_SCHEDULES_PER_USER with a 429 naming the limit', async () => {
    t.setNow(new Date('2030-08-01T10:00:00Z'));
    for (let i = 0; i < 3; i++) await create({ cron: '0 9 * * *' });
    const res = await call('POST', '/api/v1/schedules', {
      cron: '0 9 * * *',
      repoUrl,
      prompt: 'x',
    });
    expect(res.status).toBe(429);
    expect(res.json).toMatchObject({
      error: {
        code: 'too_many_schedules',
        details: { limit: 3, used: 3, variable: 'HANGAR_MAX_SCHEDULES_PER_USER' },
      },
    });
    expect(errorOf(res.json).message).toMatch(/3 of 3 schedules \(HANGAR_MAX_SCHEDULES_PER_USER\)/);
  });

  it("another user's schedule is not found, and a deleted one is gone", async () => {
    t.setNow(new Date('2030-07-01T10:00:00Z'));
    const made = await create({ cron: '0 9 * * *' });
    const bob = (await call('POST', '/api/v1/users', { name: 'bob' })).json as { token: string };
    for (const [method, path] of [
      ['GET', `/api/v1/schedules/${made.id}`],
      ['PATCH', `/api/v1/schedules/${made.id}`],
      ['POST', `/api/v1/schedules/${made.id}/pause`],
      ['POST', `/api/v1/schedules/${made.id}/run`],
      ['DELETE', `/api/v1/schedules/${made.id}`],
    ] as const) {
      const res = await call(method, path, method === 'PATCH' ? {} : undefined, bob.token);
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    expect(
      (
        (await call('GET', '/api/v1/schedules', undefined, bob.token)).json as {
          schedules: unknown[];
        }
      ).schedules,
    ).toEqual([]);
    expect((await call('DELETE', `/api/v1/schedules/${made.id}`)).status).toBe(200);
    expect((await call('GET', `/api/v1/schedules/${made.id}`)).status).toBe(404);
  });
});

async function me(): Promise<{ id: string }> {
  return (await call('GET', '/api/v1/me')).json as { id: string };
}
