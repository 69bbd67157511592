import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import type {
  ClientPathsWithMethod,
  Client,
  FetchResponse,
  MaybeOptionalInit,
  ParseAs,
} from 'openapi-fetch';
import type { paths } from '../api/schema.js';

/**
 * The CLI's calls to the API, typed from the server's OpenAPI document the way
 * openapi-fetch types them, but sent with node:http. Node's fetch, Headers, Request and
 * Response load undici on first touch, about 120 ms of CPU: more than the rest of a
 * command like `hangar tasks` costs.
 */

/** What a call's `response` tells: enough to judge it, with the headers by name. */
export interface Answer {
  ok: boolean;
  status: number;
  headers: { get(name: string): string | null };
}

type Method = 'get' | 'put' | 'post' | 'delete' | 'patch';

type RequiredKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];

// As openapi-fetch: the options argument is required when the path has required params.
type InitParam<Init> =
  RequiredKeys<Init> extends never
    ? [(Init & { [key: string]: unknown })?]
    : [Init & { [key: string]: unknown }];

// One union member at a time, so data and error stay exclusive.
type WithAnswer<R> = R extends unknown ? Omit<R, 'response'> & { response: Answer } : never;

// The operation at method `M` of a path item (what openapi-fetch indexes as Paths[Path][M]).
type Operation<Item, M extends Method> = Item extends { [K in M]: infer O }
  ? O extends Record<string | number, unknown>
    ? O
    : never
  : never;

type CallOf<M extends Method> = <
  Path extends ClientPathsWithMethod<Client<paths>, M>,
  Init extends MaybeOptionalInit<paths[Path], M>,
>(
  url: Path,
  ...init: InitParam<Init>
) => Promise<WithAnswer<FetchResponse<Operation<paths[Path], M>, Init, `${string}/${string}`>>>;

/** `GET`, `POST`, … of the API, each path and body checked against the document. */
export interface ApiHttp {
  GET: CallOf<'get'>;
  PUT: CallOf<'put'>;
  POST: CallOf<'post'>;
  DELETE: CallOf<'delete'>;
  PATCH: CallOf<'patch'>;
}

/** The options a call reads (the subset of openapi-fetch's the CLI uses). */
interface CallOptions {
  params?: { path?: Record<string, unknown>; query?: Record<string, unknown> };
  body?: unknown;
  bodySerializer?: (body: unknown) => string | Uint8Array;
  headers?: Record<string, string>;
  parseAs?: ParseAs;
}

interface Result {
  data?: unknown;
  error?: unknown;
  response: Answer;
}

/** A client of the API at `baseUrl`, sending `headers` (the token) on every call. */
export function createApiHttp(baseUrl: string, headers: Record<string, string>): ApiHttp {
  const base = baseUrl.replace(/\/+$/, '');
  const call =
    (method: string) =>
    (path: string, options: CallOptions = {}): Promise<Result> =>
      send(method, base + urlPath(path, options.params), headers, options);
  // The generic signatures are checked at each call site; one function serves them all.
  return {
    GET: call('GET'),
    PUT: call('PUT'),
    POST: call('POST'),
    DELETE: call('DELETE'),
    PATCH: call('PATCH'),
  } as unknown as ApiHttp;
}

/** `/sessions/{id}` with its path params filled in and its query appended. */
function urlPath(path: string, params: CallOptions['params'] = {}): string {
  const filled = path.replace(/\{([^{}]+)\}/g, (_, name: string) =>
    encodeURIComponent(scalar(params.path?.[name])),
  );
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params.query ?? {})) {
    if (value === undefined || value === null) continue;
    for (const item of Array.isArray(value) ? (value as unknown[]) : [value])
      query.append(key, scalar(item));
  }
  const search = query.toString();
  return search ? `${filled}?${search}` : filled;
}

/** A path or query value as text; the document's params are strings, numbers and booleans. */
function scalar(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
    ? String(value)
    : '';
}

async function send(
  method: string,
  url: string,
  baseHeaders: Record<string, string>,
  options: CallOptions,
): Promise<Result> {
  const body =
    options.body === undefined
      ? undefined
      : options.bodySerializer
        ? options.bodySerializer(options.body)
        : JSON.stringify(options.body);
  const headers: Record<string, string> = {
    ...(body !== undefined && !options.bodySerializer
      ? { 'content-type': 'application/json' }
      : {}),
    ...baseHeaders,
    ...lowerKeys(options.headers ?? {}),
  };
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  const res = await request(new URL(url), { method, headers }, body);
  const status = res.statusCode ?? 0;
  const response: Answer = {
    ok: status >= 200 && status < 300,
    status,
    headers: { get: (name) => headerValue(res, name) },
  };
  if (status === 204 || method === 'HEAD' || res.headers['content-length'] === '0') {
    res.resume();
    return { data: undefined, error: undefined, response };
  }
  if (response.ok && options.parseAs === 'stream') {
    const { Readable } = await import('node:stream');
    return { data: Readable.toWeb(res), response };
  }
  const text = await readText(res);
  if (response.ok) {
    const parseAs = options.parseAs ?? 'json';
    return { data: parseAs === 'text' ? text : text ? JSON.parse(text) : undefined, response };
  }
  try {
    return { error: JSON.parse(text), response };
  } catch {
    return { error: text, response };
  }
}

async function request(
  url: URL,
  options: RequestOptions,
  body: string | Uint8Array | undefined,
): Promise<IncomingMessage> {
  // https (and TLS) only loads for an https server.
  const send = url.protocol === 'https:' ? (await import('node:https')).request : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, options, resolve);
    req.on('error', reject);
    req.end(body);
  });
}

async function readText(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function headerValue(res: IncomingMessage, name: string): string | null {
  const value = res.headers[name.toLowerCase()];
  return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
}

function lowerKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}
