import { createRoute, z } from '@hono/zod-openapi';
import { DEFAULT_SETTINGS } from '../../environments/settings.js';
import { HangarError } from '../../errors.js';
import { createEnvironment, setDefaultEnvironment } from '../../store/environments.js';
import type { Db } from '../../store/store.js';
import { createToken } from '../../store/tokens.js';
import { createUser } from '../../store/users.js';
import { errorResponses, jsonBody, jsonResponse, router } from '../context.js';

const CreateUser = z
  .strictObject({
    name: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
    admin: z.boolean().optional().describe('May create users'),
  })
  .openapi('CreateUser');

/** `/users`: an admin adds the people of a team; each gets a token and a default environment. */
export function userRoutes(db: Db) {
  const app = router();

  app.openapi(
    createRoute({
      method: 'post',
      path: '/users',
      tags: ['Account'],
      security: [{ bearer: [] }],
      request: { body: jsonBody(CreateUser, 'The new user') },
      responses: {
        201: jsonResponse(
          z.object({
            id: z.string(),
            name: z.string(),
            isAdmin: z.boolean(),
            token: z.string().describe('Shown once'),
          }),
          'The user and a login token',
        ),
        403: errorResponses[401],
        ...errorResponses,
      },
    }),
    async (c) => {
      if (!c.get('user').isAdmin)
        throw new HangarError('forbidden', 403, 'Only an admin can add users.');
      const { name, admin } = c.req.valid('json');
      const created = await db.transaction(async (tx) => {
        const user = await createUser(tx, { name, isAdmin: admin ?? false });
        const env = await createEnvironment(tx, user.id, { name: 'Default', ...DEFAULT_SETTINGS });
        await setDefaultEnvironment(tx, user.id, env.id);
        const { token } = await createToken(tx, {
          userId: user.id,
          name: `${name} (created by ${c.get('user').name})`,
        });
        return { id: user.id, name: user.name, isAdmin: user.isAdmin, token };
      });
      return c.json(created, 201);
    },
  );

  return app;
}
