import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oneCommitBundle } from '../../git/test-repo.js';
import { updateSession } from '../../store/sessions.js';
import { NO_AGENT, openTestApp, type TestApp } from '../test-app.js';

interface SessionJson {
  id: string;
  title: string;
  status: string;
  subStep: string | null;
  archived: boolean;
  failureReason: string | null;
  diffStats: { files: number; additions: number; deletions: number };
}

/** One server-sent event: `event`/`data`, or a comment line. */
interface Frame {
  event?: string;
  data?: string;
  comment?: string;
}

let t: TestApp;
let bundleBytes: Buffer;

beforeAll(async () => {
  t = await openTestApp({ sessions: true, keepAliveMs: 300 });
  const repo = mkdtempSync(join(tmpdir(), 'hangar-feed-'));
  bundleBytes = oneCommitBundle(repo);
  rmSync(repo, { recursive: true, force: true });
});
afterAll(async () => {
  await t.close();
});

async function json<T>(response: Response | Promise<Response>): Promise<T> {
  return (await (await response).json()) as T;
}

/** Uploads the test bundle to `app` as the token's user; answers its id. */
async function uploadBundle(app: TestApp = t, token = app.token): Promise<string> {
  const bundle = await json<{ id: string }>(
    app.request('POST', '/api/v1/bundles', {
      raw: bundleBytes,
      contentType: 'application/octet-stream',
      token,
    }),
  );
  return bundle.id;
}

/** Starts a session on a fresh bundle as the token's user; answers its id. */
async function createSession(prompt: string, token = t.token): Promise<string> {
  const bundleId = await uploadBundle(t, token);
  const res = await t.request('POST', '/api/v1/sessions', {
    body: { prompt, source: { type: 'bundle', bundleId } },
    token,
  });
  expect(res.status).toBe(201);
  return (await json<{ id: string }>(res)).id;
}

/** Opens the live session list and reads it frame by frame. */
function openFeed(token = t.token) {
  return openStream('/api/v1/sessions', token);
}

/** Opens an SSE stream of the API and reads it frame by frame. */
async function openStream(path: string, token = t.token) {
  const res = await t.request('GET', path, {
    token,
    headers: { accept: 'text/event-stream' },
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = '';

  async function next(): Promise<Frame> {
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const frame: Frame = {};
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) frame.comment = line.slice(1).trim();
          else if (line.startsWith('event: ')) frame.event = line.slice(7);
          else if (line.startsWith('data: ')) frame.data = line.slice(6);
        }
        return frame;
      }
      const timeout = new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`no frame within 10 s; have: ${buffer}`)), 10_000),
      );
      const { done, value } = await Promise.race([reader.read(), timeout]);
      if (done) throw new Error('the feed ended');
      buffer += decoder.decode(value, { stream: true });
    }
  }

  /** The next `session` or `deleted` frame, skipping keep-alives. */
  async function nextChange(): Promise<{ event: string; data: SessionJson }> {
    for (;;) {
      const frame = await next();
      if (frame.comment !== undefined) continue;
      return { event: frame.event ?? '', data: JSON.parse(frame.data ?? '') as SessionJson };
    }
  }

  /** Reads changes until one satisfies `match`; answers all read. */
  async function until(match: (change: { event: string; data: SessionJson }) => boolean) {
    const seen: { event: string; data: SessionJson }[] = [];
    for (;;) {
      const change = await nextChange();
      seen.push(change);
      if (match(change)) return seen;
    }
  }

  return { next, nextChange, until, close: () => reader.cancel() };
}

