import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { say, startModelServer, type ModelServer } from '../../fixtures/model-server.js';
import { Cluster } from './cluster.js';
import { startGitHost, type GitHost } from './git-host.js';
import { isolatedEnv, runHangar } from './hangar.js';
import { makeRepo, type EventJson, type SessionJson, type Stack } from './stack.js';

/**
 * Several processes on one PostgreSQL are one Hangar: 2 API nodes (`hangar serve
 * --no-runner`) and 2 runners (`hangar runner`), each with a data dir of its own. A
 * session made on one API node runs on a runner and is served by both API nodes; what
 * is sent to either reaches the runner that holds it. Runs as root (sandboxes need it).
 */

let model: ModelServer;
let upstream: GitHost;
let cluster: Cluster;
let a: Stack;
let b: Stack;

beforeAll(async () => {
  model = await startModelServer({ script: { replies: [] } });
  upstream = await startGitHost(makeRepo('demo', { 'README.md': '# demo\n' }));
  cluster = await Cluster.start(model, { apis: 2, runners: 2 });
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

/** The seqs of the events node `on` streams over SSE for session `id`, until `until` holds. */
async function sseSeqs(
  on: Stack,
  id: string,
  until: (types: string[]) => boolean,
): Promise<{ seq: number; type: string }[]> {
  const res = await fetch(`${on.server.url}/api/v1/sessions/${id}/events`, {
    headers: { authorization: `Bearer ${on.token}`, accept: 'text/event-stream' },
  });
  const reader = (res.body as ReadableStream<Uint8Array> | null)?.getReader();
  let text = '';
  const seen = () =>
    [...text.matchAll(/^event: (\S+)\ndata: .*\nid: (\d+)$/gm)].map((m) => ({
      type: m[1] ?? '',
      seq: Number(m[2]),
    }));
  while (reader && !until(seen().map((e) => e.type))) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  await reader?.cancel();
  return seen();
}

const turns = (types: string[]) => types.filter((t) => t === 'turn.result').length;

describe('2 API nodes and 2 runners on one PostgreSQL', { timeout: 300_000 }, () => {
  it('runs a session made on A, streams it on A, and takes a follow-up sent to B', async () => {
    model.scriptFor('cluster task one', {
      replies: [say('First answer.'), say('Answer to the follow-up.')],
    });
    const id = await startSession(a, 'cluster task one');
    const streamed = sseSeqs(a, id, (types) => turns(types) >= 2);
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
    expect(turns(live.map((e) => e.type))).toBe(2);
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
