import { and, asc, desc, eq, gt, lt, sql } from 'drizzle-orm';
import type { NewEvent, SessionEvent } from '../sessions/events.js';
import { events, sessions } from './schema.js';
import type { Db } from './store.js';

/**
 * Stores `batch` after the session's last event, in one transaction: the session
 * row's lock numbers them without gaps. Answers them stored, with the session's user.
 */
export async function insertEvents(
  db: Db,
  sessionId: string,
  batch: NewEvent[],
): Promise<{ userId: string; stored: SessionEvent[] }> {
  const { userId, rows } = await db.transaction(async (tx) => {
    const [row] = await tx
      .update(sessions)
      .set({
        lastSeq: sql`${sessions.lastSeq} + ${batch.length}`,
        updatedAt: new Date(),
        version: sql`${sessions.version} + 1`,
      })
      .where(eq(sessions.id, sessionId))
      .returning({ lastSeq: sessions.lastSeq, userId: sessions.userId });
    if (!row) throw new Error(`no session ${sessionId}`);
    const first = row.lastSeq - batch.length + 1;
    const inserted = await tx
      .insert(events)
      .values(
        batch.map((event, i) => ({
          sessionId,
          seq: first + i,
          type: event.type,
          data: event.data,
        })),
      )
      .returning();
    return { userId: row.userId, rows: inserted };
  });
  return { userId, stored: rows.map(toEvent) };
}

/** A session's events after `afterSeq`, oldest first, at most `limit`. */
export async function readEvents(
  db: Db,
  sessionId: string,
  afterSeq: number,
  limit: number,
): Promise<SessionEvent[]> {
  const rows = await db
    .select()
    .from(events)
    .where(and(eq(events.sessionId, sessionId), gt(events.seq, afterSeq)))
    .orderBy(asc(events.seq))
    .limit(limit);
  return rows.map(toEvent);
}

/** A session's newest `limit` events between `afterSeq` and `beforeSeq` (both excluded), oldest first. */
export async function readEventsBefore(
  db: Db,
  sessionId: string,
  afterSeq: number,
  beforeSeq: number,
  limit: number,
): Promise<SessionEvent[]> {
  const rows = await db
    .select()
    .from(events)
    .where(
      and(eq(events.sessionId, sessionId), gt(events.seq, afterSeq), lt(events.seq, beforeSeq)),
    )
    .orderBy(desc(events.seq))
    .limit(limit);
  return rows.reverse().map(toEvent);
}

function toEvent(row: typeof events.$inferSelect): SessionEvent {
  return { ...row, type: row.type, data: row.data } as SessionEvent;
}