describe('GET /api/v1/sessions as a live feed', () => {
  it('sends a new session, its status changes, its archive and its deletion', async () => {
    const feed = await openFeed();
    const id = await createSession('feed me');

    // Each frame is the row as it is when sent: a quick runner may skip a state.
    const changes = await feed.until((c) => c.data.status === 'failed');
    expect(changes.every((c) => c.event === 'session' && c.data.id === id)).toBe(true);
    expect(changes[0]?.data.title).toBe('feed me');
    const order = ['queued', 'provisioning', 'failed'];
    const statuses = changes.map((c) => order.indexOf(c.data.status));
    expect(statuses).toEqual([...statuses].sort());
    expect(statuses[0]).toBeGreaterThanOrEqual(0);
    expect(changes.at(-1)?.data.failureReason).toBe(NO_AGENT);

    expect((await t.request('POST', `/api/v1/sessions/${id}/archive`)).status).toBe(200);
    const archived = (await feed.until((c) => c.data.archived)).at(-1);
    expect(archived).toMatchObject({ event: 'session', data: { id, status: 'failed' } });
    // The same Session the API answers elsewhere.
    expect(archived?.data).toEqual(await json(t.request('GET', `/api/v1/sessions/${id}`)));

    expect((await t.request('DELETE', `/api/v1/sessions/${id}`)).status).toBe(200);
    expect(await feed.nextChange()).toEqual({ event: 'deleted', data: { id } });
    await feed.close();
  });

  it('sends new diffs but not each line of the transcript', async () => {
    const feed = await openFeed();
    const id = await createSession('diff me');
    // Wait out the runner: the session fails at once without an agent.
    await feed.until((c) => c.data.status === 'failed');
    await updateSession(t.store.db, id, { diffFiles: 2, additions: 5, deletions: 1 });
    await t.log.append(id, [
      { type: 'diff.updated', data: { files: 2, additions: 5, deletions: 1 } },
    ]);
    const diffed = await feed.until((c) => c.data.diffStats.files === 2);
    expect(diffed.at(-1)?.data.diffStats).toEqual({ files: 2, additions: 5, deletions: 1 });

    await t.log.append(id, [{ type: 'message.assistant', data: { text: 'thinking' } }]);
    await t.request('POST', `/api/v1/sessions/${id}/archive`);
    expect(await feed.nextChange()).toMatchObject({ data: { id, archived: true } });
    await feed.close();
  });

  it("sends only the user's own sessions", async () => {
    const bob = await json<{ token: string }>(
      t.request('POST', '/api/v1/users', { body: { name: 'bob' } }),
    );
    const bobs = await openFeed(bob.token);
    const admins = await openFeed();
    const theirs = await createSession('not for bob');
    await admins.until((c) => c.data.id === theirs && c.data.status === 'failed');
    await t.request('POST', `/api/v1/sessions/${theirs}/archive`);
    await t.request('DELETE', `/api/v1/sessions/${theirs}`);
    await admins.until((c) => c.event === 'deleted');

    const his = await createSession('for bob', bob.token);
    const seen = await bobs.until((c) => c.data.status === 'failed');
    expect(new Set(seen.map((c) => c.data.id))).toEqual(new Set([his]));
    await bobs.close();
    await admins.close();
  });

  it('keeps a quiet stream alive with comments', async () => {
    const feed = await openFeed();
    expect(await feed.next()).toEqual({ comment: 'keep-alive' });
    await feed.close();
  });

  it("keeps a quiet session's event stream alive with comments too", async () => {
    const id = await createSession('quiet');
    const stream = await openStream(`/api/v1/sessions/${id}/events`);
    let frame = await stream.next();
    while (frame.comment === undefined) frame = await stream.next();
    expect(frame).toEqual({ comment: 'keep-alive' });
    await stream.close();
  });

  it('still answers the JSON list without the Accept header', async () => {
    const id = await createSession('listed');
    const { sessions } = await json<{ sessions: SessionJson[] }>(
      t.request('GET', '/api/v1/sessions'),
    );
    expect(sessions.map((s) => s.id)).toContain(id);
  });

  it('requires a token', async () => {
    const res = await t.request('GET', '/api/v1/sessions', {
      token: null,
      headers: { accept: 'text/event-stream' },
    });
    expect(res.status).toBe(401);
  });
});

describe("a session's events, from the end", () => {
  type Page = { events: { seq: number; data: { text?: string } }[]; lastSeq: number };
  const texts = (page: Page) => page.events.map((e) => e.data.text);

  it('pages back with `before` and opens a stream at the last `tail` events', async () => {
    const id = await createSession('a long one');
    // Settled first (it has no agent, so it fails): nothing of its own lands among ours.
    const abort = new AbortController();
    for await (const event of t.log.follow(id, 0, abort.signal)) {
      if ((event.data as { status?: string }).status === 'failed') break;
    }
    abort.abort();
    const start = await json<Page>(t.request('GET', `/api/v1/sessions/${id}/events`));
    await t.log.append(
      id,
      Array.from({ length: 30 }, (_, k) => ({
        type: 'message.assistant',
        data: { text: `r${k}` },
      })),
    );
    const end = start.lastSeq + 30;

    const tail = await json<Page>(t.request('GET', `/api/v1/sessions/${id}/events?tail=10`));
    expect(texts(tail)).toEqual(Array.from({ length: 10 }, (_, k) => `r${20 + k}`));
    expect(tail.lastSeq).toBe(end);
    // The page before it, oldest first, meets it with no gap and no repeat.
    const earlier = await json<Page>(
      t.request('GET', `/api/v1/sessions/${id}/events?before=${tail.events[0]?.seq}&limit=12`),
    );
    expect(texts(earlier)).toEqual(Array.from({ length: 12 }, (_, k) => `r${8 + k}`));
    // Back to the very first event, then nothing further back.
    const first = await json<Page>(
      t.request('GET', `/api/v1/sessions/${id}/events?before=${earlier.events[0]?.seq}&limit=1000`),
    );
    expect(first.events.map((e) => e.seq)).toEqual(
      Array.from({ length: end - 22 }, (_, k) => k + 1),
    );
    const none = await json<Page>(t.request('GET', `/api/v1/sessions/${id}/events?before=1`));
    expect(none.events).toEqual([]);

    const stream = await openStream(`/api/v1/sessions/${id}/events?tail=3`);
    const seen = [];
    for (let k = 0; k < 3; k++) {
      const frame = await stream.next();
      seen.push((JSON.parse(frame.data ?? '') as { data: { text: string } }).data.text);
    }
    expect(seen).toEqual(['r27', 'r28', 'r29']);
    await t.log.append(id, [{ type: 'message.assistant', data: { text: 'live' } }]);
    const live = await stream.next();
    expect(JSON.parse(live.data ?? '')).toMatchObject({ seq: end + 1, data: { text: 'live' } });
    await stream.close();
  });

  it('names a bad `before` or `tail`', async () => {
    const id = await createSession('bad paging');
    for (const query of ['before=-1', 'tail=all']) {
      const res = await t.request('GET', `/api/v1/sessions/${id}/events?${query}`);
      expect(res.status).toBe(400);
      expect(JSON.stringify(await res.json())).toContain(query.split('=')[0]);
    }
  });
});

