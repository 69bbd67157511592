import type { IncomingMessage, ServerResponse } from 'node:http';
import { ValidationError } from '../errors.js';
import { forwardHeaders, requestUpstream } from './http-util.js';
import { UsageReader, type LimitReached, type ModelUsage } from './model-usage.js';

/** Where `/model/anthropic/…` goes, with the key that only the host holds. */
export interface ModelUpstream {
  baseUrl: URL;
  apiKey: string | undefined;
}

export const DEFAULT_ANTHROPIC_BASE_URL = 'https://api.anthropic.com';

/** The placeholder a sandbox holds instead of the key; the gateway replaces it. */
export const PLACEHOLDER_API_KEY = 'hangar-placeholder-key';

/** Reads ANTHROPIC_BASE_URL and ANTHROPIC_API_KEY from the server's environment. */
export function modelUpstreamFrom(env: NodeJS.ProcessEnv): ModelUpstream {
  const raw = env.ANTHROPIC_BASE_URL || DEFAULT_ANTHROPIC_BASE_URL;
  let baseUrl: URL;
  try {
    baseUrl = new URL(raw);
  } catch {
    throw new ValidationError(`"${raw}" is not a URL`, 'ANTHROPIC_BASE_URL');
  }
  if (baseUrl.protocol !== 'http:' && baseUrl.protocol !== 'https:') {
    throw new ValidationError(`"${raw}" must be an http:// or https:// URL`, 'ANTHROPIC_BASE_URL');
  }
  return { baseUrl, apiKey: env.ANTHROPIC_API_KEY || undefined };
}

/**
 * Whether the server has no way to authenticate to the model API: no ANTHROPIC_API_KEY
 * while ANTHROPIC_BASE_URL is Anthropic's own. Another upstream (a stand-in such as the
 * scripted model server, or a proxy that adds its own key) is used without a key.
 */
export function missingModelKey(upstream: ModelUpstream): boolean {
  return !upstream.apiKey && upstream.baseUrl.origin === new URL(DEFAULT_ANTHROPIC_BASE_URL).origin;
}

/** Credentials a sandbox might send, dropped so only the injected key reaches upstream. */
const CREDENTIAL_HEADERS = ['host', 'x-api-key', 'authorization', 'cookie'];

/**
 * What an agent needs of the model API, and nothing else: the Messages API, token
 * counting, the model list, and the reachability check an agent sends as it starts
 * (`HEAD /api/hello`). Files, batches, admin and organization routes are refused: a
 * sandbox must not use the server's key for them.
 */
const MODEL_ROUTES: readonly { method: string; path: RegExp }[] = [
  { method: 'POST', path: /^\/v1\/messages$/ },
  { method: 'POST', path: /^\/v1\/messages\/count_tokens$/ },
  { method: 'GET', path: /^\/v1\/models$/ },
  { method: 'GET', path: /^\/v1\/models\/[A-Za-z0-9._:@-]{1,200}$/ },
  { method: 'HEAD', path: /^\/api\/hello$/ },
  { method: 'GET', path: /^\/api\/hello$/ },
];

/** Whether `method path` (below `/model/<provider>`) is a route the gateway forwards. */
export function isModelRoute(method: string, path: string): boolean {
  return MODEL_ROUTES.some((route) => route.method === method && route.path.test(path));
}

/** A generation: the requests that are counted and limited. */
const isGeneration = (method: string, path: string) => method === 'POST' && path === '/v1/messages';

/**
 * Counts one sandbox's model use and applies the operator's limits (per session, per
 * user and day); backed by the store in the server, absent in `hangar sandbox run`.
 */
export interface ModelMeter {
  /** Before a generation goes out: the limit reached, if one is. */
  admit(): Promise<LimitReached | undefined>;
  /** Once per forwarded generation, when its response has ended or was cut short. */
  record(usage: ModelUsage): void;
}

/** Anthropic's error types for the statuses the gateway answers itself. */
const ERROR_TYPES = {
  400: 'invalid_request_error',
  403: 'permission_error',
  404: 'not_found_error',
  429: 'rate_limit_error',
  502: 'api_error',
  503: 'api_error',
} as const;

