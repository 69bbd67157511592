import { and, count, eq, gt, inArray } from 'drizzle-orm';
import { autofixWatches, events } from './schema.js';
import type { Db } from './store.js';

/** A session's auto-fix watch as stored. */
export type AutofixWatch = typeof autofixWatches.$inferSelect;
export type AutofixWatchChange = Partial<Omit<typeof autofixWatches.$inferInsert, 'sessionId'>>;

/** The wake-up events: each is one automatic turn. */
export const WAKE_UP_TYPES = ['github.ci', 'github.review', 'github.conflict'] as const;

/** The session's watch, if auto-fix was ever turned on for it. */
export async function watchOf(db: Db, sessionId: string): Promise<AutofixWatch | undefined> {
  const [row] = await db
    .select()
    .from(autofixWatches)
    .where(eq(autofixWatches.sessionId, sessionId));
  return row;
}

/** Turns a session's watch on or off; turning it on starts afresh from now. */
export async function setWatch(db: Db, sessionId: string, enabled: boolean): Promise<AutofixWatch> {
  const values = enabled
    ? { enabled, since: new Date(), stoppedReason: null, updatedAt: new Date() }
    : { enabled, updatedAt: new Date() };
  const [row] = await db
    .insert(autofixWatches)
    .values({ sessionId, ...values })
    .onConflictDoUpdate({ target: autofixWatches.sessionId, set: values })
    .returning();
  if (!row) throw new Error('upsert returned no watch');
  return row;
}

/** Records what the watch has handled or seen. */
export async function updateWatch(
  db: Db,
  sessionId: string,
  values: AutofixWatchChange,
): Promise<void> {
  await db
    .update(autofixWatches)
    .set({ ...values, updatedAt: new Date() })
    .where(eq(autofixWatches.sessionId, sessionId));
}

/** How many automatic turns (wake-up events) the session had since `since`. */
export async function wakeUpsSince(db: Db, sessionId: string, since: Date): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(events)
    .where(
      and(
        eq(events.sessionId, sessionId),
        inArray(events.type, [...WAKE_UP_TYPES]),
        gt(events.createdAt, since),
      ),
    );
  return row?.n ?? 0;
}