describe('live streams per user', () => {
  let limited: TestApp;
  beforeAll(async () => {
    limited = await openTestApp({ sessions: true, limits: { streamsPerUser: 2 } });
  });
  afterAll(async () => {
    await limited.close();
  });

  const open = (path: string, token = limited.token) =>
    limited.request('GET', path, { token, headers: { accept: 'text/event-stream' } });

  it('refuses a stream past the limit with 429 naming it, for that user only', async () => {
    const bundleId = await uploadBundle(limited);
    const created = await json<{ id: string }>(
      limited.request('POST', '/api/v1/sessions', {
        body: { prompt: 'watch me', source: { type: 'bundle', bundleId } },
      }),
    );
    const feed = await open('/api/v1/sessions');
    const events = await open(`/api/v1/sessions/${created.id}/events`);
    expect([feed.status, events.status]).toEqual([200, 200]);

    // The third, whichever kind: both count.
    for (const path of ['/api/v1/sessions', `/api/v1/sessions/${created.id}/events`]) {
      const refused = await open(path);
      expect(refused.status).toBe(429);
      const { error } = await json<{ error: { code: string; message: string; details: unknown } }>(
        refused,
      );
      expect(error.code).toBe('too_many_streams');
      expect(error.message).toContain('HANGAR_MAX_STREAMS_PER_USER=2');
      expect(error.message).toContain('You have 2 live streams open');
      expect(error.details).toEqual({
        limit: 2,
        used: 2,
        variable: 'HANGAR_MAX_STREAMS_PER_USER',
      });
    }
    // The plain JSON reads are not streams.
    expect((await limited.request('GET', '/api/v1/sessions')).status).toBe(200);

    // Another user has their own streams.
    const bob = await json<{ token: string }>(
      limited.request('POST', '/api/v1/users', { body: { name: 'bob' } }),
    );
    const bobs = await open('/api/v1/sessions', bob.token);
    expect(bobs.status).toBe(200);
    await bobs.body?.cancel();

    // Closing one frees its place (once the server has seen the close).
    await feed.body?.cancel();
    let again = await open('/api/v1/sessions');
    while (again.status === 429) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      again = await open('/api/v1/sessions');
    }
    expect(again.status).toBe(200);
    await again.body?.cancel();
    await events.body?.cancel();
  });
});

describe('slash commands as messages', () => {
  it('refuses /clear as a first prompt and as a follow-up, saying why and what to do', async () => {
    const bundleId = await uploadBundle();
    const create = await t.request('POST', '/api/v1/sessions', {
      body: { prompt: '/clear', source: { type: 'bundle', bundleId } },
    });
    expect(create.status).toBe(400);
    expect(await create.json()).toEqual({
      error: {
        code: 'message_refused',
        message: expect.stringMatching(
          /^prompt: \/clear would start a new conversation.*start a new session instead\.$/,
        ) as unknown,
        details: { field: 'prompt' },
      },
    });
    const sessions = await json<{ sessions: { title: string }[] }>(
      t.request('GET', '/api/v1/sessions'),
    );
    expect(sessions.sessions.map((s) => s.title)).not.toContain('/clear');

    const id = await createSession('compact me later');
    const before = await json<{ lastSeq: number }>(
      t.request('GET', `/api/v1/sessions/${id}/events`),
    );
    const reset = await t.request('POST', `/api/v1/sessions/${id}/messages`, {
      body: { text: '  /reset please  ' },
    });
    expect(reset.status).toBe(400);
    expect(await reset.json()).toMatchObject({
      error: { code: 'message_refused', details: { field: 'text' } },
    });
    // Nothing of it reached the session's log.
    const events = await json<{ events: { type: string; data: { text?: string } }[] }>(
      t.request('GET', `/api/v1/sessions/${id}/events?after=${before.lastSeq}`),
    );
    expect(events.events.filter((e) => e.type === 'message.user')).toEqual([]);
  });
});

