import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../environments/settings.js';
import { newId } from '../ids.js';
import { createEnvironment } from './environments.js';
import { LeaseLostError } from './events.js';
import { loadSessionFile, saveSessionFile } from './session-files.js';
import { claimExpired, claimLease, insertSession, updateSession } from './sessions.js';
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

describe('session files saved by a runner', () => {
  it("are refused once another runner took the session over, and the new holder's copy stays", async () => {
    const { db } = store;
    const user = await createUser(db, { name: 'files', isAdmin: false });
    const env = await createEnvironment(db, user.id, { name: 'default', ...DEFAULT_SETTINGS });
    const { id } = await insertSession(db, {
      id: newId('ses'),
      userId: user.id,
      environmentId: env.id,
      title: 'files',
      source: { type: 'git', url: 'https://example.com/a.git', branch: 'main' },
    });
    const file = (text: string) => Buffer.from(text);
    await updateSession(db, id, { status: 'running' });
    expect(await claimLease(db, id, 'runner-old', 60_000)).toBe(true);
    await saveSessionFile(db, id, 'conversation', file('old turn'), 'runner-old');

    // The old runner's lease runs out; another takes the session and saves its own.
    await updateSession(db, id, { leaseExpiresAt: new Date(Date.now() - 1000) });
    expect(await claimExpired(db, 'runner-new', 60_000, 1)).toHaveLength(1);
    await saveSessionFile(db, id, 'conversation', file('new turn'), 'runner-new');

    const late = saveSessionFile(db, id, 'conversation', file('zombie turn'), 'runner-old');
    await expect(late).rejects.toBeInstanceOf(LeaseLostError);
    expect((await loadSessionFile(db, id, 'conversation'))?.toString()).toBe('new turn');
  });
});
