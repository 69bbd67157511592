import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bashCall, say, startModelServer, type ModelServer } from '../../fixtures/model-server.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { Cluster, type RunnerProcess } from './cluster.js';
import { startGitHost, type GitHost } from './git-host.js';
import { isolatedEnv, runHangar } from './hangar.js';
import { git, makeRepo, type EventJson, type SessionJson, type Stack } from './stack.js';

/**
 * Several processes on one PostgreSQL are one Hangar: 2 API nodes (`hangar serve
 * --no-runner`) and 2 runners (`hangar runner`), each with a data dir of its own. A
 * session made on one API node runs on a runner and is served by both API nodes; what
 * is sent to either reaches the runner that holds it; a runner killed mid-turn loses
 * nothing: the other takes its sessions over once their leases run out, rebuilt from
 * their branches as last pushed. Runs as root (sandboxes need it).
 */

/** Short, so a runner's sessions move within seconds of its death; renewed every 2 s. */
const LEASE_SECONDS = 6;

let model: ModelServer;
let upstream: GitHost;
let cluster: Cluster;
let a: Stack;
let b: Stack;

beforeAll(async () => {
  model = await startModelServer({ script: { replies: [] } });
  upstream = await startGitHost(makeRepo('demo', { 'README.md': '# demo\n' }));
  cluster = await Cluster.start(model, {
    apis: 2,
    runners: 2,
    extra: {
      HANGAR_LEASE_SECONDS: String(LEASE_SECONDS),
      HANGAR_RUNNER_CAPACITY: '5',
      HANGAR_MAX_SESSIONS_PER_USER: '10',
    },
  });
  [a, b] = cluster.apis as [Stack, Stack];
}, 240_000);
afterAll(async () => {
  await cluster.stop();
  upstream.close();
  await model.close();
});

async function startSession(on: Stack, task: string): Promise<string> {
  const { status, json } = await on.api<{ id: string }>('POST', '/sessions', {
    prompt: task,
    source: { type: 'git', url: upstream.url },
  });
  expect(status, JSON.stringify(json)).toBe(201);
  return json.id;
}

interface Streamed {
  seq: number;
  type: string;
  data: EventJson['data'];
}

/** The events node `on` streams over SSE for session `id`, until `until` holds. */
async function sse(
  on: Stack,
  id: string,
  until: (events: Streamed[]) => boolean,
): Promise<Streamed[]> {
  const res = await fetch(`${on.server.url}/api/v1/sessions/${id}/events`, {
    headers: { authorization: `Bearer ${on.token}`, accept: 'text/event-stream' },
  });
  const reader = (res.body as ReadableStream<Uint8Array> | null)?.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const seen = () =>
    [...text.matchAll(/^event: (\S+)\ndata: (.*)\nid: (\d+)$/gm)].map((m) => ({
      type: m[1] ?? '',
      data: (JSON.parse(m[2] ?? '{}') as { data?: EventJson['data'] }).data ?? {},
      seq: Number(m[3]),
    }));
  while (reader && !until(seen())) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  await reader?.cancel();
  return seen();
}

/** Every seq once, from 1 with no gap: nothing lost, nothing written twice. */
function expectExactlyOnce(events: EventJson[]): void {
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
}

/** A first turn's command: one.txt committed and pushed, scratch.txt left uncommitted. */
const PUSH_ONE_LEAVE_SCRATCH =
  'echo one > one.txt && git add one.txt && git commit -qm one && git push -q origin HEAD && echo scratch > scratch.txt';

/**
 * The session was rebuilt on `runner` from its git source: a fresh clone of its branch
 * as last pushed (one.txt there, scratch.txt gone), and the transcript names the file lost.
 */
function expectRebuiltFromPushedBranch(events: EventJson[], runner: string): void {
  const rebuilt = events.find((e) => e.data.reason?.startsWith(`Rebuilt on runner ${runner}`));
  expect(rebuilt?.data.reason).toMatch(/a fresh clone of branch hangar\/\S+ as last pushed/);
  expect(rebuilt?.data.reason).toMatch(/uncommitted changes to scratch\.txt/);
  const listing = events.filter((e) => e.type === 'tool.result').at(-1)?.data.output ?? '';
  expect(listing).toContain('one.txt');
  expect(listing).not.toContain('scratch.txt');
  expect(listing).toMatch(/ one\n?/);
}

/** Which runner holds each of `ids`, as the sessions' leases in PostgreSQL say. */
async function leaseOwners(ids: string[]): Promise<Map<string, string | null>> {
  const client = new pg.Client({ connectionString: cluster.databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string; lease_owner: string | null }>(
      'select id, lease_owner from sessions where id = any($1)',
      [ids],
    );
    return new Map(rows.map((row) => [row.id, row.lease_owner]));
  } finally {
    await client.end();
  }
}

