import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startModelServer, type ModelServer } from '../../fixtures/model-server.js';
import { commit, git, Stack } from '../e2e/stack.js';

/**
 * One user tries to take the server for themselves: more sessions than their limit at
 * once, more bundle bytes than their quota, more live streams than their share. The
 * real `hangar serve`, real sandboxes and the real agent against the scripted model;
 * another user works beside them throughout and must not notice. Runs as root.
 */

const MAX_SESSIONS = 2;
const MAX_STREAMS = 3;
const QUOTA_BYTES = 1024 * 1024;

let model: ModelServer;
let stack: Stack;
let bobToken: string;

interface ListedSession {
  id: string;
  title: string;
  status: string;
  statusDetail: string | null;
  failureReason: string | null;
}

beforeAll(async () => {
  model = await startModelServer({ script: { replies: [] } });
  stack = await Stack.start(model, {
    HANGAR_MAX_SESSIONS_PER_USER: String(MAX_SESSIONS),
    HANGAR_MAX_BUNDLE_MB_PER_USER: String(QUOTA_BYTES / (1024 * 1024)),
    HANGAR_MAX_STREAMS_PER_USER: String(MAX_STREAMS),
  });
  const { status, json } = await stack.api<{ token: string }>('POST', '/users', { name: 'bob' });
  expect(status).toBe(201);
  bobToken = json.token;
}, 600_000);

afterAll(async () => {
  await stack.server.stop();
  await model.close();
});

/** A request to the API as the admin (the attacker here) or with `token`. */
function call(
  method: string,
  path: string,
  options: { token?: string; body?: unknown; raw?: Buffer; headers?: Record<string, string> } = {},
): Promise<Response> {
  const headers: Record<string, string> = {
    authorization: `Bearer ${options.token ?? stack.token}`,
    ...options.headers,
  };
  let body: string | Buffer | undefined = options.raw;
  if (options.raw) headers['content-type'] = 'application/octet-stream';
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  const send = () =>
    fetch(`${stack.server.url}/api/v1${path}`, { method, headers, body: body ?? null });
  // As Stack.api does: a GET on a kept-alive connection the server closed at that
  // moment (a loaded machine stalls it past its keep-alive timeout) is sent again once.
  return send().catch((error: unknown) => {
    const reset = (error as { cause?: { code?: string } }).cause?.code === 'ECONNRESET';
    if (method === 'GET' && reset) return send();
    throw error;
  });
}

/** A repo whose bundle is about `bytes` long: one file of random (incompressible) bytes. */
function repoOf(name: string, bytes = 64): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'hangar-limits-')), name);
  execFileSync('git', ['init', '-q', '-b', 'main', dir]);
  writeFileSync(join(dir, 'data.bin'), randomBytes(bytes));
  git(dir, 'add', '.');
  commit(dir, 'initial');
  git(dir, 'bundle', 'create', '-q', 'repo.bundle', '--all');
  return dir;
}

async function upload(repo: string, token?: string): Promise<Response> {
  return call('POST', '/bundles', {
    raw: readFileSync(join(repo, 'repo.bundle')),
    ...(token ? { token } : {}),
  });
}

