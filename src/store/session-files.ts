import { and, eq, sql } from 'drizzle-orm';
import { heldBy, LeaseLostError } from './events.js';
import { bundleData, sessionFiles, sessions, type sessionFileNames } from './schema.js';
import type { Db } from './store.js';

/** One of a session's durable files (see `sessionFiles`). */
export type SessionFileName = (typeof sessionFileNames)[number];

/**
 * Keeps `data` as the session's file `name`, replacing the last copy. `holder`: a
 * runner's save, fenced by its lease like its events (LeaseLostError once another
 * runner holds the session), so a runner woken after a takeover cannot put back its
 * conversation or repo over the new holder's.
 */
export async function saveSessionFile(
  db: Db,
  sessionId: string,
  name: SessionFileName,
  data: Buffer,
  holder?: string,
): Promise<void> {
  await db.transaction(async (tx) => {
    if (holder) {
      // The row lock orders this save after any claim of the session, as an append is.
      const [held] = await tx
        .select({ id: sessions.id })
        .from(sessions)
        .where(and(eq(sessions.id, sessionId), heldBy(holder)))
        .for('update');
      if (!held) throw new LeaseLostError(sessionId, holder);
    }
    await tx
      .insert(sessionFiles)
      .values({ sessionId, name, data })
      .onConflictDoUpdate({
        target: [sessionFiles.sessionId, sessionFiles.name],
        set: { data, updatedAt: sql`now()` },
      });
  });
}

/** The session's file `name` as last saved, if any. */
export async function loadSessionFile(
  db: Db,
  sessionId: string,
  name: SessionFileName,
): Promise<Buffer | undefined> {
  const [row] = await db
    .select({ data: sessionFiles.data })
    .from(sessionFiles)
    .where(and(eq(sessionFiles.sessionId, sessionId), eq(sessionFiles.name, name)));
  return row?.data;
}

/** When the session's file `name` was last saved, without reading it; undefined if never. */
export async function sessionFileSavedAt(
  db: Db,
  sessionId: string,
  name: SessionFileName,
): Promise<Date | undefined> {
  const [row] = await db
    .select({ updatedAt: sessionFiles.updatedAt })
    .from(sessionFiles)
    .where(and(eq(sessionFiles.sessionId, sessionId), eq(sessionFiles.name, name)));
  return row?.updatedAt;
}

/** An uploaded bundle's bytes, as kept in the store. */
export async function loadBundleData(db: Db, bundleId: string): Promise<Buffer | undefined> {
  const [row] = await db
    .select({ data: bundleData.data })
    .from(bundleData)
    .where(eq(bundleData.bundleId, bundleId));
  return row?.data;
}
