import type { components, paths } from '../api/schema.js';
import { createApiHttp, type Answer, type ApiHttp } from './api-http.js';
import type { Credentials } from './credentials.js';
import { CliError } from './errors.js';

/** The API's bodies, as the server's OpenAPI document describes them. */
export type Schemas = components['schemas'];

/** The JSON a `GET` of `P` answers with when it succeeds. */
export type GetAnswer<P extends keyof paths> = paths[P] extends {
  get: { responses: { 200: { content: { 'application/json': infer T } } } };
}
  ? T
  : never;

/** What an openapi-fetch call resolves to. */
interface ApiResult<T> {
  data?: T;
  error?: unknown;
  response: Answer;
}

/**
 * The public `/api/v1` API, typed from the server's OpenAPI document (`http`), with
 * the token sent on every request. `data()` turns a failed call into a CliError that
 * keeps the server's words and its error `code`.
 */
export class ApiClient {
  readonly http: ApiHttp;

  constructor(private readonly credentials: Pick<Credentials, 'server' | 'token'>) {
    this.http = createApiHttp(credentials.server, {
      authorization: `Bearer ${credentials.token}`,
    });
  }

  get server(): string {
    return this.credentials.server;
  }

  /** For git, which talks to the server itself (teleport's fetch). */
  get token(): string {
    return this.credentials.token;
  }

  /** The data of a call, or its failure as a CliError: the server's message and code. */
  async data<T>(call: Promise<ApiResult<T>>): Promise<T> {
    let result: ApiResult<T>;
    try {
      result = await call;
    } catch (error) {
      throw this.unreachable(error);
    }
    if (result.response.ok && result.data !== undefined) return result.data;
    throw errorFrom(result.response, result.error);
  }

  private unreachable(error: unknown): CliError {
    const cause = error instanceof Error ? `: ${error.message}` : '';
    return new CliError(
      `Cannot reach Hangar at ${this.credentials.server}${cause}.`,
      ['Is `hangar serve` running there? Check HANGAR_SERVER or `hangar login`.'],
      'unreachable',
    );
  }
}

/** `details.issues` of a validation error, as the server lists them. */
interface Issue {
  path: string;
  message: string;
}

function errorFrom(response: Answer, body: unknown): CliError {
  const status = response.status;
  const error = (body as Partial<Schemas['Error']> | null | undefined)?.error;
  const message = error?.message ?? `The server answered ${status}.`;
  const issues = (error?.details as { issues?: Issue[] } | undefined)?.issues ?? [];
  const lines = issues.length > 1 ? issues.map((issue) => `${issue.path}: ${issue.message}`) : [];
  if (status === 401) lines.push('Log in again with `hangar login --server URL --token TOKEN`.');
  const retry = retryLine(response.headers.get('retry-after'), new Date());
  if (status === 429 && retry) lines.push(retry);
  // Not one of our JSON errors (a proxy's HTML page, say): the status stands for the code.
  return new CliError(message, lines, error?.code ?? `http_${status}`);
}

/** A 429's `Retry-After` (seconds) as when to try again, in this machine's time. */
export function retryLine(header: string | null, now: Date): string | undefined {
  if (header === null || !/^[0-9]+$/.test(header)) return undefined;
  const at = new Date(now.getTime() + Number(header) * 1000);
  const sameDay = at.toDateString() === now.toDateString();
  const time = at.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return `Try again after ${sameDay ? time : `${at.toLocaleDateString()} ${time}`} (in ${header} s).`;
}
