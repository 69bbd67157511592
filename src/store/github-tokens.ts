import { eq } from 'drizzle-orm';
import { githubTokens } from './schema.js';
import type { Db } from './store.js';

/** A user's stored GitHub token, still sealed. */
export interface StoredGitHubToken {
  login: string;
  sealedToken: string;
}

/** Stores (or replaces) a user's sealed GitHub token. */
export async function saveGitHubToken(
  db: Db,
  userId: string,
  token: StoredGitHubToken,
): Promise<void> {
  await db
    .insert(githubTokens)
    .values({ userId, ...token })
    .onConflictDoUpdate({
      target: githubTokens.userId,
      set: { ...token, createdAt: new Date() },
    });
}

/** The user's sealed GitHub token, if they connected one. */
export async function githubTokenOf(
  db: Db,
  userId: string,
): Promise<StoredGitHubToken | undefined> {
  const [row] = await db
    .select({ login: githubTokens.login, sealedToken: githubTokens.sealedToken })
    .from(githubTokens)
    .where(eq(githubTokens.userId, userId));
  return row;
}

/** Forgets the user's GitHub token; true when there was one. */
export async function deleteGitHubToken(db: Db, userId: string): Promise<boolean> {
  const gone = await db
    .delete(githubTokens)
    .where(eq(githubTokens.userId, userId))
    .returning({ userId: githubTokens.userId });
  return gone.length > 0;
}
