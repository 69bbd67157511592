/**
 * bench/many-sessions: one server holding 200 hibernated sessions and 50 live ones (real
 * sandboxes, idle after a turn of Claude Code against the scripted model), with 500 SSE
 * listeners on the live sessions' event streams. Measures p50/p99 of `GET /api/v1/sessions`
 * (as the web app and the CLI call it) and of an event append (the runner's
 * `EventLog.append`, the path an agent's output takes), both at once, next to a baseline
 * in the same run: the same requests with 1 session and no listener. Also checks that
 * every listener got every event appended to its session, and reports memory per live
 * session (server RSS, host helpers, the sandboxes' cgroups) and per listener.
 *
 * The server runs in this process (`startServer`, as `hangar serve` does) so appends go
 * through its own event log; the HTTP clients and listeners run in a child process.
 *
 *   npm run build && npx tsx bench/many-sessions.ts [--postgres] [--live 50] [--hibernated 200] [--listeners 500]
 *   (as root; --postgres under scripts/with-postgres, which gives TEST_DATABASE_URL)
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startModelServer } from '../fixtures/model-server.js';
import { serverConfigFrom } from '../src/config.js';
import { newId } from '../src/ids.js';
import { readUsage, type CgroupPaths } from '../src/sandbox/cgroups.js';
import { startServer, type RunningServer } from '../src/server/serve.js';
import type { NewEvent } from '../src/sessions/events.js';
import { insertEvents } from '../src/store/events.js';
import { users } from '../src/store/schema.js';
import { insertSession } from '../src/store/sessions.js';
import { parseSse } from '../src/sse.js';
import { makeRepo } from '../test/e2e/stack.js';

const { values: args } = parseArgs({
  options: {
    postgres: { type: 'boolean', default: false },
    live: { type: 'string', default: '50' },
    hibernated: { type: 'string', default: '200' },
    listeners: { type: 'string', default: '500' },
    requests: { type: 'string', default: '300' },
    client: { type: 'boolean', default: false },
  },
});

/** Wall-clock ms with sub-ms precision, comparable across the two processes. */
const now = () => performance.timeOrigin + performance.now();

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

// ---- the client process: list requests and SSE listeners, commanded over IPC ----

type ToClient =
  | { type: 'list'; url: string; token: string; runs: number }
  | { type: 'listen'; url: string; token: string; streams: { sessionId: string; after: number }[] }
  | { type: 'report' }
  | { type: 'close' };

type FromClient =
  | { type: 'listed'; times: number[]; sessions: number }
  | { type: 'listening'; count: number }
  | { type: 'report'; listeners: { sessionId: string; seqs: [number, number][] }[] };

function client(): void {
  const send = (message: FromClient) => process.send?.(message);
  const abort = new AbortController();
  const listeners: { sessionId: string; seqs: [number, number][] }[] = [];
  process.on('message', (message: ToClient) => {
    void (async () => {
      switch (message.type) {
        case 'list': {
          const times: number[] = [];
          let sessions = 0;
          for (let i = 0; i < message.runs; i++) {
            const started = now();
            const res = await fetch(`${message.url}/api/v1/sessions`, {
              headers: { authorization: `Bearer ${message.token}` },
            });
            const body = (await res.json()) as { sessions: unknown[] };
            times.push(now() - started);
            if (!res.ok) throw new Error(`GET /sessions: ${res.status}`);
            sessions = body.sessions.length;
          }
          send({ type: 'listed', times, sessions });
          return;
        }
        case 'listen': {
          const opened = message.streams.map(async ({ sessionId, after }) => {
            const res = await fetch(
              `${message.url}/api/v1/sessions/${sessionId}/events?after=${after}`,
              {
                headers: {
                  authorization: `Bearer ${message.token}`,
                  accept: 'text/event-stream',
                },
                signal: abort.signal,
              },
            );
            const body = res.body;
            if (!res.ok || !body) throw new Error(`SSE ${sessionId}: ${res.status}`);
            const listener = { sessionId, seqs: [] as [number, number][] };
            listeners.push(listener);
            void (async () => {
              for await (const sse of parseSse(body)) {
                listener.seqs.push([Number(sse.id), now()]);
              }
            })().catch(() => undefined);
          });
          await Promise.all(opened);
          send({ type: 'listening', count: listeners.length });
          return;
        }
        case 'report':
          send({ type: 'report', listeners });
          return;
        case 'close':
          abort.abort();
          process.disconnect();
          return;
      }
    })().catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
  });
}

