import { randomBytes } from 'node:crypto';
import { and, eq, gt, isNull, lt } from 'drizzle-orm';
import { newId } from '../ids.js';
import { loginLinks } from './schema.js';
import type { Db } from './store.js';
import { hashToken } from './tokens.js';

/** How long a sign-in link works: long enough to switch to a browser, no longer. */
export const LOGIN_LINK_TTL_MS = 5 * 60_000;

/**
 * A new one-time sign-in code for `userId`: 256 random bits, stored only as its
 * SHA-256 (like API tokens). Links that have expired are cleared out on the way.
 */
export async function createLoginLink(
  db: Db,
  userId: string,
  now: Date,
): Promise<{ code: string; expiresAt: Date }> {
  const code = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + LOGIN_LINK_TTL_MS);
  await db.delete(loginLinks).where(lt(loginLinks.expiresAt, now));
  await db.insert(loginLinks).values({
    id: newId('lnk'),
    userId,
    codeHash: hashToken(code),
    createdAt: now,
    expiresAt,
  });
  return { code, expiresAt };
}

/**
 * Uses a code up and answers whose it was; undefined when it is unknown, used or
 * expired. One UPDATE … RETURNING, so two redeems racing cannot both succeed.
 */
export async function redeemLoginLink(
  db: Db,
  code: string,
  now: Date,
): Promise<string | undefined> {
  const [row] = await db
    .update(loginLinks)
    .set({ usedAt: now })
    .where(
      and(
        eq(loginLinks.codeHash, hashToken(code)),
        isNull(loginLinks.usedAt),
        gt(loginLinks.expiresAt, now),
      ),
    )
    .returning({ userId: loginLinks.userId });
  return row?.userId;
}
