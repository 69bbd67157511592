import { and, desc, eq, getTableColumns, inArray, isNull, or, sql } from 'drizzle-orm';
import { NotFoundError } from '../errors.js';
import { isAgentSessionId } from '../ids.js';
import type { SessionStatus } from '../sessions/status.js';
import { agentOutput, sessions, users } from './schema.js';
import type { Db } from './store.js';
import { shareATeam } from './teams.js';

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

/** A session as one user may open it: its owner, or a viewer it is shared with (read-only). */
export interface OpenedSession {
  session: Session;
  role: 'owner' | 'viewer';
  ownerName: string;
}

/**
 * The session if `userId` may open it: theirs, Public, or Team and they share a team
 * with its owner. Anything else is the same 404 as no session at all, so a private
 * session's existence is not told.
 */
export async function openSession(db: Db, userId: string, id: string): Promise<OpenedSession> {
  const [found] = await db
    .select({ session: sessions, ownerName: users.name })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(eq(sessions.id, id));
  if (!found) throw new NotFoundError('session', id);
  const { session, ownerName } = found;
  if (session.userId === userId) return { session, role: 'owner', ownerName };
  const visible =
    session.visibility === 'public' ||
    (session.visibility === 'team' && (await shareATeam(db, userId, session.userId)));
  if (!visible) throw new NotFoundError('session', id);
  return { session, role: 'viewer', ownerName };
}

/** Any user's session, for the runner. */
export async function loadSession(db: Db, id: string): Promise<Session | undefined> {
  const [found] = await db.select().from(sessions).where(eq(sessions.id, id));
  return found;
}

/** A session as lists show it: without its diff, which can run to megabytes. */
export type ListedSession = Omit<Session, 'diff'>;

// eslint-disable-next-line @typescript-eslint/no-unused-vars -- the diff is what is left out
const { diff, ...listedColumns } = getTableColumns(sessions);

/** The user's sessions, most recently active first. */
export async function listSessions(
  db: Db,
  userId: string,
  options: { archived: boolean },
): Promise<ListedSession[]> {
  const mine = eq(sessions.userId, userId);
  return db
    .select(listedColumns)
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

/** Keeps one raw line of the agent's output, numbered after the session's last. */
export async function appendAgentOutput(db: Db, sessionId: string, line: unknown): Promise<void> {
  await db.insert(agentOutput).values({
    sessionId,
    seq: sql`(select coalesce(max(seq), 0) + 1 from ${agentOutput} where session_id = ${sessionId})`,
    line,
  });
}

export async function deleteSessionRow(db: Db, id: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.id, id));
}

/**
 * How many of the user's sessions are active, as a SQL expression over `userId`: being
 * set up or running a turn. An idle session keeps its sandbox but costs next to nothing
 * until its next message, so it does not count (users expect to start a new task while
 * an earlier one waits for their reply). Only leased rows count: a runner that died
 * leaves its sessions `running` until it comes back, and they must not hold slots.
 */
function activeCountOf(userId: unknown) {
  return sql`(select count(*) from ${sessions} a
                where a.user_id = ${userId}
                  and a.status in ('provisioning', 'running')
                  and a.lease_expires_at > now())`;
}

/**
 * Claims the oldest queued session for `owner` with a row lease, skipping users who
 * already have `maxPerUser` active sessions. `FOR UPDATE SKIP LOCKED` lets several
 * runners share one database without taking the same session; the user's row lock
 * then makes their count and the claim one step, so two runners cannot both take a
 * user's last slot.
 */
export async function claimQueued(
  db: Db,
  owner: string,
  leaseMs: number,
  maxPerUser: number,
): Promise<Session | undefined> {
  // A runner that loses the race for a user's last slot tries the next candidate.
  for (let attempt = 0; attempt < 10; attempt++) {
    const claimed = await db.transaction(async (tx) => {
      const candidate = rowsOf<{ id: string; user_id: string }>(
        await tx.execute(sql`
          select s.id, s.user_id from ${sessions} s
           where s.status = 'queued' and s.archived_at is null
             and ${activeCountOf(sql`s.user_id`)} < ${maxPerUser}
           order by s.created_at
           for update of s skip locked
           limit 1`),
      )[0];
      if (!candidate) return { id: undefined };
      await tx.execute(
        sql`select 1 from ${users} where id = ${candidate.user_id} for no key update`,
      );
      // A fresh snapshot, taken after the lock: it sees every claim committed before it.
      const [active] = rowsOf<{ n: number | string }>(
        await tx.execute(sql`select ${activeCountOf(candidate.user_id)} as n`),
      );
      if (Number(active?.n ?? 0) >= maxPerUser) return 'raced' as const;
      await tx.execute(sql`
        update ${sessions}
           set lease_owner = ${owner},
               lease_expires_at = now() + ${`${leaseMs} milliseconds`}::interval,
               status = 'provisioning',
               status_detail = null,
               updated_at = now(),
               version = version + 1
         where id = ${candidate.id}`);
      return { id: candidate.id };
    });
    if (claimed === 'raced') continue;
    return claimed.id ? loadSession(db, claimed.id) : undefined;
  }
  return undefined;
}

