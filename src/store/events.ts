import { and, asc, desc, eq, gt, isNull, lt, or, sql } from 'drizzle-orm';
import { HangarError } from '../errors.js';
import type { NewEvent, SessionEvent } from '../sessions/events.js';
import { events, sessions } from './schema.js';
import type { Db } from './store.js';

/**
 * A runner's append to a session another runner took over (its lease ran out): refused,
 * so a runner that was stopped or cut off cannot write into the new holder's log.
 */
export class LeaseLostError extends HangarError {
  constructor(sessionId: string, holder: string) {
    super(
      'lease_lost',
      409,
      `Session ${sessionId} is no longer held by ${holder}: another runner took it over.`,
    );
  }
}

/** Columns of a session a runner changes together with the events that say so. */
export type SessionRowChange = Pick<
  Partial<typeof sessions.$inferInsert>,
  | 'status'
  | 'subStep'
  | 'failureReason'
  | 'leaseOwner'
  | 'diff'
  | 'diffFiles'
  | 'additions'
  | 'deletions'
>;

/** A session runner `holder` may still write for: its lease, or no one's (the fence). */
export function heldBy(holder: string) {
  return or(eq(sessions.leaseOwner, holder), isNull(sessions.leaseOwner));
}

/**
 * Stores `batch` after the session's last event, in one transaction: the session
 * row's lock numbers them without gaps. Answers them stored, with the session's user.
 * `holder`: a runner's append, fenced by its lease: refused (LeaseLostError) if another
 * runner holds the session now, in the same statement that numbers the events.
 * `row`: columns of the session set in that statement too (a status and its event are
 * one change: whoever hears of the event reads the row with its new status).
 */
export async function insertEvents(
  db: Db,
  sessionId: string,
  batch: NewEvent[],
  holder?: string,
  row?: SessionRowChange,
): Promise<{ userId: string; stored: SessionEvent[] }> {
  const { userId, rows } = await db.transaction(async (tx) => {
    const held = holder ? heldBy(holder) : undefined;
    const [updated] = await tx
      .update(sessions)
      .set({
        ...row,
        lastSeq: sql`${sessions.lastSeq} + ${batch.length}`,
        updatedAt: new Date(),
        version: sql`${sessions.version} + 1`,
      })
      .where(and(eq(sessions.id, sessionId), held))
      .returning({ lastSeq: sessions.lastSeq, userId: sessions.userId });
    if (!updated && holder) {
      const [exists] = await tx
        .select({ id: sessions.id })
        .from(sessions)
        .where(eq(sessions.id, sessionId));
      if (exists) throw new LeaseLostError(sessionId, holder);
    }
    if (!updated) throw new Error(`no session ${sessionId}`);
    const first = updated.lastSeq - batch.length + 1;
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
    return { userId: updated.userId, rows: inserted };
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

/** The text of the session's last user message, if it has one. */
export async function lastUserMessage(db: Db, sessionId: string): Promise<string | undefined> {
  const [row] = await db
    .select({ data: events.data })
    .from(events)
    .where(and(eq(events.sessionId, sessionId), eq(events.type, 'message.user')))
    .orderBy(desc(events.seq))
    .limit(1);
  const text = (row?.data as { text?: unknown } | undefined)?.text;
  return typeof text === 'string' ? text : undefined;
}
