import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../environments/settings.js';
import { newId } from '../ids.js';
import { createEnvironment } from '../store/environments.js';
import { LISTENER_APP_NAME, PgListener } from '../store/listener.js';
import { insertSession } from '../store/sessions.js';
import { openStore, type Store } from '../store/store.js';
import { openTestStore } from '../store/test-store.js';
import { createUser } from '../store/users.js';
import { EventLog, type SessionChange } from './event-log.js';
import type { NewEvent, SessionEvent } from './events.js';
import { EVENTS_CHANNEL, PgEventBus } from './pg-event-bus.js';

/** One node of a cluster: its own pool, its own listener, its own bus and log. */
interface Node {
  store: Store;
  listener: PgListener;
  bus: PgEventBus;
  log: EventLog;
}

const logger = pino({ level: 'silent' });
let first: Store;
let a: Node;
let b: Node;

async function node(url: string): Promise<Node> {
  const store = await openStore({ databaseUrl: url });
  const listener = new PgListener(url, [EVENTS_CHANNEL], logger);
  await listener.start();
  const bus = new PgEventBus(store.db, listener, logger);
  return { store, listener, bus, log: new EventLog(store.db, bus) };
}

beforeAll(async () => {
  first = await openTestStore();
  a = await node(first.url ?? '');
  b = await node(first.url ?? '');
});
afterAll(async () => {
  for (const n of [a, b]) {
    n.bus.close();
    await n.listener.close();
    await n.store.close();
  }
  await first.close();
});

async function newSession(): Promise<{ id: string; userId: string }> {
  const user = await createUser(first.db, { name: 'u', isAdmin: false });
  const env = await createEnvironment(first.db, user.id, { name: 'e', ...DEFAULT_SETTINGS });
  const id = newId('ses');
  await insertSession(first.db, {
    id,
    userId: user.id,
    environmentId: env.id,
    title: 't',
    source: { type: 'git', url: 'https://example.com/r.git', branch: 'main' },
  });
  return { id, userId: user.id };
}

const text = (n: number): NewEvent => ({ type: 'message.assistant', data: { text: `m${n}` } });

/** Follows `id` on `log` until `count` events came; answers them. */
async function collect(log: EventLog, id: string, count: number): Promise<SessionEvent[]> {
  const seen: SessionEvent[] = [];
  const abort = new AbortController();
  for await (const event of log.follow(id, 0, abort.signal)) {
    seen.push(event);
    if (seen.length === count) abort.abort();
  }
  return seen;
}

/** Kills node `n`'s listening connection, as a network failure or a restarted database would. */
async function dropListener(url: string): Promise<void> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(
      `select pg_terminate_backend(pid) from pg_stat_activity
        where application_name = $1 and pid <> pg_backend_pid()`,
      [LISTENER_APP_NAME],
    );
  } finally {
    await admin.end();
  }
}

describe('PgEventBus (PostgreSQL LISTEN/NOTIFY)', () => {
  it('a follower on node A sees every event appended on node B, once, in order', async () => {
    const { id } = await newSession();
    const following = collect(a.log, id, 12);
    // The follower reads the log first; appends come while it waits.
    await new Promise((r) => setTimeout(r, 100));
    for (let i = 0; i < 6; i++) await b.log.append(id, [text(2 * i), text(2 * i + 1)]);
    const seen = await following;
    expect(seen.map((e) => e.seq)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(seen.map((e) => (e.data as { text: string }).text)).toEqual(
      Array.from({ length: 12 }, (_, i) => `m${i}`),
    );
  });

  it("node A's session list hears of B's appends, archives and deletions, once each", async () => {
    const { id, userId } = await newSession();
    const changes: SessionChange[] = [];
    let heard: () => void = () => undefined;
    const unwatch = a.log.watch((change) => {
      if (change.sessionId !== id) return;
      changes.push(change);
      if (changes.length === 3) heard();
    });
    const all = new Promise<void>((resolve) => (heard = resolve));
    await b.log.append(id, [{ type: 'session.status', data: { status: 'running' } }]);
    b.log.announce({ type: 'archived', sessionId: id, userId });
    b.log.announce({ type: 'deleted', sessionId: id, userId });
    await all;
    unwatch();
    expect(changes.map((c) => c.type)).toEqual(['appended', 'archived', 'deleted']);
    const appended = changes[0];
    expect(appended?.type === 'appended' && appended.events.map((e) => e.type)).toEqual([
      'session.status',
    ]);
  });

  it('a follower whose listener connection dropped misses nothing appended meanwhile', async () => {
    const { id } = await newSession();
    const following = collect(a.log, id, 4);
    await b.log.append(id, [text(0), text(1)]);
    await dropListener(first.url ?? '');
    // Appended while A listens to nothing: the notification is lost, the log is not.
    await b.log.append(id, [text(2), text(3)]);
    const seen = await following;
    expect(seen.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
  });
});