/**
 * Says why queued sessions wait: each one of a user at the limit gets its
 * `statusDetail` set, once (it is cleared when the session is claimed). Answers the
 * sessions newly marked, so the runner can record it in their logs.
 */
export async function markWaiting(
  db: Db,
  maxPerUser: number,
): Promise<{ id: string; detail: string }[]> {
  const rows = await db.execute(sql`
    update ${sessions} s
       set status_detail = 'waiting: ' || c.active || ' of ' || ${maxPerUser}::int
                           || ' concurrent sessions in use',
           updated_at = now(),
           version = s.version + 1
      from (select user_id, count(*) as active from ${sessions}
             where status in ('provisioning', 'running') and lease_expires_at > now()
             group by user_id) c
     where s.user_id = c.user_id and c.active >= ${maxPerUser}
       and s.status = 'queued' and s.archived_at is null and s.status_detail is null
    returning s.id, s.status_detail as detail`);
  return rowsOf<{ id: string; detail: string }>(rows);
}

/** Extends the lease on every session `owner` still holds; answers those it does. */
export async function renewLeases(
  db: Db,
  owner: string,
  ids: string[],
  leaseMs: number,
): Promise<string[]> {
  if (ids.length === 0) return [];
  const renewed = await db
    .update(sessions)
    .set({ leaseExpiresAt: new Date(Date.now() + leaseMs) })
    .where(and(eq(sessions.leaseOwner, owner), inArray(sessions.id, ids)))
    .returning({ id: sessions.id });
  return renewed.map((row) => row.id);
}

/**
 * Takes the lease of session `id` for `owner` if no other runner holds it (none does,
 * or its lease ran out). The row lock makes two runners' claims one after the other.
 */
export async function claimLease(
  db: Db,
  id: string,
  owner: string,
  leaseMs: number,
): Promise<boolean> {
  const claimed = await db.execute(sql`
    update ${sessions}
       set lease_owner = ${owner},
           lease_expires_at = now() + ${`${leaseMs} milliseconds`}::interval
     where id = ${id}
       and (lease_owner is null or lease_owner = ${owner} or lease_expires_at < now())
    returning id`);
  return rowsOf(claimed).length > 0;
}

/** A session taken from a runner whose lease ran out, with that runner's name. */
export interface TakenSession {
  session: Session;
  previousOwner: string | null;
}

/**
 * Takes over at most `limit` live sessions whose lease ran out: the runner holding
 * them stopped renewing (killed, host gone). `SKIP LOCKED`: two runners looking at
 * once never take the same one; the update is the claim, so a late renewal by the old
 * holder (which checks the owner) finds it gone.
 */
export async function claimExpired(
  db: Db,
  owner: string,
  leaseMs: number,
  limit: number,
): Promise<TakenSession[]> {
  if (limit <= 0) return [];
  const taken = rowsOf<{ id: string; previous_owner: string | null }>(
    await db.execute(sql`
      with expired as (
        select id, lease_owner from ${sessions}
         where status in ('provisioning', 'running', 'idle')
           and lease_owner is distinct from ${owner}
           and (lease_expires_at is null or lease_expires_at < now())
         order by lease_expires_at nulls first
         for update skip locked
         limit ${limit})
      update ${sessions} s
         set lease_owner = ${owner},
             lease_expires_at = now() + ${`${leaseMs} milliseconds`}::interval,
             updated_at = now(),
             version = s.version + 1
        from expired
       where s.id = expired.id
      returning s.id, expired.lease_owner as previous_owner`),
  );
  const found: TakenSession[] = [];
  for (const row of taken) {
    const session = await loadSession(db, row.id);
    if (session) found.push({ session, previousOwner: row.previous_owner });
  }
  return found;
}

/**
 * Sessions this runner was working on when it stopped without cleaning up: held by
 * `owner` (this host, restarted), or by no one. Those another runner held are taken
 * over with a claim when its lease runs out (`claimExpired`).
 */
export async function orphanedSessions(db: Db, owner: string): Promise<Session[]> {
  const live: SessionStatus[] = ['provisioning', 'running', 'idle'];
  return db
    .select()
    .from(sessions)
    .where(
      and(
        inArray(sessions.status, live),
        or(eq(sessions.leaseOwner, owner), isNull(sessions.leaseOwner)),
      ),
    );
}

/** drizzle's `execute` answers `{rows}` on node-postgres and PGlite alike. */
function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  return (result as { rows: T[] }).rows;
}