// ---- the server process ----

function ask<T extends FromClient['type']>(
  child: ChildProcess,
  message: ToClient,
  answer: T,
): Promise<Extract<FromClient, { type: T }>> {
  return new Promise((resolve) => {
    const onMessage = (reply: FromClient) => {
      if (reply.type !== answer) return;
      child.off('message', onMessage);
      resolve(reply as Extract<FromClient, { type: T }>);
    };
    child.on('message', onMessage);
    child.send(message);
  });
}

/** A busy agent's mix of events, with realistic sizes; `i` varies them. */
function historyOf(i: number): NewEvent[] {
  const text = (n: number) => 'lorem ipsum dolor sit amet '.repeat(Math.ceil(n / 27)).slice(0, n);
  const batch: NewEvent[] = [
    { type: 'session.status', data: { status: 'queued' } },
    { type: 'message.user', data: { text: `Fix the flaky test number ${i} in auth.spec.ts` } },
    { type: 'session.status', data: { status: 'provisioning', subStep: 'sandbox' } },
    { type: 'session.status', data: { status: 'provisioning', subStep: 'clone' } },
    { type: 'session.status', data: { status: 'provisioning', subStep: 'agent' } },
    { type: 'session.status', data: { status: 'running' } },
  ];
  for (let step = 0; step < 40; step++) {
    batch.push({ type: 'message.assistant', data: { text: text(200 + ((i * 7 + step) % 600)) } });
    const id = `toolu_${i}_${step}`;
    batch.push({
      type: 'tool.call',
      data: { id, name: step % 3 ? 'Bash' : 'Edit', input: { command: text(80) } },
    });
    batch.push({
      type: 'tool.result',
      data: { id, output: text(300 + ((i * 13 + step * 97) % 3700)), isError: false },
    });
  }
  batch.push(
    { type: 'diff.updated', data: { files: 3, additions: 42, deletions: 7 } },
    {
      type: 'turn.result',
      data: { isError: false, durationMs: 93_000, costUsd: 0.41, usage: usage() },
    },
    { type: 'session.status', data: { status: 'idle' } },
    { type: 'session.status', data: { status: 'hibernated' } },
  );
  return batch;
}

function usage() {
  return { inputTokens: 120_000, outputTokens: 9_000, cacheReadInputTokens: 80_000 };
}

/** Rows the app treats as hibernated sessions, made through the store's own inserts. */
async function insertHibernated(server: RunningServer, count: number): Promise<number> {
  const db = server.store.db;
  const [user] = await db.select().from(users);
  if (!user?.defaultEnvironmentId) throw new Error('no admin with a default environment');
  let events = 0;
  for (let i = 0; i < count; i++) {
    const id = newId('ses');
    await insertSession(db, {
      id,
      userId: user.id,
      environmentId: user.defaultEnvironmentId,
      title: `Fix the flaky test number ${i} in auth.spec.ts`,
      prompt: `Fix the flaky test number ${i} in auth.spec.ts`,
      repoName: 'repo',
      status: 'hibernated',
      source: { type: 'git', url: 'https://github.com/example/repo.git', branch: 'main' },
      branch: `hangar/fix-the-flaky-test-${i}`,
      baseCommit: '0123456789abcdef0123456789abcdef01234567',
      agentSessionId: crypto.randomUUID(),
      diff: `diff --git a/auth.spec.ts b/auth.spec.ts\n${'+ a changed line of test code\n'.repeat(600)}`,
      diffFiles: 3,
      additions: 42,
      deletions: 7,
    });
    const history = historyOf(i);
    for (let at = 0; at < history.length; at += 50) {
      await insertEvents(db, id, history.slice(at, at + 50));
    }
    events += history.length;
  }
  return events;
}

