import { createRoute, z } from '@hono/zod-openapi';
import type { TrustedGroup } from '../../environments/trusted-domains.js';
import type { User } from '../../store/users.js';
import { errorResponses, jsonResponse, router } from '../context.js';

export const UserSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    isAdmin: z.boolean(),
    defaultEnvironmentId: z.string().nullable(),
  })
  .openapi('User');

const MeSchema = UserSchema.extend({
  tokenId: z.string().describe('The token this request was made with'),
}).openapi('Me');

/** A user as the API shows them: `/me`, and the user a sign-in link signs in. */
export function userJson(user: User): z.infer<typeof UserSchema> {
  return {
    id: user.id,
    name: user.name,
    isAdmin: user.isAdmin,
    defaultEnvironmentId: user.defaultEnvironmentId,
  };
}

const TrustedDomainsSchema = z
  .object({
    groups: z.array(z.object({ name: z.string(), patterns: z.array(z.string()) })),
  })
  .openapi('TrustedDomains');

/** `/me` (who a token belongs to) and `/network/trusted-domains` (the default list). */
export function accountRoutes(trusted: TrustedGroup[]) {
  const app = router();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/me',
      tags: ['Account'],
      security: [{ bearer: [] }],
      responses: {
        200: jsonResponse(MeSchema, 'The user the token belongs to'),
        ...errorResponses,
      },
    }),
    (c) => c.json({ ...userJson(c.get('user')), tokenId: c.get('token').id }, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/network/trusted-domains',
      tags: ['Environments'],
      security: [{ bearer: [] }],
      responses: {
        200: jsonResponse(TrustedDomainsSchema, 'The allowlist of the trusted network level'),
        ...errorResponses,
      },
    }),
    (c) => c.json({ groups: trusted }, 200),
  );

  return app;
}
