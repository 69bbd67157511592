import { and, desc, eq, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import { NotFoundError } from '../errors.js';
import { isAgentSessionId } from '../ids.js';
import { sessions, type SessionStatus } from '../store/schema.js';
import type { Db } from '../store/store.js';

export type Session = typeof sessions.$inferSelect;
export type NewSession = typeof sessions.$inferInsert;

export async function insertSession(db: Db, values: NewSession): Promise<Session> {
  const [created] = await db.insert(sessions).values(values).returning();
  if (!created) throw new Error('insert returned no session');
  return created;
}

export async function getSession(db: Db, userId: string, id: string): Promise<Session> {
  const [found] = await db
    .select()
    .from(sessions)
    .where(and(eq(sessions.id, id), eq(sessions.userId, userId)));
  if (!found) throw new NotFoundError('session', id);
  return found;
}

/** Any user's session, for the runner. */
export async function loadSession(db: Db, id: string): Promise<Session | undefined> {
  const [found] = await db.select().from(sessions).where(eq(sessions.id, id));
  return found;
}

/** The user's sessions, most recently active first. */
export async function listSessions(
  db: Db,
  userId: string,
  options: { archived: boolean },
): Promise<Session[]> {
  const mine = eq(sessions.userId, userId);
  return db
    .select()
    .from(sessions)
    .where(options.archived ? mine : and(mine, isNull(sessions.archivedAt)))
    .orderBy(desc(sessions.updatedAt), desc(sessions.id))
    .limit(500);
}

export async function updateSession(
  db: Db,
  id: string,
  values: Partial<NewSession>,
): Promise<void> {
  const agentSessionId = values.agentSessionId;
  if (agentSessionId && !isAgentSessionId(agentSessionId)) {
    throw new Error(
      `refusing to store agent session id ${JSON.stringify(agentSessionId)}: not a UUID`,
    );
  }
  await db
    .update(sessions)
    .set({ ...values, updatedAt: new Date(), version: sql`${sessions.version} + 1` })
    .where(eq(sessions.id, id));
}

export async function deleteSessionRow(db: Db, id: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.id, id));
}

/**
 * Claims the oldest queued session for `owner` with a row lease: `FOR UPDATE SKIP
 * LOCKED` lets several runners share one database without taking the same session.
 */
export async function claimQueued(
  db: Db,
  owner: string,
  leaseMs: number,
): Promise<Session | undefined> {
  const rows = await db.execute(sql`
    update ${sessions}
       set lease_owner = ${owner},
           lease_expires_at = now() + ${`${leaseMs} milliseconds`}::interval,
           status = 'provisioning',
           updated_at = now(),
           version = version + 1
     where id = (
       select id from ${sessions}
        where status = 'queued' and archived_at is null
        order by created_at
        for update skip locked
        limit 1)
    returning id`);
  const id = rowsOf<{ id: string }>(rows)[0]?.id;
  return id ? loadSession(db, id) : undefined;
}

/** Extends the lease on every session `owner` holds. */
export async function renewLeases(
  db: Db,
  owner: string,
  ids: string[],
  leaseMs: number,
): Promise<void> {
  if (ids.length === 0) return;
  await db
    .update(sessions)
    .set({ leaseExpiresAt: new Date(Date.now() + leaseMs) })
    .where(and(eq(sessions.leaseOwner, owner), inArray(sessions.id, ids)));
}

/**
 * Sessions a runner was working on when it stopped without cleaning up: held by
 * `owner` (this host, restarted) or with a lease that ran out.
 */
export async function orphanedSessions(db: Db, owner: string, now: Date): Promise<Session[]> {
  const live: SessionStatus[] = ['provisioning', 'running', 'idle'];
  return db
    .select()
    .from(sessions)
    .where(
      and(
        inArray(sessions.status, live),
        or(
          eq(sessions.leaseOwner, owner),
          isNull(sessions.leaseExpiresAt),
          lt(sessions.leaseExpiresAt, now),
        ),
      ),
    );
}

/** drizzle's `execute` answers `{rows}` on node-postgres and PGlite alike. */
function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  return (result as { rows: T[] }).rows;
}