/** A full garbage collection, so RSS before and after compare live memory. */
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** RSS of this process and of its descendants outside sandboxes, in bytes. */
function hostMemory(exclude: number[]): { server: number; helpers: number; helperCount: number } {
  collectGarbage();
  const parents = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parents.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // Gone meanwhile.
    }
  }
  const rss = (pid: number) => {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      return Number(/^VmRSS:\s+([0-9]+) kB/m.exec(status)?.[1] ?? 0) * 1024;
    } catch {
      return 0;
    }
  };
  const inSandbox = (pid: number) => {
    try {
      return /\/hangar\/sbx_/.test(readFileSync(`/proc/${pid}/cgroup`, 'utf8'));
    } catch {
      return true;
    }
  };
  let helpers = 0;
  let helperCount = 0;
  for (const pid of parents.keys()) {
    if (pid === process.pid || exclude.includes(pid)) continue;
    let up = parents.get(pid);
    while (up && up !== process.pid && !exclude.includes(up)) up = parents.get(up);
    if (up !== process.pid || inSandbox(pid)) continue;
    helpers += rss(pid);
    helperCount++;
  }
  return { server: rss(process.pid), helpers, helperCount };
}

/** The memory the kernel counts in this server's sandboxes' cgroups. */
function sandboxMemory(dataDir: string): { sandboxes: number; bytes: number } {
  const dir = join(dataDir, 'sandboxes');
  let bytes = 0;
  let sandboxes = 0;
  for (const id of readdirSync(dir)) {
    try {
      const saved = JSON.parse(readFileSync(join(dir, id, 'sandbox.json'), 'utf8')) as {
        cgroups?: CgroupPaths;
      };
      if (!saved.cgroups) continue;
      const used = readUsage(saved.cgroups).memoryBytes;
      if (used === 0) continue;
      bytes += used;
      sandboxes++;
    } catch {
      // Not a sandbox, or gone.
    }
  }
  return { sandboxes, bytes };
}

const MB = 1024 * 1024;
const mb = (bytes: number) => `${(bytes / MB).toFixed(1)} MB`;

