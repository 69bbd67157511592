import type { z } from 'zod';
import { ValidationError } from './errors.js';

/**
 * The variables `schema` names, read from `env` (an empty one counts as unset); the
 * first that is wrong is a ValidationError naming it.
 */
export function parseEnvVars<T extends z.ZodObject>(schema: T, env: NodeJS.ProcessEnv): z.infer<T> {
  const parsed = schema.safeParse(
    Object.fromEntries(
      Object.entries(env).filter(([key, value]) => key in schema.shape && value !== ''),
    ),
  );
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ValidationError(issue?.message ?? 'invalid', String(issue?.path[0] ?? 'environment'));
  }
  return parsed.data;
}
