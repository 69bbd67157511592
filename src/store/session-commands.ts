import { and, eq, isNull, lt, sql } from 'drizzle-orm';
import { sessionCommands } from './schema.js';
import type { Db } from './store.js';

export type SessionCommandRow = typeof sessionCommands.$inferSelect;

/** A command's failure, as the API node that waits for it answers it. */
export interface CommandError {
  code: string;
  status: number;
  message: string;
}

export async function insertCommand(
  db: Db,
  values: {
    id: string;
    sessionId: string;
    kind: string;
    args: Record<string, unknown>;
    runnerId: string | null;
  },
): Promise<void> {
  await db.insert(sessionCommands).values(values);
}

/** Open commands meant for `runnerId` or for any runner, oldest first. */
export async function openCommands(db: Db, runnerId: string): Promise<SessionCommandRow[]> {
  return db
    .select()
    .from(sessionCommands)
    .where(
      and(
        isNull(sessionCommands.takenBy),
        sql`(${sessionCommands.runnerId} = ${runnerId} or ${sessionCommands.runnerId} is null)`,
      ),
    )
    .orderBy(sessionCommands.createdAt, sessionCommands.id)
    .limit(100);
}

/** Takes a command for `runnerId`; false when another runner took it first. */
export async function takeCommand(db: Db, id: string, runnerId: string): Promise<boolean> {
  const taken = await db
    .update(sessionCommands)
    .set({ takenBy: runnerId })
    .where(and(eq(sessionCommands.id, id), isNull(sessionCommands.takenBy)))
    .returning({ id: sessionCommands.id });
  return taken.length === 1;
}

/** Records a command's answer (or its failure). */
export async function finishCommand(
  db: Db,
  id: string,
  outcome: { result: unknown } | { error: CommandError },
): Promise<void> {
  await db
    .update(sessionCommands)
    .set({
      ...('error' in outcome ? { error: outcome.error } : { result: outcome.result ?? null }),
      doneAt: sql`now()`,
    })
    .where(eq(sessionCommands.id, id));
}

export async function loadCommand(db: Db, id: string): Promise<SessionCommandRow | undefined> {
  const [found] = await db.select().from(sessionCommands).where(eq(sessionCommands.id, id));
  return found;
}

/** Withdraws a command no runner took yet; false when one did (it may still run). */
export async function withdrawCommand(db: Db, id: string): Promise<boolean> {
  const gone = await db
    .delete(sessionCommands)
    .where(and(eq(sessionCommands.id, id), isNull(sessionCommands.takenBy)))
    .returning({ id: sessionCommands.id });
  return gone.length === 1;
}

/** Forgets commands answered more than an hour ago. */
export async function pruneCommands(db: Db): Promise<void> {
  await db
    .delete(sessionCommands)
    .where(lt(sessionCommands.doneAt, sql`now() - interval '1 hour'`));
}
