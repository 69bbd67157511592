import { and, eq, sql } from 'drizzle-orm';
import type { ModelMeter } from '../gateway/model-gateway.js';
import {
  checkModelLimits,
  NO_USAGE,
  type ModelLimits,
  type ModelUsage,
} from '../gateway/model-usage.js';
import { modelUsage } from './schema.js';
import type { Db } from './store.js';

/** The UTC day of `at`, as stored: `YYYY-MM-DD`. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

const totals = {
  requests: sql<string | number>`coalesce(sum(${modelUsage.requests}), 0)`,
  inputTokens: sql<string | number>`coalesce(sum(${modelUsage.inputTokens}), 0)`,
  outputTokens: sql<string | number>`coalesce(sum(${modelUsage.outputTokens}), 0)`,
};

// PostgreSQL sums bigints as numeric, which drivers hand back as strings.
const toUsage = (row: Record<keyof ModelUsage, string | number> | undefined): ModelUsage =>
  row
    ? {
        requests: Number(row.requests),
        inputTokens: Number(row.inputTokens),
        outputTokens: Number(row.outputTokens),
      }
    : NO_USAGE;

/** Adds one response's usage to the session's row for `day`. */
export async function addModelUsage(
  db: Db,
  owner: { sessionId: string; userId: string },
  day: string,
  usage: ModelUsage,
): Promise<void> {
  await db
    .insert(modelUsage)
    .values({ ...owner, day, ...usage })
    .onConflictDoUpdate({
      target: [modelUsage.sessionId, modelUsage.day],
      set: {
        requests: sql`${modelUsage.requests} + ${usage.requests}`,
        inputTokens: sql`${modelUsage.inputTokens} + ${usage.inputTokens}`,
        outputTokens: sql`${modelUsage.outputTokens} + ${usage.outputTokens}`,
      },
    });
}

/** Everything a session used, all days together. */
export async function sessionModelUsage(db: Db, sessionId: string): Promise<ModelUsage> {
  const [row] = await db.select(totals).from(modelUsage).where(eq(modelUsage.sessionId, sessionId));
  return toUsage(row);
}

/** What a user used on one UTC day, over all their sessions (deleted ones included). */
export async function userModelUsage(db: Db, userId: string, day: string): Promise<ModelUsage> {
  const [row] = await db
    .select(totals)
    .from(modelUsage)
    .where(and(eq(modelUsage.userId, userId), eq(modelUsage.day, day)));
  return toUsage(row);
}

/**
 * The gateway's meter for one session, backed by the store: it checks the limits
 * against what the store holds (so several runners sharing a database agree) and
 * adds each response's usage. A write that fails is reported, never thrown into the
 * response being streamed.
 */
export function storeModelMeter(
  db: Db,
  owner: { sessionId: string; userId: string },
  limits: ModelLimits,
  options: { clock?: () => Date; onError?: (error: unknown) => void } = {},
): ModelMeter {
  const clock = options.clock ?? (() => new Date());
  return {
    admit: async () => {
      const [session, userToday] = await Promise.all([
        sessionModelUsage(db, owner.sessionId),
        userModelUsage(db, owner.userId, utcDay(clock())),
      ]);
      return checkModelLimits(limits, { session, userToday });
    },
    record: (usage) => {
      addModelUsage(db, owner, utcDay(clock()), usage).catch((error: unknown) =>
        options.onError?.(error),
      );
    },
  };
}