async function main(): Promise<void> {
  const live = Number(args.live);
  const hibernated = Number(args.hibernated);
  const listenerCount = Number(args.listeners);
  const requests = Number(args.requests);
  const databaseUrl = args.postgres ? process.env.TEST_DATABASE_URL : undefined;
  if (args.postgres && !databaseUrl) {
    throw new Error('--postgres needs TEST_DATABASE_URL: run under scripts/with-postgres');
  }

  const model = await startModelServer({ script: { replies: [] } });
  const root = mkdtempSync(join(tmpdir(), 'hangar-bench-many-'));
  const cleanUp: string[] = [];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HANGAR_DATA_DIR: join(root, 'data'),
    HANGAR_AGENTS_DIR: process.env.HANGAR_AGENTS_DIR ?? join(tmpdir(), 'hangar-test-agents'),
    ANTHROPIC_BASE_URL: model.url,
    ANTHROPIC_API_KEY: 'sk-bench',
    HANGAR_HOST: '127.0.0.1',
    HANGAR_PORT: '0',
    HANGAR_LOG_LEVEL: 'warn',
    // One user holds every listener here; the default (20 per user) bounds each user.
    HANGAR_MAX_STREAMS_PER_USER: String(listenerCount + 10),
    HANGAR_MAX_SESSIONS_PER_USER_PER_HOUR: String(live + 10),
  };
  if (databaseUrl) env.DATABASE_URL = databaseUrl;
  else delete env.DATABASE_URL;
  Object.assign(process.env, env);
  const server = await startServer(serverConfigFrom(env));
  const dataDir = env.HANGAR_DATA_DIR ?? '';
  const token = readFileSync(server.adminTokenFile, 'utf8').trim();
  const child = fork(new URL(import.meta.url).pathname, ['--client'], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const call = async (method: string, path: string, body?: Buffer | string, type?: string) => {
    const request = () =>
      fetch(`${server.url}/api/v1${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': type ?? 'application/json',
        },
        body: body ?? null,
      });
    // A GET may meet a kept-alive connection the server just closed: try it once more.
    const res = await request().catch((error: unknown) => {
      if (method !== 'GET') throw error;
      return request();
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as Record<string, unknown>;
  };

  /** Appends one assistant message to each session in turn, timed; lists meanwhile. */
  const measure = async (sessionIds: string[]) => {
    const listing = ask(child, { type: 'list', url: server.url, token, runs: requests }, 'listed');
    const appendTimes: number[] = [];
    const appended: { sessionId: string; seq: number; at: number }[] = [];
    for (let i = 0; i < requests; i++) {
      const sessionId = sessionIds[i % sessionIds.length] ?? '';
      const started = now();
      const [stored] = await server.log.append(sessionId, [
        {
          type: 'message.assistant',
          data: { text: `Step ${i}: ${'reading the test. '.repeat(20)}` },
        },
      ]);
      const at = now();
      appendTimes.push(at - started);
      appended.push({ sessionId, seq: stored?.seq ?? 0, at });
    }
    const listed = await listing;
    return { appendTimes, appended, listed };
  };

  try {
    console.log(
      `many sessions on one server (${args.postgres ? 'PostgreSQL' : 'PGlite, embedded'}), ` +
        `${requests} requests each, load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
    );

    // Baseline: 1 session (hibernated, with a full history), no listener.
    await insertHibernated(server, 1);
    const [baselineSession] = ((await call('GET', '/sessions')) as { sessions: { id: string }[] })
      .sessions;
    const base = await measure([baselineSession?.id ?? '']);

    // The other hibernated sessions, made through the store's own inserts.
    let started = now();
    const events = await insertHibernated(server, hibernated - 1);
    console.log(
      `  ${hibernated} hibernated sessions: rows inserted through the store (insertSession, ` +
        `insertEvents), ${Math.round(events / (hibernated - 1))} events and a 17 KB diff each ` +
        `(${((now() - started) / 1000).toFixed(1)} s); no sandbox on disk behind them`,
    );

    // Live sessions: real ones through the API, real sandboxes, idle after one turn.
    const repo = makeRepo('repo', { 'README.md': '# bench\n' });
    cleanUp.push(dirname(repo));
    execFileSync('git', ['bundle', 'create', '-q', `${repo}.bundle`, '--all'], { cwd: repo });
    // A warm-up session installs the agent and fills the pool: its memory is not counted.
    const warm = await startLive(call, repo, 'warm up');
    await waitIdle(call, [warm]);
    const before = { host: hostMemory([child.pid ?? 0]), boxes: sandboxMemory(dataDir) };
    started = now();
    const liveIds: string[] = [];
    for (let i = 0; i < live; i++) liveIds.push(await startLive(call, repo, `task ${i}`));
    await waitIdle(call, liveIds);
    // Let the pool refill and the turn's garbage go before reading memory.
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const after = { host: hostMemory([child.pid ?? 0]), boxes: sandboxMemory(dataDir) };
    console.log(
      `  ${live} live sessions: created through the API, idle after one turn of Claude Code ` +
        `(${((now() - started) / 1000).toFixed(1)} s)`,
    );

    // Listeners: spread evenly over the live sessions, from their current end.
    const streams: { sessionId: string; after: number }[] = [];
    const lastSeqs = new Map<string, number>();
    for (const id of liveIds) {
      lastSeqs.set(id, (await call('GET', `/sessions/${id}/events?limit=1`)).lastSeq as number);
    }
    for (let i = 0; i < listenerCount; i++) {
      const sessionId = liveIds[i % liveIds.length] ?? '';
      streams.push({ sessionId, after: lastSeqs.get(sessionId) ?? 0 });
    }
    const beforeListeners = hostMemory([child.pid ?? 0]).server;
    started = now();
    const listening = await ask(
      child,
      { type: 'listen', url: server.url, token, streams },
      'listening',
    );
    const listenMs = now() - started;
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const afterListeners = hostMemory([child.pid ?? 0]).server;
    console.log(`  ${listening.count} SSE listeners connected in ${Math.round(listenMs)} ms`);

    const loaded = await measure(liveIds);
    // Let the last events reach every listener.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const { listeners } = await ask(child, { type: 'report' }, 'report');
    const wanted = new Map<string, Map<number, number>>();
    for (const { sessionId, seq, at } of loaded.appended) {
      if (!wanted.has(sessionId)) wanted.set(sessionId, new Map());
      wanted.get(sessionId)?.set(seq, at);
    }
    let complete = 0;
    let missing = 0;
    const lastDelivery = new Map<string, number>();
    for (const listener of listeners) {
      const want = wanted.get(listener.sessionId) ?? new Map<number, number>();
      const got = new Map(listener.seqs);
      let all = true;
      for (const [seq, at] of want) {
        const receivedAt = got.get(seq);
        if (receivedAt === undefined) {
          all = false;
          missing++;
          continue;
        }
        const key = `${listener.sessionId}/${seq}`;
        lastDelivery.set(key, Math.max(lastDelivery.get(key) ?? 0, receivedAt - at));
      }
      if (all && got.size === want.size) complete++;
    }
    const delivery = [...lastDelivery.values()];

    const row = (name: string, b: number[], l: number[]) => {
      const [b50, b99, l50, l99] = [
        percentile(b, 50),
        percentile(b, 99),
        percentile(l, 50),
        percentile(l, 99),
      ];
      console.log(
        `  ${name.padEnd(26)} baseline p50 ${b50.toFixed(1)} ms, p99 ${b99.toFixed(1)} ms | ` +
          `loaded p50 ${l50.toFixed(1)} ms, p99 ${l99.toFixed(1)} ms (goal ≤ 50) | ` +
          `ratio p50 ${(l50 / b50).toFixed(2)}, p99 ${(l99 / b99).toFixed(2)}`,
      );
    };
    console.log(
      `results: baseline = 1 session, no listener; loaded = ${hibernated} hibernated + ${live} live ` +
        `(+1 warm-up), ${listening.count} listeners, the list ${loaded.listed.sessions} sessions long`,
    );
    row('GET /api/v1/sessions', base.listed.times, loaded.listed.times);
    row('event append (EventLog)', base.appendTimes, loaded.appendTimes);
    console.log(
      `  delivery: ${complete} of ${listeners.length} listeners got all of their session's ` +
        `${requests / live} new events (${missing} missing); append → its last listener p50 ` +
        `${percentile(delivery, 50).toFixed(1)} ms, p99 ${percentile(delivery, 99).toFixed(1)} ms`,
    );
    const perLive = (a: number, b: number) => mb((b - a) / live);
    console.log(
      `  memory per live session: server RSS ${perLive(before.host.server, after.host.server)} ` +
        `(${mb(before.host.server)} → ${mb(after.host.server)}), host helpers ` +
        `${perLive(before.host.helpers, after.host.helpers)} (${before.host.helperCount} → ` +
        `${after.host.helperCount} processes), sandbox cgroup ` +
        `${perLive(before.boxes.bytes, after.boxes.bytes)} (${before.boxes.sandboxes} → ` +
        `${after.boxes.sandboxes} sandboxes, ${mb(after.boxes.bytes)}); total ` +
        perLive(
          before.host.server + before.host.helpers + before.boxes.bytes,
          after.host.server + after.host.helpers + after.boxes.bytes,
        ),
    );
    console.log(
      `  memory per SSE listener: server RSS ${((afterListeners - beforeListeners) / listening.count / 1024).toFixed(1)} KB ` +
        `(${mb(beforeListeners)} → ${mb(afterListeners)})`,
    );
  } finally {
    child.send({ type: 'close' } satisfies ToClient);
    await server.close();
    await model.close();
    for (const dir of [root, ...cleanUp]) rmSync(dir, { recursive: true, force: true });
  }
}

type Call = (
  method: string,
  path: string,
  body?: Buffer | string,
  type?: string,
) => Promise<Record<string, unknown>>;

async function startLive(call: Call, repo: string, prompt: string): Promise<string> {
  const bundle = await call(
    'POST',
    '/bundles',
    readFileSync(`${repo}.bundle`),
    'application/octet-stream',
  );
  const session = await call(
    'POST',
    '/sessions',
    JSON.stringify({ prompt, source: { type: 'bundle', bundleId: bundle.id } }),
  );
  return session.id as string;
}

async function waitIdle(call: Call, ids: string[]): Promise<void> {
  const pending = new Set(ids);
  while (pending.size > 0) {
    const { sessions } = (await call('GET', '/sessions')) as {
      sessions: { id: string; status: string; failureReason: string | null }[];
    };
    for (const s of sessions) {
      if (!pending.has(s.id)) continue;
      if (s.status === 'failed') throw new Error(`session ${s.id} failed: ${s.failureReason}`);
      if (s.status === 'idle') pending.delete(s.id);
    }
    if (pending.size > 0) await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

if (args.client) client();
else await main();
