import { and, asc, count, eq, gt, sql } from 'drizzle-orm';
import type { StartWindow } from '../sessions/usage-limits.js';
import { modelUsage, sessions, sessionStarts, users } from './schema.js';
import type { Db } from './store.js';

/** Records that `userId` started a session at `startedAt` (kept after the session is deleted). */
export async function recordSessionStart(
  db: Db,
  start: { sessionId: string; userId: string; startedAt: Date },
): Promise<void> {
  await db.insert(sessionStarts).values(start).onConflictDoNothing();
}

/**
 * The user's session starts after `since`, and, when they reach `limit`, the start
 * whose hour ends first to bring them under it (the `count - limit + 1`th oldest).
 */
export async function sessionStartWindow(
  db: Db,
  userId: string,
  since: Date,
  limit: number,
): Promise<StartWindow> {
  const inWindow = and(eq(sessionStarts.userId, userId), gt(sessionStarts.startedAt, since));
  const [row] = await db.select({ n: count() }).from(sessionStarts).where(inWindow);
  const n = row?.n ?? 0;
  if (n < limit) return { count: n };
  const [freeing] = await db
    .select({ at: sessionStarts.startedAt })
    .from(sessionStarts)
    .where(inWindow)
    .orderBy(asc(sessionStarts.startedAt))
    .offset(n - limit)
    .limit(1);
  return { count: n, freeingStart: freeing?.at };
}

/** One user's use of what the per-user limits count. */
export interface UserUsage {
  id: string;
  name: string;
  /** Sessions provisioning or running a turn (what HANGAR_MAX_SESSIONS_PER_USER counts). */
  running: number;
  /** Sessions waiting `queued`. */
  queued: number;
  /** Sessions started since `since` (deleted ones included). */
  sessionsLastHour: number;
  /** Model tokens (input, cached included, plus output) the gateway counted on `day`. */
  tokensToday: number;
}

/** Every user's usage (or one user's), by name. */
export async function usageByUser(
  db: Db,
  options: { since: Date; day: string; userId?: string | undefined },
): Promise<UserUsage[]> {
  const { since, day } = options;
  const n = (expr: ReturnType<typeof sql>) => sql<string | number>`(${expr})`;
  const rows = await db
    .select({
      id: users.id,
      name: users.name,
      // Only leased rows count, as in the claim query (a dead runner's sessions hold no slot).
      running: n(sql`select count(*) from ${sessions} s where s.user_id = ${users.id}
                       and s.status in ('provisioning', 'running')
                       and s.lease_expires_at > now()`),
      queued: n(sql`select count(*) from ${sessions} s where s.user_id = ${users.id}
                      and s.status = 'queued' and s.archived_at is null`),
      sessionsLastHour: n(sql`select count(*) from ${sessionStarts} st
                                where st.user_id = ${users.id}
                                  and st.started_at > ${since.toISOString()}::timestamptz`),
      tokensToday: n(sql`select coalesce(sum(m.input_tokens + m.output_tokens), 0)
                           from ${modelUsage} m where m.user_id = ${users.id} and m.day = ${day}`),
    })
    .from(users)
    .where(options.userId === undefined ? undefined : eq(users.id, options.userId))
    .orderBy(asc(users.name), asc(users.id));
  // PostgreSQL answers count(*) as bigint and sum() as numeric: strings from its drivers.
  return rows.map((row) => ({
    ...row,
    running: Number(row.running),
    queued: Number(row.queued),
    sessionsLastHour: Number(row.sessionsLastHour),
    tokensToday: Number(row.tokensToday),
  }));
}