/** Polls `ready` every 100 ms, for up to a minute. */
async function until(ready: () => boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

const turns = (events: { type: string }[]) => events.filter((e) => e.type === 'turn.result').length;

describe('2 API nodes and 2 runners on one PostgreSQL', { timeout: 300_000 }, () => {
  it('runs a session made on A, streams it on A, and takes a follow-up sent to B', async () => {
    model.scriptFor('cluster task one', {
      replies: [say('First answer.'), say('Answer to the follow-up.')],
    });
    const id = await startSession(a, 'cluster task one');
    const streamed = sse(a, id, (events) => turns(events) >= 2);
    await a.waitForTurns(id, 1);
    const sent = await b.api<{ queued: boolean }>('POST', `/sessions/${id}/messages`, {
      text: 'a follow-up through B',
    });
    expect(sent.status).toBe(202);
    const events = await a.waitForTurns(id, 2);
    const texts = events.filter((e) => e.type === 'message.assistant').map((e) => e.data.text);
    expect(texts).toEqual(['First answer.', 'Answer to the follow-up.']);
    expect(events.filter((e) => e.type === 'message.user').map((e) => e.data.text)).toContain(
      'a follow-up through B',
    );
    // A's live feed showed every event once, in order, as B's log reads them.
    const live = await streamed;
    const stored = await b.events(id);
    expect(live.map((e) => e.seq)).toEqual(stored.slice(0, live.length).map((e) => e.seq));
    expect(live.map((e) => e.seq)).toEqual(live.map((_, i) => i + 1));
    expect(turns(live)).toBe(2);
  });

  it('`hangar runners` lists both runners, up, with what they hold', async () => {
    const result = await runHangar(['runners'], {
      ...isolatedEnv(),
      HANGAR_SERVER: b.server.url,
      HANGAR_TOKEN: b.token,
    });
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(
      /^ID\s+HOST\s+VERSION\s+ACTIVE\/CAPACITY\s+HELD\s+LAST HEARTBEAT\s+STATE$/,
    );
    for (const runner of cluster.runners) {
      expect(lines.find((line) => line.startsWith(runner.id))).toMatch(/\bup$/);
    }
  });

  it('interrupt, archive and delete sent to B reach the runner holding the session', async () => {
    const release = model.hold('cluster task held');
    model.scriptFor('cluster task held', { replies: [say('Never seen.'), say('After.')] });
    const id = await startSession(a, 'cluster task held');
    await a.waitForStatus(id, ['running']);
    const interrupted = await b.api<{ interrupted: boolean }>('POST', `/sessions/${id}/interrupt`);
    expect(interrupted).toEqual({ status: 200, json: { interrupted: true } });
    const events = await a.waitForEvents(id, (all) =>
      all.some((e: EventJson) => e.type === 'turn.result' && e.data.interrupted === true),
    );
    expect(events.some((e) => e.type === 'turn.result' && e.data.interrupted)).toBe(true);
    release();

    const archived = await b.api<SessionJson & { archivedAt: string | null }>(
      'POST',
      `/sessions/${id}/archive`,
    );
    expect(archived.status).toBe(200);
    expect(archived.json.archivedAt).not.toBeNull();
    const listed = await a.api<{ sessions: { id: string }[] }>('GET', '/sessions');
    expect(listed.json.sessions.map((s) => s.id)).not.toContain(id);

    const deleted = await b.api<{ deleted: string }>('DELETE', `/sessions/${id}`);
    expect(deleted).toEqual({ status: 200, json: { deleted: id } });
    expect((await a.api('GET', `/sessions/${id}`)).status).toBe(404);
  });

  it('`hangar teleport` through an API node without the repo brings back a bundle session', async () => {
    model.scriptFor('cluster bundle task', {
      replies: [
        {
          content: [
            bashCall(
              'echo hi > hi.txt && git add hi.txt && git commit -qm hi && git push -q origin HEAD',
            ),
          ],
        },
        say('Pushed hi.'),
      ],
    });
    const repo = makeRepo('bundled', { 'README.md': '# bundled\n' });
    const { status, json } = await a.api<{ id: string }>('POST', '/sessions', {
      prompt: 'cluster bundle task',
      source: { type: 'bundle', bundleId: await a.uploadBundle(repo), name: 'bundled' },
    });
    expect(status, JSON.stringify(json)).toBe(201);
    await a.waitForTurns(json.id, 1);
    // B runs no sessions: the branch comes from the repo the store keeps after each turn.
    const result = await runHangar(
      ['teleport', json.id],
      { ...isolatedEnv(), HANGAR_SERVER: b.server.url, HANGAR_TOKEN: b.token },
      undefined,
      repo,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(git(repo, 'log', '-1', '--format=%s')).toBe('hi');
    expect(readFileSync(join(repo, 'hi.txt'), 'utf8')).toBe('hi\n');
    expect(result.stdout).toMatch(/claude --resume [0-9a-f-]{36}/);
  });

  it('spreads 10 sessions over both runners; kill -9 of runner 2 mid-turn moves them to runner 1, nothing lost or doubled', async () => {
    const [runner1, runner2] = cluster.runners as [RunnerProcess, RunnerProcess];
    const tasks = Array.from({ length: 10 }, (_, i) => `spread task ${i}`);
    // Every first turn waits at the model: with room for 5 each, the runners take 5 each.
    const holds = tasks.map((task) => model.hold(task));
    for (const task of tasks) {
      model.scriptFor(task, {
        replies: [
          // The first turn pushes one.txt to the session's branch and leaves scratch.txt.
          { content: [bashCall(PUSH_ONE_LEAVE_SCRATCH)] },
          say(`first: ${task}`),
          // Twice: the dead runner's held request takes one as it is let go.
          { content: [bashCall('ls; git log --oneline -1')] },
          { content: [bashCall('ls; git log --oneline -1')] },
          say(`follow-up: ${task}`),
        ],
      });
    }
    const ids = await Promise.all(tasks.map((task) => startSession(a, task)));
    await Promise.all(ids.map((id) => a.waitForStatus(id, ['running'])));
    const owners = await leaseOwners(ids);
    expect(ids.filter((id) => owners.get(id) === runner1.id)).toHaveLength(5);
    expect(ids.filter((id) => owners.get(id) === runner2.id)).toHaveLength(5);
    for (const release of holds) release();
    await Promise.all(ids.map((id) => a.waitForTurns(id, 1)));

    // A session on runner 2, followed on A, its follow-up sent through B.
    const onTwo = ids.filter((id) => owners.get(id) === runner2.id);
    const [id = '', idle = ''] = onTwo;
    const task = tasks[ids.indexOf(id)] ?? '';
    const followed = sse(a, id, (events) =>
      events.some((e) => e.type === 'message.assistant' && e.data.text === `follow-up: ${task}`),
    );
    const cutRelease = model.hold(task);
    const sent = await b.api('POST', `/sessions/${id}/messages`, { text: 'go on, please' });
    expect(sent.status).toBe(202);
    await until(() => model.requests.some((r) => JSON.stringify(r.body).includes('go on, please')));

    // Runner 2 dies mid-turn, its agent waiting at the model.
    const killedAt = Date.now();
    await runner2.stop('SIGKILL');
    cutRelease();
    const live = await followed;

    // A's live feed showed every event once, in order, and is the stored log.
    const stored = await b.events(id);
    expect(live.map((e) => e.seq)).toEqual(live.map((_, i) => i + 1));
    expect(stored.slice(0, live.length).map((e) => [e.seq, e.type])).toEqual(
      live.map((e) => [e.seq, e.type]),
    );
    const moved = stored.find((e) =>
      e.data.reason?.startsWith(`Moved to runner ${runner1.id}: ${runner2.id} stopped`),
    );
    expect(moved, 'the transcript says the session moved').toBeDefined();
    // Taken within the lease (and a renewal tick), not when runner 2 is deemed gone (90 s).
    const movedAfterMs = Date.parse(moved?.createdAt ?? '') - killedAt;
    expect(movedAfterMs).toBeLessThan((LEASE_SECONDS + 20) * 1000);
    const cut = stored.filter((e) => e.type === 'turn.result' && e.data.interrupted);
    expect(cut).toHaveLength(1);
    expect(
      stored.filter((e) => e.type === 'message.user').map((e) => e.data.text),
      'the follow-up sent through B is in the log once',
    ).toEqual([task, 'go on, please']);
    expect((await leaseOwners([id])).get(id)).toBe(runner1.id);
    expectRebuiltFromPushedBranch(stored, runner1.id);

    // Runner 2's idle sessions wait on runner 1; the next message continues one there.
    for (const other of onTwo.filter((o) => o !== id)) {
      const events = await a.waitForEvents(other, (all) =>
        all.some((e) =>
          /^Moved to runner .*Your next message continues it here/.test(e.data.reason ?? ''),
        ),
      );
      expectExactlyOnce(events);
    }
    await b.api('POST', `/sessions/${idle}/messages`, { text: 'and now?' });
    const idleTask = tasks[ids.indexOf(idle)] ?? '';
    await a.waitForEvents(idle, (all) =>
      all.some((e) => e.type === 'message.assistant' && e.data.text === `follow-up: ${idleTask}`),
    );
    expect((await leaseOwners([idle])).get(idle)).toBe(runner1.id);
    expectRebuiltFromPushedBranch(await b.events(idle), runner1.id);

    // And no session lost or doubled an event.
    for (const each of ids) expectExactlyOnce(await b.events(each));
  });
});

describe('roles without DATABASE_URL', () => {
  it('`hangar runner` and `hangar serve --no-runner` refuse, saying why', async () => {
    for (const args of [['runner'], ['serve', '--no-runner', '--port', '0']]) {
      const result = await runHangar(args, isolatedEnv());
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('needs DATABASE_URL');
      expect(result.stderr).toContain('[database_url_required]');
    }
  });
});
