import type { MiddlewareHandler } from 'hono';
import { UnauthorizedError } from '../errors.js';
import type { Db } from '../store/store.js';
import { checkToken, touchToken } from '../store/tokens.js';
import type { AppEnv } from './context.js';

/** Requires `Authorization: Bearer <token>` and puts the token's user on the context. */
export function requireToken(db: Db, clock: () => Date): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization');
    if (!header) {
      throw new UnauthorizedError(
        'Missing token: send `Authorization: Bearer <token>` (the CLI uses `hangar login`).',
      );
    }
    const match = /^Bearer +(\S+) *$/i.exec(header);
    if (!match?.[1]) {
      throw new UnauthorizedError('Malformed Authorization header: expected `Bearer <token>`.');
    }
    const now = clock();
    const check = await checkToken(db, match[1], now);
    if (!check.ok) {
      switch (check.reason) {
        case 'unknown':
          throw new UnauthorizedError('Invalid token: it is not one this server issued.');
        case 'revoked':
          throw new UnauthorizedError(
            `This token was revoked${since(check.token?.revokedAt)}: use another token or create one.`,
          );
        case 'expired':
          throw new UnauthorizedError(
            `This token expired${since(check.token?.expiresAt)}: create a new one with \`hangar token create\`.`,
          );
      }
    }
    await touchToken(db, check.token.id, now);
    c.set('user', check.user);
    c.set('token', check.token);
    await next();
  };
}

function since(at: Date | null | undefined): string {
  return at ? ` on ${at.toISOString()}` : '';
}