describe("an environment's default agent", () => {
  it('runs sessions that name no agent; one named in the request wins', async () => {
    const env = await json<{ id: string }>(
      t.request('POST', '/api/v1/environments', {
        body: { name: 'opencode here', defaultAgent: 'opencode' },
      }),
    );
    const start = async (body: Record<string, unknown>) => {
      const bundleId = await uploadBundle();
      const res = await t.request('POST', '/api/v1/sessions', {
        body: { prompt: 'add hello.txt', source: { type: 'bundle', bundleId }, ...body },
      });
      expect(res.status).toBe(201);
      const { id } = await json<{ id: string }>(res);
      return (await json<{ agent: string }>(t.request('GET', `/api/v1/sessions/${id}`))).agent;
    };
    expect(await start({ environmentId: env.id })).toBe('opencode');
    expect(await start({ environmentId: env.id, agent: 'codex' })).toBe('codex');
    // The user's default environment names none: the server's default.
    expect(await start({})).toBe('claude-code');
  });

  // Its own server: a fresh store opens slowly on a loaded machine.
  it(
    'without its model key on the server, refuses the session naming the agent and what to set',
    { timeout: 120_000 },
    async () => {
      const reason = 'Codex needs a model key: set OPENAI_API_KEY where `hangar serve` runs';
      const app = await openTestApp({
        sessions: true,
        agents: [
          { name: 'claude-code', usable: true },
          { name: 'codex', usable: false, reason },
          { name: 'opencode', usable: true },
        ],
      });
      try {
        const env = await json<{ id: string }>(
          app.request('POST', '/api/v1/environments', {
            body: { name: 'Codex work', defaultAgent: 'codex' },
          }),
        );
        const bundleId = await uploadBundle(app);
        const refused = await app.request('POST', '/api/v1/sessions', {
          body: {
            prompt: 'add hello.txt',
            source: { type: 'bundle', bundleId },
            environmentId: env.id,
          },
        });
        expect(refused.status).toBe(422);
        expect(await refused.json()).toEqual({
          error: {
            code: 'agent_not_configured',
            message: `codex (the default agent of the environment "Codex work") cannot run on this server: ${reason}`,
            details: { agent: 'codex' },
          },
        });
        expect(
          (await json<{ sessions: unknown[] }>(app.request('GET', '/api/v1/sessions'))).sessions,
        ).toEqual([]);
        // Naming an agent the server can run still works in that environment.
        const named = await app.request('POST', '/api/v1/sessions', {
          body: {
            prompt: 'add hello.txt',
            source: { type: 'bundle', bundleId },
            environmentId: env.id,
            agent: 'opencode',
          },
        });
        expect(named.status).toBe(201);
      } finally {
        await app.close();
      }
    },
  );
});

describe('a server that cannot run the agent', () => {
  it('refuses a session at once with the reason, stores nothing, and says so in /agents and /healthz', async () => {
    const reason = 'the server has no model key: set ANTHROPIC_API_KEY';
    const keyless = await openTestApp({
      sessions: true,
      agents: [{ name: 'claude-code', usable: false, reason }],
    });
    try {
      const bundleId = await uploadBundle(keyless);
      const refused = await keyless.request('POST', '/api/v1/sessions', {
        body: { prompt: 'add hello.txt', source: { type: 'bundle', bundleId } },
      });
      expect(refused.status).toBe(422);
      expect(await refused.json()).toEqual({
        error: {
          code: 'agent_not_configured',
          message: `claude-code cannot run on this server: ${reason}`,
          details: { agent: 'claude-code' },
        },
      });
      expect(
        (await json<{ sessions: unknown[] }>(keyless.request('GET', '/api/v1/sessions'))).sessions,
      ).toEqual([]);

      expect(await json(keyless.request('GET', '/api/v1/agents'))).toEqual({
        agents: [{ name: 'claude-code', usable: false, reason }],
      });
      expect(await json(keyless.request('GET', '/healthz', { token: null }))).toMatchObject({
        status: 'ok',
        agents: [{ name: 'claude-code', usable: false, reason }],
      });
    } finally {
      await keyless.close();
    }
    // A server that can run it says so too.
    expect(await json(t.request('GET', '/api/v1/agents'))).toEqual({
      agents: [
        { name: 'claude-code', usable: true },
        { name: 'codex', usable: true },
        { name: 'opencode', usable: true },
      ],
    });
  });
});
