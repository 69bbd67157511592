import { and, asc, eq, inArray, isNull, or, sql } from 'drizzle-orm';
import { ConflictError, NotFoundError } from '../errors.js';
import { newId } from '../ids.js';
import type { NetworkLevel } from '../environments/network-level.js';
import { environments, teamMembers, users } from './schema.js';
import { isUniqueViolation, type Db } from './store.js';

export type Environment = typeof environments.$inferSelect;

/** An environment's settings once validated (see environments/settings.ts). */
export interface EnvironmentSettings {
  name: string;
  networkLevel: NetworkLevel;
  allowlist: string[];
  includeDefaults: boolean;
  envVars: string;
  setupScript: string;
  /** The sandbox image; null: the default (images/resolve.ts). */
  image: string | null;
  /** The agent of a session started here that names none; null: the server's default. */
  defaultAgent: string | null;
}

/**
 * Which environments a user may see, edit and use: their personal ones and those of
 * the teams they are in.
 */
function reachableBy(userId: string) {
  return or(
    and(eq(environments.userId, userId), isNull(environments.teamId)),
    inArray(
      environments.teamId,
      sql`(select ${teamMembers.teamId} from ${teamMembers} where ${teamMembers.userId} = ${userId})`,
    ),
  );
}

export async function createEnvironment(
  db: Db,
  userId: string,
  settings: EnvironmentSettings,
  teamId: string | null = null,
): Promise<Environment> {
  const [created] = await db
    .insert(environments)
    .values({ id: newId('env'), userId, teamId, ...settings })
    .returning()
    .catch(nameTaken(settings.name));
  if (!created) throw new Error('insert returned no environment');
  return created;
}

/** The user's environments and their teams', oldest first; archived ones only when asked for. */
export async function listEnvironments(
  db: Db,
  userId: string,
  options: { archived: boolean },
): Promise<Environment[]> {
  const mine = reachableBy(userId);
  return db
    .select()
    .from(environments)
    .where(options.archived ? mine : and(mine, isNull(environments.archivedAt)))
    .orderBy(asc(environments.createdAt), asc(environments.id));
}

/** An environment the user may use: theirs, or one of a team they are in. */
export async function getEnvironment(db: Db, userId: string, id: string): Promise<Environment> {
  const [found] = await db
    .select()
    .from(environments)
    .where(and(eq(environments.id, id), reachableBy(userId)));
  if (!found) throw new NotFoundError('environment', id);
  return found;
}

/**
 * A session's environment, for the runner: the session was checked when it was made,
 * so its owner leaving the environment's team does not strand it.
 */
export async function loadEnvironment(db: Db, id: string): Promise<Environment> {
  const [found] = await db.select().from(environments).where(eq(environments.id, id));
  if (!found) throw new NotFoundError('environment', id);
  return found;
}

export async function updateEnvironment(
  db: Db,
  userId: string,
  id: string,
  settings: EnvironmentSettings & { teamId?: string | null },
  now: Date,
): Promise<Environment> {
  const [updated] = await db
    .update(environments)
    .set({ ...settings, updatedAt: now })
    .where(and(eq(environments.id, id), reachableBy(userId)))
    .returning()
    .catch(nameTaken(settings.name));
  if (!updated) throw new NotFoundError('environment', id);
  return updated;
}

/**
 * Archives an environment: hidden from lists, kept for the sessions that use it.
 * The default cannot be archived; another must be made the default first.
 */
export async function archiveEnvironment(
  db: Db,
  userId: string,
  id: string,
  now: Date,
): Promise<Environment> {
  const env = await getEnvironment(db, userId, id);
  if (env.archivedAt) return env;
  const [user] = await db.select().from(users).where(eq(users.id, userId));
  if (user?.defaultEnvironmentId === id) {
    throw new ConflictError(
      `"${env.name}" is the default environment: make another one the default before archiving it.`,
    );
  }
  const [archived] = await db
    .update(environments)
    .set({ archivedAt: now, updatedAt: now })
    .where(eq(environments.id, id))
    .returning();
  return archived ?? env;
}

/** Makes an environment the one sessions use when they name none. */
export async function setDefaultEnvironment(
  db: Db,
  userId: string,
  id: string,
): Promise<Environment> {
  const env = await getEnvironment(db, userId, id);
  if (env.archivedAt) {
    throw new ConflictError(
      `"${env.name}" is archived: an archived environment cannot be the default.`,
    );
  }
  await db.update(users).set({ defaultEnvironmentId: id }).where(eq(users.id, userId));
  return env;
}

function nameTaken(name: string) {
  return (error: unknown): never => {
    if (isUniqueViolation(error)) {
      throw new ConflictError(
        `An environment named "${name}" already exists: choose another name.`,
      );
    }
    throw error;
  };
}
