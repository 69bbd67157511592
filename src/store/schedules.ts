import { and, asc, desc, eq, lt, lte, or, sql } from 'drizzle-orm';
import { NotFoundError } from '../errors.js';
import { newId } from '../ids.js';
import { scheduleRuns, schedules, sessions } from './schema.js';
import type { Db } from './store.js';

export type Schedule = typeof schedules.$inferSelect;
export type NewSchedule = typeof schedules.$inferInsert;
export type ScheduleRun = typeof scheduleRuns.$inferSelect;

export async function insertSchedule(db: Db, values: NewSchedule): Promise<Schedule> {
  const [created] = await db.insert(schedules).values(values).returning();
  if (!created) throw new Error('insert returned no schedule');
  return created;
}

/** One of the user's schedules; another user's is a 404, as if it did not exist. */
export async function getSchedule(db: Db, userId: string, id: string): Promise<Schedule> {
  const [found] = await db
    .select()
    .from(schedules)
    .where(and(eq(schedules.id, id), eq(schedules.userId, userId)));
  if (!found) throw new NotFoundError('schedule', id);
  return found;
}

export async function listSchedules(db: Db, userId: string): Promise<Schedule[]> {
  return db
    .select()
    .from(schedules)
    .where(eq(schedules.userId, userId))
    .orderBy(asc(schedules.createdAt), asc(schedules.id));
}

export async function countSchedules(db: Db, userId: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(schedules)
    .where(eq(schedules.userId, userId));
  return row?.n ?? 0;
}

export async function updateSchedule(
  db: Db,
  id: string,
  values: Partial<NewSchedule>,
  now: Date,
): Promise<Schedule> {
  const [updated] = await db
    .update(schedules)
    .set({ ...values, updatedAt: now })
    .where(eq(schedules.id, id))
    .returning();
  if (!updated) throw new NotFoundError('schedule', id);
  return updated;
}

export async function deleteSchedule(db: Db, id: string): Promise<void> {
  await db.delete(schedules).where(eq(schedules.id, id));
}

/** A schedule's runs, newest first. */
export async function listRuns(db: Db, scheduleId: string, limit = 50): Promise<ScheduleRun[]> {
  return db
    .select()
    .from(scheduleRuns)
    .where(eq(scheduleRuns.scheduleId, scheduleId))
    .orderBy(desc(scheduleRuns.dueAt), desc(scheduleRuns.id))
    .limit(limit);
}

export async function getRun(db: Db, id: string): Promise<ScheduleRun | undefined> {
  const [found] = await db.select().from(scheduleRuns).where(eq(scheduleRuns.id, id));
  return found;
}

/** The earliest time any unpaused schedule is due, to know how long to sleep. */
export async function earliestDue(db: Db): Promise<Date | undefined> {
  const [row] = await db
    .select({ at: sql<Date | string | null>`min(${schedules.nextRunAt})` })
    .from(schedules)
    .where(eq(schedules.paused, false));
  return row?.at ? new Date(row.at) : undefined;
}

/**
 * The session of the schedule's last run while it still works (queued, provisioning
 * or running a turn), or a run still being started: a new run now would overlap it.
 */
async function busyRun(db: Db, scheduleId: string): Promise<string | undefined> {
  const rows = rowsOf<{ session_id: string | null; status: string; session_status: string | null }>(
    await db.execute(sql`
      select r.session_id, r.status, s.status as session_status
        from ${scheduleRuns} r left join ${sessions} s on s.id = r.session_id
       where r.schedule_id = ${scheduleId} and r.status in ('starting', 'started')
       order by r.due_at desc, r.id desc
       limit 1`),
  );
  const last = rows[0];
  if (!last) return undefined;
  if (last.status === 'starting') return last.session_id ?? 'a run being started';
  const busy = ['queued', 'provisioning', 'running'];
  return last.session_status && busy.includes(last.session_status)
    ? (last.session_id ?? undefined)
    : undefined;
}

/** A run taken to be started: its session is made next, under the run's lease. */
export interface ClaimedRun {
  schedule: Schedule;
  run: ScheduleRun;
}

/**
 * Takes one schedule due at `now` under a row lock (`FOR UPDATE SKIP LOCKED`, so
 * several servers share one database) and, in the same transaction, records its run
 * and moves it to `next(schedule)`: however many of its times passed while no server
 * ran, it runs once. A due run while the previous one still works is recorded as
 * `skipped`. Answers undefined when nothing is due.
 */
