import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Logger } from 'pino';
import type { ZodError } from 'zod';
import { HangarError, UserLimitError, ValidationError } from '../errors.js';

/** One problem in a request body, query or path, with where it is. */
export interface Issue {
  path: string;
  message: string;
  /** In a multi-line text field (`envVars`): the 1-based line the problem is on. */
  line?: number;
}

/** `['allowlist', 2]` → `allowlist[2]`; the request's own root is `body`. */
export function formatPath(path: readonly PropertyKey[], root: string): string {
  if (path.length === 0) return root;
  return path
    .map((part, i) =>
      typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`,
    )
    .join('');
}

/** Turns zod's issues into a 400 that names the first field (and lists them all). */
export function validationFailure(error: ZodError, target: string): ValidationError {
  const issues: Issue[] = error.issues.map((issue) => ({
    path: formatPath(issue.path, target === 'json' ? 'body' : target),
    message: issue.message,
    ...lineOf(issue),
  }));
  const [first] = issues;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  const failure = new ValidationError(`${first?.message ?? 'invalid'}${more}`, first?.path);
  return Object.assign(failure, { details: { issues } });
}

/** A custom issue's `params.line`, set by checks of multi-line text. */
function lineOf(issue: ZodError['issues'][number]): { line?: number } {
  const line: unknown = issue.code === 'custom' ? issue.params?.line : undefined;
  return typeof line === 'number' ? { line } : {};
}

/** The single place errors become responses: `{error: {code, message, details?}}`. */
export function errorResponse(error: unknown, c: Context, logger: Logger): Response {
  if (error instanceof HangarError) {
    if (error.status === 401) c.header('WWW-Authenticate', 'Bearer realm="hangar"');
    // RFC 9110 §10.2.3: seconds until the limit's window frees.
    if (error instanceof UserLimitError && error.retryAfterSeconds !== undefined) {
      c.header('Retry-After', String(error.retryAfterSeconds));
    }
    const body = { code: error.code, message: error.message, details: error.details };
    return c.json({ error: body }, error.status);
  }
  if (error instanceof HTTPException) {
    const status = error.status;
    const { code, message } = describeHttpException(error);
    return c.json({ error: { code, message } }, status);
  }
  logger.error({ err: error, method: c.req.method, path: c.req.path }, 'unhandled error');
  return c.json(
    {
      error: {
        code: 'internal',
        message: 'Something went wrong on the server; it has been logged.',
      },
    },
    500,
  );
}

function describeHttpException(error: HTTPException): { code: string; message: string } {
  switch (error.status) {
    case 400:
      return /json/i.test(error.message)
        ? { code: 'invalid_json', message: 'The request body is not valid JSON.' }
        : { code: 'invalid_request', message: error.message || 'Bad request.' };
    case 413:
      return { code: 'too_large', message: 'The request body is too large.' };
    case 415:
      return {
        code: 'unsupported_media_type',
        message: 'Send the request body as JSON with `Content-Type: application/json`.',
      };
    default:
      return { code: 'http_error', message: error.message || 'Request failed.' };
  }
}
