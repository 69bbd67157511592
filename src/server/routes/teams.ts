import { createRoute, z } from '@hono/zod-openapi';
import { HangarError, NotFoundError } from '../../errors.js';
import { teams as teamsTable } from '../../store/schema.js';
import {
  addMembers,
  createTeam,
  findUsers,
  listTeams,
  removeMembers,
  withMembers,
  type TeamWithMembers,
} from '../../store/teams.js';
import type { Db } from '../../store/store.js';
import { eq } from 'drizzle-orm';
import {
  errorResponses,
  ErrorSchema,
  IdParams,
  jsonBody,
  jsonResponse,
  router,
} from '../context.js';

const Name = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(64, 'must be at most 64 characters')
  .refine((name) => !/\p{Cc}/u.test(name), 'must not contain control characters');

/** A user as a person names them: their id or their name. */
const UserRef = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(100, 'must be at most 100 characters')
  .refine((name) => !name.includes('\0'), 'must not contain NUL bytes');

const Users = z
  .array(UserRef)
  .min(1, 'name at least one user')
  .max(100, 'at most 100 users at once')
  .describe('Users by id or by name (a name two users share must be given as an id)');

const TeamSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    members: z.array(z.object({ id: z.string(), name: z.string() })),
    createdAt: z.iso.datetime(),
  })
  .openapi('Team');

function toJson(team: TeamWithMembers): z.infer<typeof TeamSchema> {
  return {
    id: team.id,
    name: team.name,
    members: team.members,
    createdAt: team.createdAt.toISOString(),
  };
}

const tags = ['Teams'];
const security = [{ bearer: [] }];
const forbidden = { 403: jsonResponse(ErrorSchema, 'Not an admin') } as const;

function requireAdmin(user: { isAdmin: boolean }, what: string): void {
  if (!user.isAdmin) throw new HangarError('forbidden', 403, `Only an admin can ${what}.`);
}

/** `/teams`: admins make teams and set who is in them; every user sees their own. */
export function teamRoutes(db: Db) {
  const app = router();

  async function teamById(id: string): Promise<TeamWithMembers> {
    const rows = await db.select().from(teamsTable).where(eq(teamsTable.id, id));
    const [team] = await withMembers(db, rows);
    if (!team) throw new NotFoundError('team', id);
    return team;
  }

  app.openapi(
    createRoute({
      method: 'get',
      path: '/teams',
      tags,
      security,
      responses: {
        200: jsonResponse(
          z.object({ teams: z.array(TeamSchema) }),
          'Every team for an admin; for anyone else, the teams they are in',
        ),
        ...errorResponses,
      },
    }),
    async (c) => c.json({ teams: (await listTeams(db, c.get('user'))).map(toJson) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/teams',
      tags,
      security,
      request: { body: jsonBody(z.strictObject({ name: Name }).openapi('CreateTeam'), 'The team') },
      responses: { 201: jsonResponse(TeamSchema, 'The new team'), ...forbidden, ...errorResponses },
    }),
    async (c) => {
      requireAdmin(c.get('user'), 'create teams');
      const team = await createTeam(db, c.req.valid('json').name);
      return c.json(toJson({ ...team, members: [] }), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/teams/{id}/members',
      tags,
      security,
      description: 'Adds users to the team; those already in it stay.',
      request: {
        params: IdParams,
        body: jsonBody(z.strictObject({ users: Users }).openapi('TeamMembers'), 'Who to add'),
      },
      responses: { 200: jsonResponse(TeamSchema, 'The team'), ...forbidden, ...errorResponses },
    }),
    async (c) => {
      requireAdmin(c.get('user'), "change a team's members");
      const team = await teamById(c.req.valid('param').id);
      const users = await findUsers(db, c.req.valid('json').users);
      await addMembers(
        db,
        team.id,
        users.map((u) => u.id),
      );
      return c.json(toJson(await teamById(team.id)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/teams/{id}/members/remove',
      tags,
      security,
      description:
        "Removes users from the team: they no longer see its members' Team sessions nor its environments.",
      request: {
        params: IdParams,
        body: jsonBody(z.strictObject({ users: Users }), 'Who to remove'),
      },
      responses: { 200: jsonResponse(TeamSchema, 'The team'), ...forbidden, ...errorResponses },
    }),
    async (c) => {
      requireAdmin(c.get('user'), "change a team's members");
      const team = await teamById(c.req.valid('param').id);
      const users = await findUsers(db, c.req.valid('json').users);
      await removeMembers(
        db,
        team.id,
        users.map((u) => u.id),
      );
      return c.json(toJson(await teamById(team.id)), 200);
    },
  );

  return app;
}
