import { and, eq, lt, sql, type SQL } from 'drizzle-orm';
import { UserLimitError } from '../errors.js';
import { bundleData, bundles, sessions, users } from './schema.js';
import type { Db } from './store.js';

export type Bundle = typeof bundles.$inferSelect;

/** How long a bundle no session uses is kept after its upload. */
export const UNUSED_BUNDLE_TTL_MS = 24 * 60 * 60 * 1000;

/** The user's bundle `id`, if they have one by that id. */
export async function findBundle(db: Db, userId: string, id: string): Promise<Bundle | undefined> {
  const [bundle] = await db
    .select()
    .from(bundles)
    .where(and(eq(bundles.id, id), eq(bundles.userId, userId)));
  return bundle;
}

/** Bytes of bundles the user has stored. */
export async function bundleUsage(db: Db, userId: string): Promise<number> {
  const [row] = await db
    .select({ used: sql<string | number>`coalesce(sum(${bundles.sizeBytes}), 0)` })
    .from(bundles)
    .where(eq(bundles.userId, userId));
  return Number(row?.used ?? 0);
}

/** The 413 of an upload that would take the user past their bundle quota. */
export function bundleQuotaError(used: number, quota: number, adding: number): UserLimitError {
  return new UserLimitError({
    code: 'bundle_quota_exceeded',
    status: 413,
    message:
      `Your stored bundles use ${used} of your ${quota} bytes (HANGAR_MAX_BUNDLE_MB_PER_USER), ` +
      `so this bundle (${adding} bytes or more) does not fit. Delete sessions you no longer ` +
      'need: their bundles go with them, and a bundle no session uses is deleted a day after its upload.',
    details: { limit: quota, used, variable: 'HANGAR_MAX_BUNDLE_MB_PER_USER' },
  });
}

/**
 * Records an uploaded bundle if it fits the user's quota, with its bytes (`data`), so
 * a runner on any host can clone it. The user's row lock makes the sum and the insert
 * one step, so two uploads at once cannot both take the last bytes.
 */
export async function insertBundle(
  db: Db,
  values: typeof bundles.$inferInsert,
  data: Buffer,
  quotaBytes: number,
): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.execute(sql`select 1 from ${users} where id = ${values.userId} for no key update`);
    const used = await bundleUsage(tx, values.userId);
    if (used + values.sizeBytes > quotaBytes)
      throw bundleQuotaError(used, quotaBytes, values.sizeBytes);
    await tx.insert(bundles).values(values);
    await tx.insert(bundleData).values({ bundleId: values.id, data });
  });
}

/**
 * Deletes the bundles no session uses among those `which` selects (one by id, or all
 * uploaded before a time) and answers their ids, so their files can go too.
 */
export async function deleteUnusedBundles(
  db: Db,
  which: { id: string } | { uploadedBefore: Date },
): Promise<string[]> {
  const selected: SQL =
    'id' in which ? eq(bundles.id, which.id) : lt(bundles.createdAt, which.uploadedBefore);
  const unused = sql`not exists (select 1 from ${sessions} s where s.source->>'bundleId' = ${bundles.id})`;
  const deleted = await db
    .delete(bundles)
    .where(and(selected, unused))
    .returning({ id: bundles.id });
  return deleted.map((row) => row.id);
}
