import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addModelUsage,
  sessionModelUsage,
  storeModelMeter,
  userModelUsage,
} from './model-usage.js';
import type { Store } from './store.js';
import { openTestStore } from './test-store.js';
import { createUser } from './users.js';

let store: Store;
let userId = '';

beforeAll(async () => {
  store = await openTestStore();
  userId = (await createUser(store.db, { name: 'ada', isAdmin: false })).id;
});

afterAll(async () => {
  await store.close();
});

describe('model usage in the store', () => {
  it('adds usage per session and day, and sums it per session and per user day', async () => {
    const a = { sessionId: 'ses_a', userId };
    await addModelUsage(store.db, a, '2026-11-26', {
      requests: 1,
      inputTokens: 10,
      outputTokens: 2,
    });
    await addModelUsage(store.db, a, '2026-11-27', {
      requests: 1,
      inputTokens: 5,
      outputTokens: 1,
    });
    await addModelUsage(store.db, a, '2026-11-27', {
      requests: 1,
      inputTokens: 5,
      outputTokens: 1,
    });
    await addModelUsage(store.db, { sessionId: 'ses_b', userId }, '2026-11-27', {
      requests: 1,
      inputTokens: 3_000_000_000,
      outputTokens: 7,
    });
    expect(await sessionModelUsage(store.db, 'ses_a')).toEqual({
      requests: 3,
      inputTokens: 20,
      outputTokens: 4,
    });
    expect(await userModelUsage(store.db, userId, '2026-11-27')).toEqual({
      requests: 3,
      inputTokens: 3_000_000_010,
      outputTokens: 9,
    });
    expect(await sessionModelUsage(store.db, 'ses_none')).toEqual({
      requests: 0,
      inputTokens: 0,
      outputTokens: 0,
    });
  });

  it('meters a session against both limits', async () => {
    const clock = () => new Date('2026-11-28T12:00:00Z');
    const meter = storeModelMeter(
      store.db,
      { sessionId: 'ses_c', userId },
      { requestsPerSession: 2, tokensPerUserPerDay: 1000 },
      { clock },
    );
    expect(await meter.admit()).toBeUndefined();
    meter.record({ requests: 1, inputTokens: 100, outputTokens: 10 });
    meter.record({ requests: 1, inputTokens: 100, outputTokens: 10 });
    // record() writes in the background: wait until both rows are in.
    while ((await sessionModelUsage(store.db, 'ses_c')).requests < 2) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(await meter.admit()).toMatchObject({ limit: 'HANGAR_MAX_MODEL_REQUESTS_PER_SESSION' });
    const other = storeModelMeter(
      store.db,
      { sessionId: 'ses_d', userId },
      { requestsPerSession: 2, tokensPerUserPerDay: 1000 },
      { clock },
    );
    expect(await other.admit()).toBeUndefined();
    await addModelUsage(store.db, { sessionId: 'ses_d', userId }, '2026-11-28', {
      requests: 0,
      inputTokens: 780,
      outputTokens: 0,
    });
    expect(await other.admit()).toMatchObject({
      limit: 'HANGAR_MAX_MODEL_TOKENS_PER_USER_PER_DAY',
    });
  });
});
