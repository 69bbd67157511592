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
