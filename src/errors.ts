/**
 * Hangar's errors: each has a stable `code` that clients can match on and the HTTP
 * `status` it maps to. The server turns them into `{error: {code, message}}` in one
 * place; the CLI prints their message. Messages say what was wrong and what to do.
 */
export class HangarError extends Error {
  constructor(
    readonly code: string,
    readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 422 | 429 | 500 | 503,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The request is malformed: `field` names where, e.g. `allowlist[2]` or `envVars`. */
export class ValidationError extends HangarError {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(
      'invalid_request',
      400,
      field ? `${field}: ${message}` : message,
      field ? { field } : undefined,
    );
  }
}

export class UnauthorizedError extends HangarError {
  constructor(message = 'Missing or invalid token: send `Authorization: Bearer <token>`.') {
    super('unauthorized', 401, message);
  }
}

export class NotFoundError extends HangarError {
  constructor(what: string, id: string) {
    super('not_found', 404, `No ${what} with id ${JSON.stringify(id)}.`);
  }
}

export class ConflictError extends HangarError {
  constructor(message: string) {
    super('conflict', 409, message);
  }
}

/** Which per-user limit was reached; each is also a stable error `code`. */
export type UserLimitCode =
  | 'too_many_streams'
  | 'bundle_quota_exceeded'
  | 'too_many_schedules'
  | 'too_many_sessions_this_hour'
  | 'model_tokens_used_up';

/**
 * A per-user limit set by the operator is reached. The message names the limit, the
 * variable that sets it and the user's current use; `details` carries the numbers.
 * A limit over a window (an hour, a day) also says when it frees: the response's
 * `Retry-After` header and `details.retryAt`.
 */
export class UserLimitError extends HangarError {
  /** Whole seconds until the window frees (at least 1); undefined for a limit on what is held. */
  readonly retryAfterSeconds: number | undefined;

  constructor(limit: {
    code: UserLimitCode;
    status: 413 | 429;
    message: string;
    /** The limit, the user's current use, and the variable that sets the limit. */
    details: { limit: number; used: number; variable: string };
    /** When the window frees, for a limit over one. */
    retryAt?: { at: Date; now: Date };
  }) {
    const retryAt = limit.retryAt;
    super(
      limit.code,
      limit.status,
      limit.message,
      retryAt ? { ...limit.details, retryAt: retryAt.at.toISOString() } : limit.details,
    );
    this.retryAfterSeconds = retryAt
      ? Math.max(1, Math.ceil((retryAt.at.getTime() - retryAt.now.getTime()) / 1000))
      : undefined;
  }
}
