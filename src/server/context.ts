import { OpenAPIHono, z } from '@hono/zod-openapi';
import { ID_PATTERN } from '../ids.js';
import type { ApiToken } from '../store/tokens.js';
import type { User } from '../store/users.js';
import { validationFailure } from './errors.js';

/** What the auth middleware puts on every `/api/v1` request. */
export interface AppEnv {
  Variables: { user: User; token: ApiToken };
}

/** A router whose validation failures become Hangar's 400s. */
export function router(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationFailure(result.error, result.target);
    },
  });
}

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().describe('Stable machine-readable code, e.g. `not_found`'),
      message: z.string().describe('What was wrong and what to do'),
      details: z.unknown().optional(),
    }),
  })
  .openapi('Error');

/** The error responses every authenticated route can give. */
export const errorResponses = {
  400: { description: 'Invalid request', content: { 'application/json': { schema: ErrorSchema } } },
  401: {
    description: 'Missing or bad token',
    content: { 'application/json': { schema: ErrorSchema } },
  },
  404: { description: 'Not found', content: { 'application/json': { schema: ErrorSchema } } },
  409: { description: 'Conflict', content: { 'application/json': { schema: ErrorSchema } } },
} as const;

/** A window limit reached (sessions this hour, tokens today): the routes that start turns. */
export const windowLimitResponse = {
  429: {
    description:
      '`too_many_sessions_this_hour` or `model_tokens_used_up`: the message names the limit and when to retry; ' +
      'the `Retry-After` header gives the seconds, `details` `{limit, used, variable, retryAt}`',
    headers: {
      'Retry-After': {
        description: 'Seconds until the limit frees',
        schema: { type: 'integer' as const },
      },
    },
    content: { 'application/json': { schema: ErrorSchema } },
  },
} as const;

/** An id in a path or a body: checked for its shape before it reaches a query. */
export const Id = z
  .string()
  .regex(ID_PATTERN, 'must be an id such as ses_01j9…: a kind, `_`, lowercase letters and digits');

export const IdParams = z.object({
  id: Id.openapi({ param: { name: 'id', in: 'path' } }),
});

/** The largest sequence number PostgreSQL's `integer` column holds. */
export const MAX_SEQ = 2_147_483_647;

/** `?archived=true` on list routes. */
export const ArchivedQuery = z.object({
  archived: z
    .enum(['true', 'false'])
    .optional()
    .transform((v) => v === 'true')
    .openapi({ description: 'Include archived items' }),
});

/** A required JSON body; no string in it may hold a NUL byte (see `storable`). */
export function jsonBody<T extends z.ZodType>(schema: T, description: string) {
  return {
    required: true,
    description,
    content: { 'application/json': { schema: storable(schema) } },
  };
}

/**
 * PostgreSQL stores no NUL byte in `text` (nor `\u0000` in `jsonb`): a body with one is
 * refused here, naming the field, rather than by the database with a 500.
 */
export function storable<T extends z.ZodType>(schema: T): T {
  return schema.superRefine((value, ctx) => {
    for (const path of nulPaths(value, [])) {
      ctx.addIssue({ code: 'custom', path, message: 'must not contain NUL bytes (\\u0000)' });
    }
  });
}

function nulPaths(value: unknown, path: (string | number)[]): (string | number)[][] {
  if (typeof value === 'string') return value.includes('\0') ? [path] : [];
  if (Array.isArray(value)) return value.flatMap((item, i) => nulPaths(item, [...path, i]));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) =>
      key.includes('\0') ? [path] : nulPaths(item, [...path, key]),
    );
  }
  return [];
}

export function jsonResponse<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } };
}
