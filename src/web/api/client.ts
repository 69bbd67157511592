import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from '../../api/schema';

export type Session = components['schemas']['Session'];
export type Environment = components['schemas']['Environment'];
export type Me = components['schemas']['Me'];
export type AgentName = components['schemas']['AgentStatus']['name'];
export type GitHubStatus = components['schemas']['GitHubStatus'];
export type GitHubRepo = components['schemas']['GitHubRepo'];

/** One problem the API found in a request, as `details.issues` lists them. */
export interface Issue {
  path: string;
  message: string;
  /** For multi-line text fields (env vars): the 1-based line the problem is on. */
  line?: number;
}

/** An API error: its stable code, its message, and the fields it is about. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: Issue[],
  ) {
    super(message);
  }

  /** The issues about one field (`source.url`) or a field's items (`allowlist` → `allowlist[2]`). */
  about(field: string): Issue[] {
    return this.issues.filter(
      (issue) =>
        issue.path === field ||
        issue.path.startsWith(`${field}.`) ||
        issue.path.startsWith(`${field}[`),
    );
  }
}

const TOKEN_KEY = 'hangar.token';
/** Set when the token was made for this browser by a sign-in link: signing out revokes it. */
const OWNED_KEY = 'hangar.token-owned';

export const auth = {
  get token(): string | null {
    return localStorage.getItem(TOKEN_KEY);
  },
  get ownsToken(): boolean {
    return localStorage.getItem(OWNED_KEY) === 'yes';
  },
  signIn(token: string, options: { owned: boolean }): void {
    localStorage.setItem(TOKEN_KEY, token);
    if (options.owned) localStorage.setItem(OWNED_KEY, 'yes');
    else localStorage.removeItem(OWNED_KEY);
  },
  signOut(): void {
    localStorage.removeItem(TOKEN_KEY);
    localStorage.removeItem(OWNED_KEY);
    window.dispatchEvent(new Event('hangar:signed-out'));
  },
};

const bearer: Middleware = {
  onRequest({ request }) {
    const token = auth.token;
    if (token && !request.headers.has('authorization')) {
      request.headers.set('authorization', `Bearer ${token}`);
    }
    return request;
  },
  onResponse({ response }) {
    // A revoked or expired token: back to the sign-in page, keeping nothing stale.
    if (response.status === 401 && auth.token) auth.signOut();
    return response;
  },
};

/** The typed client for `/api/v1`: the same public API scripts and the CLI use. */
export const api = createClient<paths>({ baseUrl: window.location.origin });
api.use(bearer);

/** Turns a response's error body into an ApiError (or a generic one for a lost network). */
export function toApiError(error: unknown, response?: Response): ApiError {
  const body = (error as { error?: { code?: string; message?: string; details?: unknown } } | null)
    ?.error;
  const details = body?.details as { issues?: Issue[]; field?: string } | undefined;
  const issues =
    details?.issues ??
    (details?.field
      ? // The message names the field for those who read it alone; beside the field it need not.
        [{ path: details.field, message: (body?.message ?? '').replace(`${details.field}: `, '') }]
      : []);
  return new ApiError(
    response?.status ?? 0,
    body?.code ?? 'network',
    body?.message ?? 'The server could not be reached. Check that hangar serve is running.',
    issues,
  );
}

/** Any failure as an ApiError, so forms can show it the same way. */
export function asApiError(error: unknown): ApiError {
  return error instanceof ApiError ? error : new ApiError(0, 'client', String(error), []);
}

/** What an openapi-fetch call resolves to. */
export interface ApiResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The data of an openapi-fetch result, or its error thrown as an ApiError. */
export async function unwrap<T>(call: Promise<ApiResult<T>>): Promise<T> {
  let result: ApiResult<T>;
  try {
    result = await call;
  } catch {
    throw toApiError(null);
  }
  if (result.error !== undefined || result.data === undefined) {
    throw toApiError(result.error, result.response);
  }
  return result.data;
}
