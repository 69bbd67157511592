import { OpenAPIHono, z } from '@hono/zod-openapi';
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

export const IdParams = z.object({
  id: z
    .string()
    .min(1)
    .max(100)
    .openapi({ param: { name: 'id', in: 'path' } }),
});

/** `?archived=true` on list routes. */
export const ArchivedQuery = z.object({
  archived: z
    .enum(['true', 'false'])
    .optional()
    .transform((v) => v === 'true')
    .openapi({ description: 'Include archived items' }),
});

export function jsonBody<T extends z.ZodType>(schema: T, description: string) {
  return { required: true, description, content: { 'application/json': { schema } } };
}

export function jsonResponse<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } };
}
