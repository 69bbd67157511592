import { and, asc, eq, inArray, or, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { ConflictError, ValidationError } from '../errors.js';
import { isId, newId } from '../ids.js';
import { teamMembers, teams, users } from './schema.js';
import { isUniqueViolation, type Db } from './store.js';

export type Team = typeof teams.$inferSelect;

/** A team as listed: its members by id and name. */
export interface TeamWithMembers extends Team {
  members: { id: string; name: string }[];
}

export async function createTeam(db: Db, name: string): Promise<Team> {
  const [team] = await db
    .insert(teams)
    .values({ id: newId('tea'), name })
    .returning()
    .catch((error: unknown) => {
      if (isUniqueViolation(error)) {
        throw new ConflictError(`A team named "${name}" already exists: choose another name.`);
      }
      throw error;
    });
  if (!team) throw new Error('insert returned no team');
  return team;
}

/** Teams with their members: every team for an admin, else the user's own. */
export async function listTeams(
  db: Db,
  user: { id: string; isAdmin: boolean },
): Promise<TeamWithMembers[]> {
  const mine = db
    .select({ teamId: teamMembers.teamId })
    .from(teamMembers)
    .where(eq(teamMembers.userId, user.id));
  const rows = await db
    .select()
    .from(teams)
    .where(user.isAdmin ? undefined : inArray(teams.id, mine))
    .orderBy(asc(teams.name));
  return withMembers(db, rows);
}

export async function withMembers(db: Db, rows: Team[]): Promise<TeamWithMembers[]> {
  if (rows.length === 0) return [];
  const members = await db
    .select({ teamId: teamMembers.teamId, id: users.id, name: users.name })
    .from(teamMembers)
    .innerJoin(users, eq(users.id, teamMembers.userId))
    .where(
      inArray(
        teamMembers.teamId,
        rows.map((t) => t.id),
      ),
    )
    .orderBy(asc(users.name));
  return rows.map((team) => ({
    ...team,
    members: members.filter((m) => m.teamId === team.id).map(({ id, name }) => ({ id, name })),
  }));
}

/**
 * The users people named, each by id or by name. A name two users share is refused,
 * naming their ids; a name nobody has is refused too, so a typo adds no one.
 */
export async function findUsers(db: Db, named: string[]): Promise<{ id: string; name: string }[]> {
  if (named.length === 0) return [];
  const ids = named.filter(isId);
  const names = named.map((n) => n.toLowerCase());
  const byName = inArray(sql`lower(${users.name})`, names);
  const candidates = await db
    .select({ id: users.id, name: users.name })
    .from(users)
    .where(ids.length > 0 ? or(inArray(users.id, ids), byName) : byName);
  const found = new Map<string, { id: string; name: string }>();
  for (const who of named) {
    const byId = candidates.find((u) => u.id === who);
    const byName = candidates.filter((u) => u.name.toLowerCase() === who.toLowerCase());
    if (byId) found.set(byId.id, byId);
    else if (byName.length === 1 && byName[0]) found.set(byName[0].id, byName[0]);
    else if (byName.length > 1) {
      throw new ValidationError(
        `"${who}" is the name of ${byName.length} users (${byName.map((u) => u.id).join(', ')}): name one by its id`,
        'users',
      );
    } else {
      throw new ValidationError(`no user named or with id "${who}"`, 'users');
    }
  }
  return [...found.values()];
}

export async function addMembers(db: Db, teamId: string, userIds: string[]): Promise<void> {
  if (userIds.length === 0) return;
  await db
    .insert(teamMembers)
    .values(userIds.map((userId) => ({ teamId, userId })))
    .onConflictDoNothing();
}

export async function removeMembers(db: Db, teamId: string, userIds: string[]): Promise<void> {
  if (userIds.length === 0) return;
  await db
    .delete(teamMembers)
    .where(and(eq(teamMembers.teamId, teamId), inArray(teamMembers.userId, userIds)));
}

/** Whether a user is a member of a team. */
export async function isMember(db: Db, teamId: string, userId: string): Promise<boolean> {
  const [row] = await db
    .select({ teamId: teamMembers.teamId })
    .from(teamMembers)
    .where(and(eq(teamMembers.teamId, teamId), eq(teamMembers.userId, userId)));
  return row !== undefined;
}

/** Whether two users are in at least one team together. */
export async function shareATeam(db: Db, a: string, b: string): Promise<boolean> {
  const other = alias(teamMembers, 'other');
  const [row] = await db
    .select({ teamId: teamMembers.teamId })
    .from(teamMembers)
    .innerJoin(other, eq(other.teamId, teamMembers.teamId))
    .where(and(eq(teamMembers.userId, a), eq(other.userId, b)))
    .limit(1);
  return row !== undefined;
}

/** The teams a user is in, with their members: who a Team session is open to. */
export async function teamsOf(db: Db, userId: string): Promise<TeamWithMembers[]> {
  return listTeams(db, { id: userId, isAdmin: false });
}
