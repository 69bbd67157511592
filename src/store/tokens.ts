import { createHash, randomBytes } from 'node:crypto';
import { and, desc, eq, isNull, lt, or } from 'drizzle-orm';
import { newId } from '../ids.js';
import type { Db } from './store.js';
import { apiTokens, users } from './schema.js';
import type { User } from './users.js';

export type ApiToken = typeof apiTokens.$inferSelect;

const TOKEN_PREFIX = 'hgr_';

/** A new secret token: 256 random bits, recognisable by its `hgr_` prefix. */
export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/**
 * Tokens are stored as SHA-256: they are random 256-bit secrets, so a fast hash is
 * enough (no dictionary to resist) and lookup by hash needs no timing-safe compare.
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export async function createToken(
  db: Db,
  input: { userId: string; name: string; expiresAt?: Date | undefined; token?: string },
): Promise<{ token: string; record: ApiToken }> {
  const token = input.token ?? generateToken();
  const [record] = await db
    .insert(apiTokens)
    .values({
      id: newId('tok'),
      userId: input.userId,
      name: input.name,
      tokenHash: hashToken(token),
      prefix: token.slice(0, TOKEN_PREFIX.length + 6),
      expiresAt: input.expiresAt ?? null,
    })
    .returning();
  if (!record) throw new Error('insert returned no token');
  return { token, record };
}

export type TokenCheck =
  | { ok: true; user: User; token: ApiToken }
  | { ok: false; reason: 'unknown' | 'revoked' | 'expired'; token?: ApiToken };

/** Looks a presented token up and says whether it may be used at `now`. */
export async function checkToken(db: Db, presented: string, now: Date): Promise<TokenCheck> {
  const [row] = await db
    .select({ token: apiTokens, user: users })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(eq(apiTokens.tokenHash, hashToken(presented)));
  if (!row) return { ok: false, reason: 'unknown' };
  if (row.token.revokedAt) return { ok: false, reason: 'revoked', token: row.token };
  if (row.token.expiresAt && row.token.expiresAt <= now) {
    return { ok: false, reason: 'expired', token: row.token };
  }
  return { ok: true, user: row.user, token: row.token };
}

/** Records use, at most once a minute per token so reads do not all become writes. */
export async function touchToken(db: Db, id: string, now: Date): Promise<void> {
  const stale = new Date(now.getTime() - 60_000);
  await db
    .update(apiTokens)
    .set({ lastUsedAt: now })
    .where(
      and(eq(apiTokens.id, id), or(isNull(apiTokens.lastUsedAt), lt(apiTokens.lastUsedAt, stale))),
    );
}

/** The user's tokens that have not been revoked, newest first. */
export async function listTokens(db: Db, userId: string): Promise<ApiToken[]> {
  return db
    .select()
    .from(apiTokens)
    .where(and(eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt)))
    .orderBy(desc(apiTokens.createdAt), desc(apiTokens.id));
}

/** Revokes one of the user's tokens; undefined when the user has no such live token. */
export async function revokeToken(
  db: Db,
  userId: string,
  id: string,
  now: Date,
): Promise<ApiToken | undefined> {
  const [record] = await db
    .update(apiTokens)
    .set({ revokedAt: now })
    .where(and(eq(apiTokens.id, id), eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt)))
    .returning();
  return record;
}
