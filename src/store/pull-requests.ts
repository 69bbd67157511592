import { and, desc, eq, inArray } from 'drizzle-orm';
import { events, githubDeliveries, pullRequests } from './schema.js';
import type { Db } from './store.js';

/** A session's pull request as stored. */
export type StoredPullRequest = typeof pullRequests.$inferSelect;
export type NewPullRequest = typeof pullRequests.$inferInsert;

/** Records a session's pull request (a session has one at most). */
export async function savePullRequest(db: Db, values: NewPullRequest): Promise<StoredPullRequest> {
  const [row] = await db
    .insert(pullRequests)
    .values(values)
    .onConflictDoUpdate({ target: pullRequests.sessionId, set: values })
    .returning();
  if (!row) throw new Error('insert returned no pull request');
  return row;
}

/** Changes a stored pull request's state, checks or ETags. */
export async function updatePullRequest(
  db: Db,
  sessionId: string,
  values: Partial<Omit<NewPullRequest, 'sessionId'>>,
): Promise<void> {
  await db.update(pullRequests).set(values).where(eq(pullRequests.sessionId, sessionId));
}

/** The pull request of one session. */
export async function pullRequestOf(
  db: Db,
  sessionId: string,
): Promise<StoredPullRequest | undefined> {
  const [row] = await db.select().from(pullRequests).where(eq(pullRequests.sessionId, sessionId));
  return row;
}

/** The pull requests of several sessions, by session id. */
export async function pullRequestsOf(
  db: Db,
  sessionIds: string[],
): Promise<Map<string, StoredPullRequest>> {
  if (sessionIds.length === 0) return new Map();
  const rows = await db
    .select()
    .from(pullRequests)
    .where(inArray(pullRequests.sessionId, sessionIds));
  return new Map(rows.map((r) => [r.sessionId, r]));
}

/** Open (or draft) pull requests, of one repo or of all: what webhooks and polling keep current. */
export async function openPullRequests(db: Db, repo?: string): Promise<StoredPullRequest[]> {
  const open = inArray(pullRequests.state, ['open', 'draft']);
  return db
    .select()
    .from(pullRequests)
    .where(repo === undefined ? open : and(open, eq(pullRequests.repo, repo)));
}

/** Records a webhook delivery id; false when it was handled before. */
export async function firstDelivery(db: Db, id: string, event: string): Promise<boolean> {
  const inserted = await db
    .insert(githubDeliveries)
    .values({ id, event })
    .onConflictDoNothing()
    .returning({ id: githubDeliveries.id });
  return inserted.length > 0;
}

/** The sessions' pull requests with this number in this repo (a `pull_request` webhook names it). */
export async function pullRequestsNumbered(
  db: Db,
  repo: string,
  number: number,
): Promise<StoredPullRequest[]> {
  return db
    .select()
    .from(pullRequests)
    .where(and(eq(pullRequests.repo, repo), eq(pullRequests.number, number)));
}

/** What the agent last said in a session: a PR's default summary of what it did. */
export async function lastAgentMessage(db: Db, sessionId: string): Promise<string | undefined> {
  const [row] = await db
    .select({ data: events.data })
    .from(events)
    .where(and(eq(events.sessionId, sessionId), eq(events.type, 'message.assistant')))
    .orderBy(desc(events.seq))
    .limit(1);
  const text = (row?.data as { text?: unknown } | undefined)?.text;
  return typeof text === 'string' ? text : undefined;
}