export async function claimDueSchedule(
  db: Db,
  options: { owner: string; now: Date; leaseMs: number; next: (s: Schedule) => Date | null },
): Promise<ClaimedRun | undefined> {
  // A due time recorded already (a conflict) only moves the schedule on: look again.
  for (let attempt = 0; attempt < 100; attempt++) {
    const claimed = await claimDueOnce(db, options);
    if (claimed !== 'again') return claimed;
  }
  return undefined;
}

async function claimDueOnce(
  db: Db,
  options: { owner: string; now: Date; leaseMs: number; next: (s: Schedule) => Date | null },
): Promise<ClaimedRun | undefined | 'again'> {
  const { owner, now, leaseMs } = options;
  return db.transaction(async (tx) => {
    const [due] = await tx
      .select()
      .from(schedules)
      .where(and(eq(schedules.paused, false), lte(schedules.nextRunAt, now)))
      .orderBy(asc(schedules.nextRunAt))
      .for('update', { skipLocked: true })
      .limit(1);
    if (!due?.nextRunAt) return undefined;
    const busy = await busyRun(tx, due.id);
    const [run] = await tx
      .insert(scheduleRuns)
      .values({
        id: newId('run'),
        scheduleId: due.id,
        dueAt: due.nextRunAt,
        trigger: 'cron',
        ...(busy
          ? { status: 'skipped', reason: `the previous run (${busy}) was still running` }
          : {
              status: 'starting',
              sessionId: newId('ses'),
              leaseOwner: owner,
              leaseExpiresAt: new Date(now.getTime() + leaseMs),
            }),
      })
      .onConflictDoNothing()
      .returning();
    const [schedule] = await tx
      .update(schedules)
      .set({ nextRunAt: options.next(due) })
      .where(eq(schedules.id, due.id))
      .returning();
    if (!schedule || !run) return 'again';
    return { schedule, run };
  });
}

/**
 * A run started by hand (`hangar schedule run`): due now, outside the cron. Answers
 * the busy session instead when the previous run still works.
 */
export async function insertManualRun(
  db: Db,
  schedule: Schedule,
  options: { owner: string; now: Date; leaseMs: number },
): Promise<{ run: ScheduleRun } | { busy: string }> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select 1 from ${schedules} where id = ${schedule.id} for update`);
    const busy = await busyRun(tx, schedule.id);
    if (busy) return { busy };
    const [run] = await tx
      .insert(scheduleRuns)
      .values({
        id: newId('run'),
        scheduleId: schedule.id,
        dueAt: options.now,
        trigger: 'manual',
        status: 'starting',
        sessionId: newId('ses'),
        leaseOwner: options.owner,
        leaseExpiresAt: new Date(options.now.getTime() + options.leaseMs),
      })
      .returning();
    if (!run) throw new Error('insert returned no run');
    return { run };
  });
}

/**
 * A run left `starting` by a server that stopped before its session was made: its
 * lease ran out, or it is this owner's own (a restart). Taken under a new lease.
 */
export async function claimStalledRun(
  db: Db,
  options: { owner: string; now: Date; leaseMs: number; includeOwn: boolean },
): Promise<ClaimedRun | undefined> {
  const { owner, now, leaseMs } = options;
  return db.transaction(async (tx) => {
    const stale = lt(scheduleRuns.leaseExpiresAt, now);
    const [run] = await tx
      .select()
      .from(scheduleRuns)
      .where(
        and(
          eq(scheduleRuns.status, 'starting'),
          options.includeOwn ? or(stale, eq(scheduleRuns.leaseOwner, owner)) : stale,
        ),
      )
      .orderBy(asc(scheduleRuns.dueAt))
      .for('update', { skipLocked: true })
      .limit(1);
    if (!run) return undefined;
    const [renewed] = await tx
      .update(scheduleRuns)
      .set({ leaseOwner: owner, leaseExpiresAt: new Date(now.getTime() + leaseMs) })
      .where(eq(scheduleRuns.id, run.id))
      .returning();
    const [schedule] = await tx.select().from(schedules).where(eq(schedules.id, run.scheduleId));
    if (!renewed || !schedule) return undefined;
    return { schedule, run: renewed };
  });
}

/** Records how a run ended: its session started, or why it could not start. */
export async function finishRun(
  db: Db,
  id: string,
  outcome: { status: 'started' } | { status: 'failed'; reason: string },
): Promise<void> {
  await db
    .update(scheduleRuns)
    .set({
      status: outcome.status,
      reason: outcome.status === 'failed' ? outcome.reason : null,
      leaseOwner: null,
      leaseExpiresAt: null,
    })
    .where(eq(scheduleRuns.id, id));
}

/** drizzle's `execute` answers `{rows}` on node-postgres and PGlite alike. */
function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  return (result as { rows: T[] }).rows;
}
