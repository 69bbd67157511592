import { createRoute, z } from '@hono/zod-openapi';
import { HangarError } from '../../errors.js';
import { createLoginLink, redeemLoginLink } from '../../store/login-links.js';
import type { Db } from '../../store/store.js';
import { createToken } from '../../store/tokens.js';
import { getUser } from '../../store/users.js';
import { ErrorSchema, errorResponses, jsonBody, jsonResponse, router } from '../context.js';
import { userJson, UserSchema } from './account.js';

/** The one `/api/v1` path served without a token: it is how a browser gets one. */
export const REDEEM_PATH = '/api/v1/login-links/redeem';

const LoginLinkSchema = z
  .object({
    code: z.string().describe('One-time code; `hangar open` puts it in the URL fragment'),
    expiresAt: z.iso.datetime(),
  })
  .openapi('LoginLink');

const RedeemLoginLink = z
  .strictObject({ code: z.string().min(1, 'must not be empty').max(200) })
  .openapi('RedeemLoginLink');

const BrowserTokenSchema = z
  .object({
    token: z.string().describe('An API token for the browser; shown this once only'),
    tokenId: z.string(),
    expiresAt: z.iso.datetime(),
    user: UserSchema,
  })
  .openapi('BrowserToken');

/** The name of the tokens browsers get, so `hangar token list` tells them apart. */
const BROWSER_TOKEN_NAME = 'browser';
const BROWSER_TOKEN_DAYS = 30;
const DAY_MS = 86_400_000;

const tags = ['Account'];

/** `/login-links`: one-time sign-in links, so `hangar open` opens a signed-in browser. */
export function loginLinkRoutes(db: Db, clock: () => Date) {
  const app = router();

  app.openapi(
    createRoute({
      method: 'post',
      path: '/login-links',
      tags,
      security: [{ bearer: [] }],
      description: 'A code that signs a browser in as you, once, within five minutes.',
      request: { body: jsonBody(z.strictObject({}), 'Nothing: send `{}`') },
      responses: { 201: jsonResponse(LoginLinkSchema, 'The new link code'), ...errorResponses },
    }),
    async (c) => {
      const { code, expiresAt } = await createLoginLink(db, c.get('user').id, clock());
      return c.json({ code, expiresAt: expiresAt.toISOString() }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/login-links/redeem',
      tags,
      description: `Trades a link's code for a new ${BROWSER_TOKEN_DAYS}-day API token named \`${BROWSER_TOKEN_NAME}\`. Needs no token.`,
      request: { body: jsonBody(RedeemLoginLink, 'The code from the link') },
      responses: {
        200: jsonResponse(BrowserTokenSchema, 'Signed in'),
        400: errorResponses[400],
        401: {
          description: 'The link is unknown, already used or expired (`invalid_link`)',
          content: { 'application/json': { schema: ErrorSchema } },
        },
      },
    }),
    async (c) => {
      const now = clock();
      const expiresAt = new Date(now.getTime() + BROWSER_TOKEN_DAYS * DAY_MS);
      const signedIn = await db.transaction(async (tx) => {
        // In one transaction: a failure after the redeem leaves the link usable.
        const userId = await redeemLoginLink(tx, c.req.valid('json').code, now);
        const user = userId ? await getUser(tx, userId) : undefined;
        if (!user) return undefined;
        const { token, record } = await createToken(tx, {
          userId: user.id,
          name: BROWSER_TOKEN_NAME,
          expiresAt,
        });
        return { token, record, user };
      });
      if (!signedIn) {
        throw new HangarError(
          'invalid_link',
          401,
          'This sign-in link is unknown, already used or expired: run `hangar open` again for a new one.',
        );
      }
      const { token, record, user } = signedIn;
      return c.json(
        {
          token,
          tokenId: record.id,
          expiresAt: expiresAt.toISOString(),
          user: userJson(user),
        },
        200,
      );
    },
  );

  return app;
}
