import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLoginLink, LOGIN_LINK_TTL_MS, redeemLoginLink } from './login-links.js';
import { users } from './schema.js';
import type { Store } from './store.js';
import { openTestStore } from './test-store.js';
import { createUser } from './users.js';

let store: Store;
beforeAll(async () => {
  store = await openTestStore();
});
afterAll(async () => {
  await store.close();
});

const now = new Date('2026-11-25T10:00:00Z');

describe(`login links (${process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite'})`, () => {
  it('stores only the hash of a 256-bit code that expires in five minutes', async () => {
    const user = await createUser(store.db, { name: 'frank', isAdmin: false });
    const { code, expiresAt } = await createLoginLink(store.db, user.id, now);
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(expiresAt.getTime() - now.getTime()).toBe(LOGIN_LINK_TTL_MS);
    const rows = await store.db.execute(sql`select * from login_links`);
    expect(JSON.stringify(rows)).not.toContain(code);
  });

  it('redeems a code once, for its user', async () => {
    const user = await createUser(store.db, { name: 'grace', isAdmin: false });
    const { code } = await createLoginLink(store.db, user.id, now);
    expect(await redeemLoginLink(store.db, code, now)).toBe(user.id);
    expect(await redeemLoginLink(store.db, code, now)).toBeUndefined();
    expect(await redeemLoginLink(store.db, `${code}x`, now)).toBeUndefined();
  });

  it('lets only one of two racing redeems win', async () => {
    const user = await createUser(store.db, { name: 'heidi', isAdmin: false });
    const { code } = await createLoginLink(store.db, user.id, now);
    const results = await Promise.all(
      Array.from({ length: 5 }, () => redeemLoginLink(store.db, code, now)),
    );
    expect(results.filter((r) => r === user.id)).toHaveLength(1);
  });

  it('refuses a code at and after its expiry', async () => {
    const user = await createUser(store.db, { name: 'ivan', isAdmin: false });
    const { code, expiresAt } = await createLoginLink(store.db, user.id, now);
    expect(await redeemLoginLink(store.db, code, expiresAt)).toBeUndefined();
    const { code: second } = await createLoginLink(store.db, user.id, now);
    const justBefore = new Date(expiresAt.getTime() - 1);
    expect(await redeemLoginLink(store.db, second, justBefore)).toBe(user.id);
  });

  it('goes with its user', async () => {
    const user = await createUser(store.db, { name: 'judy', isAdmin: false });
    const { code } = await createLoginLink(store.db, user.id, now);
    await store.db.delete(users).where(eq(users.id, user.id));
    expect(await redeemLoginLink(store.db, code, now)).toBeUndefined();
  });
});
