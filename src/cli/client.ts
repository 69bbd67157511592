import type { Credentials } from './credentials.js';
import { CliError } from './errors.js';

interface ErrorBody {
  error?: {
    code?: string;
    message?: string;
    details?: { issues?: { path: string; message: string }[] };
  };
}

/** A thin client for the public `/api/v1` API; errors become CliErrors with the server's words. */
export class ApiClient {
  constructor(
    private readonly credentials: Pick<Credentials, 'server' | 'token'>,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  get server(): string {
    return this.credentials.server;
  }

  /** For git, which talks to the server itself (teleport's fetch). */
  get token(): string {
    return this.credentials.token;
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PATCH', path, body);
  }

  delete<T>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.send(method, path, {
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), contentType: 'application/json' }),
    });
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** An SSE stream of `path` (e.g. a session's events), as a successful Response. */
  stream(path: string, lastEventId?: number): Promise<Response> {
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (lastEventId !== undefined) headers['last-event-id'] = String(lastEventId);
    return this.send('GET', path, { headers });
  }

  /** Sends a request and answers the Response when it succeeded; a CliError otherwise. */
  async send(
    method: string,
    path: string,
    options: {
      body?: string | Uint8Array;
      contentType?: string;
      headers?: Record<string, string>;
    } = {},
  ): Promise<Response> {
    const url = `${this.credentials.server}/api/v1${path}`;
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.credentials.token}`,
      ...options.headers,
    };
    if (options.contentType) headers['content-type'] = options.contentType;
    let response: Response;
    try {
      response = await this.fetchImpl(url, { method, headers, body: options.body ?? null });
    } catch (error) {
      const cause =
        error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
      throw new CliError(`Cannot reach Hangar at ${this.credentials.server}${cause}.`, [
        'Is `hangar serve` running there? Check HANGAR_SERVER or `hangar login`.',
      ]);
    }
    if (response.ok) return response;
    throw errorFrom(response.status, await response.text());
  }
}

function errorFrom(status: number, text: string): CliError {
  let body: ErrorBody = {};
  try {
    body = JSON.parse(text) as ErrorBody;
  } catch {
    // not one of our JSON errors, e.g. a proxy's HTML page
  }
  const message = body.error?.message ?? `The server answered ${status}.`;
  const issues = body.error?.details?.issues ?? [];
  const lines = issues.length > 1 ? issues.map((issue) => `${issue.path}: ${issue.message}`) : [];
  if (status === 401) lines.push('Log in again with `hangar login --server URL --token TOKEN`.');
  return new CliError(message, lines);
}