/**
 * A refusal in the shape of Anthropic's errors (`{"type":"error","error":{type,
 * message}}`), so the agent shows the reason as it would an API error; the reason
 * code also goes in X-Hangar-Deny-Reason (X-Hangar-Limit for 429).
 */
function refuseModel(
  res: ServerResponse,
  status: keyof typeof ERROR_TYPES,
  code: string,
  message: string,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ type: 'error', error: { type: ERROR_TYPES[status], message } });
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
    [status === 429 ? 'X-Hangar-Limit' : 'X-Hangar-Deny-Reason']: code,
    Connection: 'close',
  });
  res.end(body);
}

/**
 * `/model/<provider>/<rest>`: forwards the routes an agent needs to the provider's
 * upstream with the real key injected; refuses every other route with 403. Responses
 * stream through as they arrive (SSE is never buffered); a generation's usage is read
 * on the way and handed to the meter. Allowed at every network level: the agent
 * cannot work without it.
 */
export async function handleModel(
  upstreams: Readonly<Record<string, ModelUpstream | undefined>>,
  meter: ModelMeter | undefined,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const match = /^\/model\/([a-z0-9-]+)(\/[^?#]*)?(\?.*)?$/.exec(req.url ?? '');
  const provider = match?.[1];
  const upstream = provider === undefined ? undefined : upstreams[provider];
  if (!match || !upstream) {
    refuseModel(
      res,
      404,
      'unknown-model-provider',
      `Hangar: no model provider at ${req.url ?? ''}; use /model/anthropic/…`,
    );
    return;
  }
  const rest = match[2] ?? '';
  const method = req.method ?? 'GET';
  if (!isModelRoute(method, rest)) {
    refuseModel(
      res,
      403,
      'model-route-not-allowed',
      `Hangar: ${method} ${rest || '/'} is not forwarded to the model API; a sandbox may use only the Messages API (POST /v1/messages, POST /v1/messages/count_tokens) and GET /v1/models.`,
    );
    return;
  }
  if (missingModelKey(upstream)) {
    // A 4xx, not a 503: the agent does not retry it for minutes, nor calls it temporary.
    refuseModel(
      res,
      403,
      'no-model-key',
      'Hangar: this Hangar server has no model key, so no agent can reach the model. Ask its operator to set ANTHROPIC_API_KEY where `hangar serve` runs and restart it.',
    );
    return;
  }
  const metered = meter && isGeneration(method, rest) ? meter : undefined;
  if (metered) {
    let reached: LimitReached | undefined;
    try {
      reached = await metered.admit();
    } catch {
      refuseModel(res, 503, 'usage-unavailable', 'Hangar: model usage could not be read; retry.');
      return;
    }
    if (reached) {
      refuseModel(res, 429, reached.limit, `Hangar: ${reached.message}.`);
      return;
    }
  }
  const base = upstream.baseUrl;
  const forward = requestUpstream(
    base,
    method,
    `${base.pathname.replace(/\/+$/, '')}${rest}${match[3] ?? ''}`,
    {
      ...forwardHeaders(req.headers, CREDENTIAL_HEADERS),
      host: base.host,
      ...(upstream.apiKey ? { 'x-api-key': upstream.apiKey } : {}),
    },
  );
  let reader: UsageReader | undefined;
  let recorded = false;
  const record = () => {
    if (!metered || recorded) return;
    recorded = true;
    metered.record({ requests: 1, ...(reader?.finish() ?? { inputTokens: 0, outputTokens: 0 }) });
  };
  forward.on('response', (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.statusMessage, forwardHeaders(answer.headers));
    res.flushHeaders();
    if (metered) {
      const usage = new UsageReader(answer.headers['content-type']);
      reader = usage;
      answer.on('data', (chunk: Buffer) => usage.push(chunk));
    }
    answer.pipe(res);
  });
  forward.on('error', (error: NodeJS.ErrnoException) =>
    refuseModel(
      res,
      502,
      'model-upstream-failed',
      `Hangar could not reach the model API at ${base.host} (${error.code ?? error.message}).`,
    ),
  );
  res.on('close', () => {
    forward.destroy();
    record();
  });
  req.pipe(forward);
}
