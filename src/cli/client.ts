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
    const url = `${this.credentials.server}/api/v1${path}`;
    const headers: Record<string, string> = { authorization: `Bearer ${this.credentials.token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        method,
        headers,
        body: body === undefined ? null : JSON.stringify(body),
      });
    } catch (error) {
      const cause =
        error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
      throw new CliError(`Cannot reach Hangar at ${this.credentials.server}${cause}.`, [
        'Is `hangar serve` running there? Check HANGAR_SERVER or `hangar login`.',
      ]);
    }
    const text = await response.text();
    if (response.ok) return (text ? JSON.parse(text) : undefined) as T;
    throw errorFrom(response.status, text);
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
