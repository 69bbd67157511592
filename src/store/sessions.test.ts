import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../environments/settings.js';
import { newId } from '../ids.js';
import { createEnvironment } from './environments.js';
import { openStore, type Store } from './store.js';
import { createTestDatabase } from './test-store.js';
import { createUser } from './users.js';
import { claimQueued, insertSession, loadSession, markWaiting, updateSession } from './sessions.js';

/**
 * The per-user concurrency limit lives in the claim query, so it holds however many
 * runners share the database. On PostgreSQL two stores (two connection pools, as two
 * runner hosts have) race for the same queue; on PGlite both are the one store.
 */
const adminUrl = process.env.TEST_DATABASE_URL;
let stores: [Store, Store];
let drop = async () => {};

beforeAll(async () => {
  if (adminUrl) {
    const database = await createTestDatabase(adminUrl);
    const first = await openStore({ databaseUrl: database.url });
    stores = [first, await openStore({ databaseUrl: database.url })];
    drop = database.drop;
  } else {
    const only = await openStore({});
    stores = [only, only];
  }
});
afterAll(async () => {
  await stores[0].close();
  if (stores[1] !== stores[0]) await stores[1].close();
  await drop();
});

const LEASE_MS = 60_000;
let clock = Date.UTC(2026, 0, 1);

/** A user with an environment, and a way to queue sessions for them in order. */
async function userWithQueue(name: string) {
  const db = stores[0].db;
  const user = await createUser(db, { name, isAdmin: false });
  const env = await createEnvironment(db, user.id, { name: 'default', ...DEFAULT_SETTINGS });
  return {
    id: user.id,
    queue: async (count: number): Promise<string[]> => {
      const ids: string[] = [];
      for (let i = 0; i < count; i++) {
        const session = await insertSession(db, {
          id: newId('ses'),
          userId: user.id,
          environmentId: env.id,
          title: `${name} ${i}`,
          source: { type: 'git', url: 'https://example.com/a.git', branch: 'main' },
          createdAt: new Date((clock += 1000)),
        });
        ids.push(session.id);
      }
      return ids;
    },
  };
}

describe(`claiming with a per-user limit (${adminUrl ? 'postgres' : 'pglite'})`, () => {
  it('skips a user at the limit, takes other users meanwhile, and says why the rest wait', async () => {
    const db = stores[0].db;
    const alice = await userWithQueue('alice');
    const bob = await userWithQueue('bob');
    const [a1, a2, a3] = await alice.queue(3);
    const [b1] = await bob.queue(1);
    const claim = () => claimQueued(db, 'runner-1', LEASE_MS, 2);

    expect((await claim())?.id).toBe(a1);
    expect((await claim())?.id).toBe(a2);
    // Alice is at 2 of 2: her third session is older than Bob's, yet Bob's goes first.
    expect((await claim())?.id).toBe(b1);
    expect(await claim()).toBeUndefined();

    expect(await markWaiting(db, 2)).toEqual([
      { id: a3, detail: 'waiting: 2 of 2 concurrent sessions in use' },
    ]);
    // Said once, not on every poll.
    expect(await markWaiting(db, 2)).toEqual([]);
    expect(await loadSession(db, a3 ?? '')).toMatchObject({
      status: 'queued',
      statusDetail: 'waiting: 2 of 2 concurrent sessions in use',
    });

    // An idle session waits for its user's reply: it frees the slot.
    await updateSession(db, a1 ?? '', { status: 'idle' });
    const third = await claim();
    expect(third).toMatchObject({ id: a3, status: 'provisioning', statusDetail: null });
  });

  it('does not count sessions whose runner died (lease run out)', async () => {
    const db = stores[0].db;
    const carol = await userWithQueue('carol');
    const [c1, c2] = await carol.queue(2);
    expect((await claimQueued(db, 'runner-1', LEASE_MS, 1))?.id).toBe(c1);
    expect(await claimQueued(db, 'runner-1', LEASE_MS, 1)).toBeUndefined();
    await updateSession(db, c1 ?? '', { status: 'running', leaseExpiresAt: new Date(0) });
    expect((await claimQueued(db, 'runner-1', LEASE_MS, 1))?.id).toBe(c2);
  });

  it('holds when several runners claim at once', async () => {
    const dave = await userWithQueue('dave');
    const erin = await userWithQueue('erin');
    const daves = await dave.queue(8);
    const erins = await erin.queue(2);
    // Sixteen claims at once from two runners, each on its own connection pool.
    const claims = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        claimQueued((i % 2 === 0 ? stores[0] : stores[1]).db, `runner-${i % 2}`, LEASE_MS, 3),
      ),
    );
    const claimed = claims.flatMap((session) => (session ? [session.id] : []));
    expect(claimed.filter((id) => daves.includes(id))).toHaveLength(3);
    // Whatever the burst left for Erin, the next claims take: Dave's limit is not hers.
    while (await claimQueued(stores[0].db, 'runner-0', LEASE_MS, 3));
    const statuses = async (ids: string[]) =>
      Promise.all(ids.map(async (id) => (await loadSession(stores[0].db, id))?.status));
    expect((await statuses(daves)).filter((s) => s === 'provisioning')).toHaveLength(3);
    expect(await statuses(erins)).toEqual(['provisioning', 'provisioning']);
  });
});
