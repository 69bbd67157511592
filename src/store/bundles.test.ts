import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserLimitError } from '../errors.js';
import { DEFAULT_SETTINGS } from '../environments/settings.js';
import { newId } from '../ids.js';
import { insertSession } from './sessions.js';
import { bundleUsage, deleteUnusedBundles, insertBundle } from './bundles.js';
import { createEnvironment } from './environments.js';
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

const refs = { 'refs/heads/main': 'a'.repeat(40) };

describe(`bundles (${process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite'})`, () => {
  it('lets only one of two uploads at once take the last bytes of a quota', async () => {
    const user = await createUser(store.db, { name: 'alice', isAdmin: false });
    const upload = () =>
      insertBundle(
        store.db,
        { id: newId('bun'), userId: user.id, sizeBytes: 600, refs },
        Buffer.alloc(600),
        1000,
      );
    const results = await Promise.allSettled(Array.from({ length: 20 }, upload));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const result of results.filter((r) => r.status === 'rejected')) {
      expect(result.reason).toBeInstanceOf(UserLimitError);
      expect(result.reason).toMatchObject({ code: 'bundle_quota_exceeded', status: 413 });
    }
    expect(await bundleUsage(store.db, user.id)).toBe(600);
  });

  it('deletes only bundles no session uses', async () => {
    const user = await createUser(store.db, { name: 'bob', isAdmin: false });
    const env = await createEnvironment(store.db, user.id, { name: 'e', ...DEFAULT_SETTINGS });
    const used = newId('bun');
    const unused = newId('bun');
    for (const id of [used, unused])
      await insertBundle(
        store.db,
        { id, userId: user.id, sizeBytes: 10, refs },
        Buffer.alloc(10),
        1000,
      );
    await insertSession(store.db, {
      id: newId('ses'),
      userId: user.id,
      environmentId: env.id,
      title: 't',
      source: { type: 'bundle', bundleId: used, branch: 'main', name: 'repo' },
    });
    // Uploaded "before" a time in the future: both are old enough; only one is unused.
    const later = new Date(Date.now() + 60_000);
    const swept = await deleteUnusedBundles(store.db, { uploadedBefore: later });
    expect(swept).toContain(unused);
    expect(swept).not.toContain(used);
    expect(await deleteUnusedBundles(store.db, { id: used })).toEqual([]);
    expect(await bundleUsage(store.db, user.id)).toBe(10);
  });
});