async function startSession(prompt: string, token?: string): Promise<string> {
  const bundle = await upload(repoOf('demo'), token);
  expect(bundle.status).toBe(201);
  const { id: bundleId } = (await bundle.json()) as { id: string };
  const res = await call('POST', '/sessions', {
    body: { prompt, source: { type: 'bundle', bundleId, name: 'demo' } },
    ...(token ? { token } : {}),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

async function list(token?: string): Promise<ListedSession[]> {
  const res = await call('GET', '/sessions', token ? { token } : {});
  return ((await res.json()) as { sessions: ListedSession[] }).sessions;
}

const ACTIVE = new Set(['provisioning', 'running']);

/**
 * Polls the user's sessions among `ids` until `done` holds, checking on every look
 * that no more than the limit are active at once and none has failed.
 */
async function watch(
  ids: string[],
  done: (sessions: ListedSession[]) => boolean,
  token?: string,
): Promise<ListedSession[]> {
  const deadline = Date.now() + 240_000;
  for (;;) {
    const mine = (await list(token)).filter((s) => ids.includes(s.id));
    expect(mine.filter((s) => ACTIVE.has(s.status)).length).toBeLessThanOrEqual(MAX_SESSIONS);
    expect(mine.filter((s) => s.status === 'failed').map((s) => s.failureReason)).toEqual([]);
    if (done(mine)) return mine;
    if (Date.now() > deadline) throw new Error(`timed out: ${JSON.stringify(mine)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const count = (sessions: ListedSession[], status: string) =>
  sessions.filter((s) => s.status === status).length;

describe('one user cannot take the server', () => {
  it('queues sessions past their limit, starts them as others finish, and another user is unaffected', async () => {
    // The attacker's agents stay at work until released.
    const release = model.hold('alpha task');
    const ids: string[] = [];
    for (let i = 1; i <= 4; i++) ids.push(await startSession(`alpha task ${i}`));

    const waiting = `waiting: ${MAX_SESSIONS} of ${MAX_SESSIONS} concurrent sessions in use`;
    const atLimit = await watch(
      ids,
      (s) => count(s, 'running') === MAX_SESSIONS && s.filter((x) => x.statusDetail).length === 2,
    );
    const queued = atLimit.filter((s) => s.status === 'queued');
    expect(queued.map((s) => s.statusDetail)).toEqual([waiting, waiting]);
    // The log says so too (`hangar logs`, the web transcript).
    const events = await stack.events(queued[0]?.id ?? '');
    expect(events.map((e) => e.data)).toContainEqual({ status: 'queued', reason: waiting });

    // Bob is not behind the attacker's queue: his session runs to the end of its turn.
    const bobs = await startSession('beta task', bobToken);
    await watch([bobs], (s) => s[0]?.status === 'idle', bobToken);
    const still = (await list()).filter((s) => ids.includes(s.id));
    expect([count(still, 'running'), count(still, 'queued')]).toEqual([2, 2]);

    // As the first two finish, the queued two start by themselves; none fails.
    release();
    const end = await watch(ids, (s) => count(s, 'idle') === 4);
    expect(end.map((s) => s.statusDetail)).toEqual([null, null, null, null]);
  }, 600_000);

  it('refuses bundles past the quota with 413, keeps the earlier ones, and frees them with their session', async () => {
    const before = (await (await call('GET', '/bundles/limits')).json()) as {
      usedBytes: number;
      quotaBytes: number;
    };
    expect(before.quotaBytes).toBe(QUOTA_BYTES);
    const big = repoOf('big', 600 * 1024);
    const kept = await upload(big);
    expect(kept.status).toBe(201);
    const { id: keptId, sizeBytes } = (await kept.json()) as { id: string; sizeBytes: number };

    const other = repoOf('other', 600 * 1024);
    const refused = await upload(other);
    expect(refused.status).toBe(413);
    const { error } = (await refused.json()) as {
      error: { code: string; message: string; details: { limit: number; used: number } };
    };
    const used = before.usedBytes + sizeBytes;
    expect(error.code).toBe('bundle_quota_exceeded');
    expect(error.message).toContain(
      `use ${used} of your ${QUOTA_BYTES} bytes (HANGAR_MAX_BUNDLE_MB_PER_USER)`,
    );
    expect(error.details).toMatchObject({ limit: QUOTA_BYTES, used });

    // Nothing of the earlier upload is lost: it is whole on disk and starts a session.
    const keptFile = join(stack.dataDir, 'bundles', `${keptId}.bundle`);
    expect(readFileSync(keptFile)).toEqual(readFileSync(join(big, 'repo.bundle')));
    const created = await call('POST', '/sessions', {
      body: { prompt: 'gamma task', source: { type: 'bundle', bundleId: keptId, name: 'big' } },
    });
    expect(created.status).toBe(201);
    const { id: session } = (await created.json()) as { id: string };

    // Bob's quota is his own.
    expect((await upload(other, bobToken)).status).toBe(201);

    // Deleting the session deletes its bundle and frees its bytes.
    expect((await call('DELETE', `/sessions/${session}`)).status).toBe(200);
    expect(existsSync(keptFile)).toBe(false);
    const after = (await (await call('GET', '/bundles/limits')).json()) as { usedBytes: number };
    expect(after.usedBytes).toBe(before.usedBytes);
    expect((await upload(other)).status).toBe(201);
  }, 600_000);

  it('refuses live streams past the limit with 429 naming it', async () => {
    const [first] = await list();
    const stream = (path: string, token?: string) =>
      call('GET', path, { headers: { accept: 'text/event-stream' }, ...(token ? { token } : {}) });
    const paths = ['/sessions', `/sessions/${first?.id ?? ''}/events`, '/sessions'];
    const open = await Promise.all(paths.map((path) => stream(path)));
    expect(open.map((r) => r.status)).toEqual([200, 200, 200]);

    for (const path of paths.slice(0, 2)) {
      const refused = await stream(path);
      expect(refused.status).toBe(429);
      const { error } = (await refused.json()) as { error: { code: string; message: string } };
      expect(error.code).toBe('too_many_streams');
      expect(error.message).toContain(`HANGAR_MAX_STREAMS_PER_USER=${MAX_STREAMS}`);
    }

    // Bob's streams are his own.
    const bobs = await stream('/sessions', bobToken);
    expect(bobs.status).toBe(200);
    await bobs.body?.cancel();

    // Closing one gives its place back once the server sees the close.
    await open[0]?.body?.cancel();
    let again = await stream('/sessions');
    while (again.status === 429) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      again = await stream('/sessions');
    }
    expect(again.status).toBe(200);
    for (const res of [again, ...open.slice(1)]) await res.body?.cancel();
  }, 120_000);
});
