import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError } from '../errors.js';
import { DEFAULT_SETTINGS } from '../environments/settings.js';
import {
  archiveEnvironment,
  createEnvironment,
  getEnvironment,
  listEnvironments,
  setDefaultEnvironment,
  updateEnvironment,
} from './environments.js';
import { events, sessions } from './schema.js';
import { isUniqueViolation, openStore, type Store } from './store.js';
import { createTestDatabase, openTestStore } from './test-store.js';
import { checkToken, createToken, listTokens, revokeToken } from './tokens.js';
import { createUser, getUser } from './users.js';

let store: Store;
beforeAll(async () => {
  store = await openTestStore();
});
afterAll(async () => {
  await store.close();
});

const settings = (name: string) => ({ name, ...DEFAULT_SETTINGS });

describe(`store (${process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite'})`, () => {
  it('keeps environment names unique per user among live environments', async () => {
    const alice = await createUser(store.db, { name: 'alice', isAdmin: false });
    const bob = await createUser(store.db, { name: 'bob', isAdmin: false });
    const first = await createEnvironment(store.db, alice.id, settings('Web'));
    await expect(createEnvironment(store.db, alice.id, settings('web'))).rejects.toThrow(
      ConflictError,
    );
    await expect(createEnvironment(store.db, bob.id, settings('Web'))).resolves.toMatchObject({
      name: 'Web',
    });

    const other = await createEnvironment(store.db, alice.id, settings('Other'));
    await expect(
      updateEnvironment(store.db, alice.id, other.id, settings('WEB'), new Date()),
    ).rejects.toThrow(/already exists/);

    await archiveEnvironment(store.db, alice.id, first.id, new Date());
    await expect(createEnvironment(store.db, alice.id, settings('Web'))).resolves.toMatchObject({
      name: 'Web',
    });
    const live = await listEnvironments(store.db, alice.id, { archived: false });
    expect(live.map((e) => e.name)).toEqual(['Other', 'Web']);
    expect(await listEnvironments(store.db, alice.id, { archived: true })).toHaveLength(3);
  });

  it("hides one user's environments from another", async () => {
    const alice = await createUser(store.db, { name: 'alice', isAdmin: false });
    const mallory = await createUser(store.db, { name: 'mallory', isAdmin: false });
    const env = await createEnvironment(store.db, alice.id, settings('Secret'));
    await expect(getEnvironment(store.db, mallory.id, env.id)).rejects.toThrow(NotFoundError);
    await expect(
      updateEnvironment(store.db, mallory.id, env.id, settings('Mine'), new Date()),
    ).rejects.toThrow(NotFoundError);
    await expect(setDefaultEnvironment(store.db, mallory.id, env.id)).rejects.toThrow(
      NotFoundError,
    );
    expect((await getEnvironment(store.db, alice.id, env.id)).name).toBe('Secret');
  });

  it('refuses to archive the default or to make an archived environment the default', async () => {
    const user = await createUser(store.db, { name: 'carol', isAdmin: false });
    const main = await createEnvironment(store.db, user.id, settings('Main'));
    const spare = await createEnvironment(store.db, user.id, settings('Spare'));
    await setDefaultEnvironment(store.db, user.id, main.id);
    expect((await getUser(store.db, user.id))?.defaultEnvironmentId).toBe(main.id);
    await expect(archiveEnvironment(store.db, user.id, main.id, new Date())).rejects.toThrow(
      /default/,
    );
    await archiveEnvironment(store.db, user.id, spare.id, new Date());
    await expect(setDefaultEnvironment(store.db, user.id, spare.id)).rejects.toThrow(/archived/);
  });

  it('checks tokens by hash and honours revocation and expiry', async () => {
    const user = await createUser(store.db, { name: 'dave', isAdmin: false });
    const now = new Date('2026-11-25T10:00:00Z');
    const { token, record } = await createToken(store.db, {
      userId: user.id,
      name: 'laptop',
      expiresAt: new Date('2026-11-26T10:00:00Z'),
    });
    expect(token).toMatch(/^hgr_[A-Za-z0-9_-]{43}$/);
    const stored = await store.db.execute(
      sql`select token_hash from api_tokens where id = ${record.id}`,
    );
    expect(JSON.stringify(stored)).not.toContain(token);

    expect(await checkToken(store.db, token, now)).toMatchObject({
      ok: true,
      user: { id: user.id },
    });
    expect(await checkToken(store.db, `${token}x`, now)).toEqual({ ok: false, reason: 'unknown' });
    expect(await checkToken(store.db, token, new Date('2026-11-27T00:00:00Z'))).toMatchObject({
      ok: false,
      reason: 'expired',
    });
    await revokeToken(store.db, user.id, record.id, now);
    expect(await checkToken(store.db, token, now)).toMatchObject({ ok: false, reason: 'revoked' });
    expect(await listTokens(store.db, user.id)).toEqual([]);
  });

  it('keys events by (session_id, seq) so ingest is idempotent', async () => {
    const user = await createUser(store.db, { name: 'erin', isAdmin: false });
    const env = await createEnvironment(store.db, user.id, settings('Ev'));
    const id = `ses_${Date.now()}`;
    await store.db.insert(sessions).values({
      id,
      userId: user.id,
      environmentId: env.id,
      title: 'fix the flaky test',
      source: { type: 'git', url: 'https://example.com/r.git', branch: 'main' },
    });
    const event = { sessionId: id, seq: 1, type: 'session.status', data: { status: 'queued' } };
    await store.db.insert(events).values(event);
    const duplicate = await store.db
      .insert(events)
      .values(event)
      .catch((e: unknown) => e);
    expect(isUniqueViolation(duplicate)).toBe(true);
    await store.db.insert(events).values(event).onConflictDoNothing();
    expect(await store.db.select().from(events).where(eq(events.sessionId, id))).toHaveLength(1);
  });
});

describe('migrations', () => {
  it('run idempotently when an embedded store is opened again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hangar-store-'));
    try {
      const first = await openStore({ pgliteDir: dir });
      const user = await createUser(first.db, { name: 'kept', isAdmin: true });
      await first.close();
      const again = await openStore({ pgliteDir: dir });
      expect(await getUser(again.db, user.id)).toMatchObject({ name: 'kept' });
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.runIf(process.env.TEST_DATABASE_URL)(
    'run once when several servers start on one Postgres at the same time',
    async () => {
      const database = await createTestDatabase(process.env.TEST_DATABASE_URL ?? '');
      try {
        const stores = await Promise.all(
          [1, 2, 3].map(() => openStore({ databaseUrl: database.url })),
        );
        const [first, , last] = stores;
        if (!first || !last) throw new Error('expected three stores');
        const user = await createUser(first.db, { name: 'shared', isAdmin: true });
        expect(await getUser(last.db, user.id)).toMatchObject({ name: 'shared' });
        await Promise.all(stores.map((s) => s.close()));
      } finally {
        await database.drop();
      }
    },
  );
});
