import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../environments/settings.js';
import { newId } from '../ids.js';
import { createEnvironment } from '../store/environments.js';
import { insertSession } from '../store/sessions.js';
import type { Store } from '../store/store.js';
import { openTestStore } from '../store/test-store.js';
import { createUser } from '../store/users.js';
import { EventLog, type SessionChange } from './event-log.js';
import type { NewEvent, SessionEvent } from './events.js';

let store: Store;
let log: EventLog;
beforeAll(async () => {
  store = await openTestStore();
  log = new EventLog(store.db);
});
afterAll(async () => {
  await store.close();
});

async function newSession(userId?: string): Promise<string> {
  const user = userId ? { id: userId } : await createUser(store.db, { name: 'u', isAdmin: false });
  const env = await createEnvironment(store.db, user.id, {
    name: newId('env'),
    ...DEFAULT_SETTINGS,
  });
  const id = newId('ses');
  await insertSession(store.db, {
    id,
    userId: user.id,
    environmentId: env.id,
    title: 't',
    source: { type: 'git', url: 'https://example.com/r.git', branch: 'main' },
  });
  return id;
}

const text = (n: number): NewEvent => ({ type: 'message.assistant', data: { text: `m${n}` } });

describe('EventLog', () => {
  it('numbers events from 1 without gaps, even when appends race', async () => {
    const id = await newSession();
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => log.append(id, [text(i * 2), text(i * 2 + 1)])),
    );
    const all = await log.read(id, 0);
    expect(all.map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    // Each batch stays contiguous and in order.
    for (let i = 0; i < all.length; i += 2) {
      const [a, b] = [all[i]?.data, all[i + 1]?.data] as { text: string }[];
      expect(Number(b?.text.slice(1))).toBe(Number(a?.text.slice(1)) + 1);
    }
    expect((await log.read(id, 18)).map((e) => e.seq)).toEqual([19, 20]);
  });

  it('refuses an event whose data does not fit its type', async () => {
    const id = await newSession();
    const bad = { type: 'session.status', data: { status: 'sleeping' } } as unknown as NewEvent;
    await expect(log.append(id, [bad])).rejects.toThrow(/invalid session.status event/);
    expect(await log.read(id, 0)).toEqual([]);
  });

  it('follows a session: what is stored, then what comes, with no gap or repeat', async () => {
    const id = await newSession();
    await log.append(id, [text(1), text(2)]);
    const controller = new AbortController();
    const seen: SessionEvent[] = [];
    const following = (async () => {
      for await (const event of log.follow(id, 1, controller.signal)) {
        seen.push(event);
        if (event.seq === 5) controller.abort();
      }
    })();
    await log.append(id, [text(3)]);
    await log.append(id, [text(4), text(5)]);
    await following;
    expect(seen.map((e) => e.seq)).toEqual([2, 3, 4, 5]);
  });

  it('hands each of many followers every append once, in order, even when appends race', async () => {
    const id = await newSession();
    await log.append(id, [text(1)]);
    const followers = Array.from({ length: 20 }, async () => {
      const seen: number[] = [];
      for await (const event of log.follow(id, 1, new AbortController().signal)) {
        seen.push(event.seq);
        if (seen.length === 30) break;
      }
      return seen;
    });
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => log.append(id, [text(i), text(i), text(i)])),
    );
    const expected = Array.from({ length: 30 }, (_, i) => i + 2);
    for (const seen of await Promise.all(followers)) expect(seen).toEqual(expected);
  });

  it('catches a follower that stopped reading up from the store, with no gap or repeat', async () => {
    const id = await newSession();
    const controller = new AbortController();
    const follower = log.follow(id, 0, controller.signal);
    await log.append(id, [text(1)]);
    const first = await follower.next();
    expect(first.done ? undefined : first.value.seq).toBe(1);
    // Far more batches than a follower holds for a reader that is not reading.
    for (let i = 0; i < 150; i++) await log.append(id, [text(i)]);
    const seen: number[] = [];
    for await (const event of follower) {
      seen.push(event.seq);
      if (event.seq === 151) break;
    }
    expect(seen).toEqual(Array.from({ length: 150 }, (_, i) => i + 2));
    controller.abort();
  });

  it("tells watchers of every session's appends, with the owner, and of announced changes", async () => {
    const owner = await createUser(store.db, { name: 'w', isAdmin: false });
    const [a, b] = [await newSession(owner.id), await newSession(owner.id)];
    const seen: SessionChange[] = [];
    const unwatch = log.watch((change) => seen.push(change));
    await log.append(a, [text(1)]);
    await log.append(b, [text(2), text(3)]);
    log.announce({ type: 'archived', sessionId: a, userId: owner.id });
    unwatch();
    await log.append(a, [text(4)]);
    expect(
      seen.map((c) => ({
        type: c.type,
        sessionId: c.sessionId,
        userId: c.userId,
        seqs: c.type === 'appended' ? c.events.map((e) => e.seq) : [],
      })),
    ).toEqual([
      { type: 'appended', sessionId: a, userId: owner.id, seqs: [1] },
      { type: 'appended', sessionId: b, userId: owner.id, seqs: [1, 2] },
      { type: 'archived', sessionId: a, userId: owner.id, seqs: [] },
    ]);
  });
});
