import { desc, sql } from 'drizzle-orm';
import { runners } from './schema.js';
import type { Db } from './store.js';

export type RunnerRow = typeof runners.$inferSelect;

/** What a runner says of itself on every heartbeat. */
export interface RunnerBeat {
  id: string;
  host: string;
  version: string;
  capacity: number;
  held: number;
  active: number;
  startedAt: Date;
}

/** Records that the runner is alive, now (its row is made on the first beat). */
export async function heartbeat(db: Db, beat: RunnerBeat): Promise<void> {
  const now = sql`now()`;
  await db
    .insert(runners)
    .values({ ...beat, heartbeatAt: now })
    .onConflictDoUpdate({
      target: runners.id,
      set: {
        host: beat.host,
        version: beat.version,
        capacity: beat.capacity,
        held: beat.held,
        active: beat.active,
        startedAt: beat.startedAt,
        heartbeatAt: now,
      },
    });
}

/** A runner not heard from for this long is shown as gone (a beat comes every lease/3). */
export const RUNNER_GONE_AFTER_MS = 90_000;

/** Every runner that ever beat, most recently heard from first, with whether it is alive. */
export async function listRunners(db: Db): Promise<(RunnerRow & { state: 'up' | 'gone' })[]> {
  // The database's clock decides, as it stamped the beats: hosts' clocks may differ.
  const gone = sql<boolean>`${runners.heartbeatAt} < now() - ${`${RUNNER_GONE_AFTER_MS} milliseconds`}::interval`;
  const rows = await db
    .select({ runner: runners, gone })
    .from(runners)
    .orderBy(desc(runners.heartbeatAt), runners.id);
  return rows.map(({ runner, gone }) => ({ ...runner, state: gone ? 'gone' : 'up' }));
}

/** Forgets the row of a runner that stopped cleanly. */
export async function removeRunner(db: Db, id: string): Promise<void> {
  await db.delete(runners).where(sql`${runners.id} = ${id}`);
}
