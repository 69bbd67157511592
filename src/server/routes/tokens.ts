import { createRoute, z } from '@hono/zod-openapi';
import { NotFoundError } from '../../errors.js';
import type { Db } from '../../store/store.js';
import { createToken, listTokens, revokeToken, type ApiToken } from '../../store/tokens.js';
import { errorResponses, IdParams, jsonBody, jsonResponse, router } from '../context.js';

const TokenSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string().describe('The first characters of the token, to tell tokens apart'),
    createdAt: z.iso.datetime(),
    lastUsedAt: z.iso.datetime().nullable(),
    expiresAt: z.iso.datetime().nullable(),
    revokedAt: z.iso.datetime().nullable(),
  })
  .openapi('Token');

const CreateToken = z
  .strictObject({
    name: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
    expiresInDays: z
      .number()
      .int('must be a whole number of days')
      .min(1, 'must be at least 1')
      .max(3650, 'must be at most 3650')
      .optional()
      .describe('Days until the token stops working; never when absent'),
  })
  .openapi('CreateToken');

function toJson(token: ApiToken): z.infer<typeof TokenSchema> {
  return {
    id: token.id,
    name: token.name,
    prefix: token.prefix,
    createdAt: token.createdAt.toISOString(),
    lastUsedAt: token.lastUsedAt?.toISOString() ?? null,
    expiresAt: token.expiresAt?.toISOString() ?? null,
    revokedAt: token.revokedAt?.toISOString() ?? null,
  };
}

const tags = ['Tokens'];
const security = [{ bearer: [] }];
const DAY_MS = 86_400_000;

/** `/tokens`: API tokens for the CLI and scripts, shown once, stored hashed. */
export function tokenRoutes(db: Db, clock: () => Date) {
  const app = router();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/tokens',
      tags,
      security,
      responses: {
        200: jsonResponse(
          z.object({ tokens: z.array(TokenSchema) }),
          'Your tokens that are not revoked',
        ),
        ...errorResponses,
      },
    }),
    async (c) => {
      const tokens = await listTokens(db, c.get('user').id);
      return c.json({ tokens: tokens.map(toJson) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/tokens',
      tags,
      security,
      request: { body: jsonBody(CreateToken, 'The new token') },
      responses: {
        201: jsonResponse(
          TokenSchema.extend({ token: z.string().describe('The secret; shown this once only') }),
          'The new token',
        ),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { name, expiresInDays } = c.req.valid('json');
      const expiresAt = expiresInDays
        ? new Date(clock().getTime() + expiresInDays * DAY_MS)
        : undefined;
      const { token, record } = await createToken(db, {
        userId: c.get('user').id,
        name,
        expiresAt,
      });
      return c.json({ ...toJson(record), token }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/tokens/{id}',
      tags,
      security,
      request: { params: IdParams },
      responses: { 200: jsonResponse(TokenSchema, 'The revoked token'), ...errorResponses },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const revoked = await revokeToken(db, c.get('user').id, id, clock());
      if (!revoked) throw new NotFoundError('token', id);
      return c.json(toJson(revoked), 200);
    },
  );

  return app;
}
