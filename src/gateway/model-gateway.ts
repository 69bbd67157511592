import type { IncomingMessage, ServerResponse } from 'node:http';
import { ValidationError } from '../errors.js';
import { forwardHeaders, requestUpstream } from './http-util.js';
import { ANTHROPIC_API, OPENAI_API, type ModelApi, type RefusalStatus } from './model-apis.js';
import { UsageReader, type LimitReached, type ModelUsage } from './model-usage.js';

/** Where `/model/<provider>/…` goes, with the key that only the host holds. */
export interface ModelUpstream {
  baseUrl: URL;
  apiKey: string | undefined;
  /** The provider's wire API (default: Anthropic's Messages API). */
  api?: ModelApi;
}

export const DEFAULT_ANTHROPIC_BASE_URL = ANTHROPIC_API.defaultBaseUrl;

/** The placeholder a sandbox holds instead of the key; the gateway replaces it. */
export const PLACEHOLDER_API_KEY = 'hangar-placeholder-key';

/**
 * Reads the upstream of `api` from the server's environment: its base URL variable
 * (ANTHROPIC_BASE_URL, OPENAI_BASE_URL) and its key (ANTHROPIC_API_KEY, OPENAI_API_KEY).
 */
export function modelUpstreamFrom(
  env: NodeJS.ProcessEnv,
  api: ModelApi = ANTHROPIC_API,
): ModelUpstream {
  const raw = env[api.baseUrlVar] || api.defaultBaseUrl;
  let baseUrl: URL;
  try {
    baseUrl = new URL(raw);
  } catch {
    throw new ValidationError(`"${raw}" is not a URL`, api.baseUrlVar);
  }
  if (baseUrl.protocol !== 'http:' && baseUrl.protocol !== 'https:') {
    throw new ValidationError(`"${raw}" must be an http:// or https:// URL`, api.baseUrlVar);
  }
  return { baseUrl, apiKey: env[api.keyVar] || undefined, api };
}

/** Every provider the gateway serves, from the server's environment. */
export function modelUpstreamsFrom(env: NodeJS.ProcessEnv): Record<string, ModelUpstream> {
  return {
    anthropic: modelUpstreamFrom(env, ANTHROPIC_API),
    openai: modelUpstreamFrom(env, OPENAI_API),
  };
}

/**
 * Whether the server has no way to authenticate to the model API: no key
 * (ANTHROPIC_API_KEY, OPENAI_API_KEY) while the base URL is the provider's own. Another
 * upstream (a stand-in such as the scripted model server, or a proxy that adds its own
 * key) is used without a key.
 */
export function missingModelKey(upstream: ModelUpstream): boolean {
  const api = upstream.api ?? ANTHROPIC_API;
  return !upstream.apiKey && upstream.baseUrl.origin === new URL(api.defaultBaseUrl).origin;
}

/** Credentials a sandbox might send, dropped so only the injected key reaches upstream. */
const CREDENTIAL_HEADERS = ['host', 'x-api-key', 'authorization', 'cookie'];

/** Whether `method path` (below `/model/<provider>`) is a route the gateway forwards for `api`. */
export function isModelRoute(method: string, path: string, api: ModelApi = ANTHROPIC_API): boolean {
  return api.routes.some((route) => route.method === method && route.path.test(path));
}

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

/**
 * A refusal in the shape of the provider's errors, so the agent shows the reason as
 * it would an API error; the reason code also goes in X-Hangar-Deny-Reason
 * (X-Hangar-Limit for 429).
 */
function refuseModel(
  res: ServerResponse,
  api: ModelApi,
  status: RefusalStatus,
  code: string,
  message: string,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = api.errorBody(status, message);
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
      ANTHROPIC_API,
      404,
      'unknown-model-provider',
      `Hangar: no model provider at ${req.url ?? ''}; use /model/${Object.keys(upstreams).join('/… or /model/')}/…`,
    );
    return;
  }
  const api = upstream.api ?? ANTHROPIC_API;
  const rest = match[2] ?? '';
  const method = req.method ?? 'GET';
  if (!isModelRoute(method, rest, api)) {
    refuseModel(
      res,
      api,
      403,
      'model-route-not-allowed',
      `Hangar: ${method} ${rest || '/'} is not forwarded to the model API; a sandbox may use only ${api.routesText}.`,
    );
    return;
  }
  if (missingModelKey(upstream)) {
    // A 4xx, not a 503: the agent does not retry it for minutes, nor calls it temporary.
    refuseModel(
      res,
      api,
      403,
      'no-model-key',
      `Hangar: this Hangar server has no model key, so no agent can reach the model. Ask its operator to set ${api.keyVar} where \`hangar serve\` runs and restart it.`,
    );
    return;
  }
  const metered = meter && api.isGeneration(method, rest) ? meter : undefined;
  if (metered) {
    let reached: LimitReached | undefined;
    try {
      reached = await metered.admit();
    } catch {
      refuseModel(
        res,
        api,
        503,
        'usage-unavailable',
        'Hangar: model usage could not be read; retry.',
      );
      return;
    }
    if (reached) {
      refuseModel(res, api, 429, reached.limit, `Hangar: ${reached.message}.`);
      return;
    }
  }
  const base = upstream.baseUrl;
  const forward = requestUpstream(
    base,
    method,
    `${base.pathname.replace(/\/+$/, '')}${api.upstreamPath(rest)}${match[3] ?? ''}`,
    {
      ...forwardHeaders(req.headers, CREDENTIAL_HEADERS),
      host: base.host,
      ...(upstream.apiKey ? api.authHeaders(upstream.apiKey) : {}),
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
      const usage = new UsageReader(answer.headers['content-type'], api.usage);
      reader = usage;
      answer.on('data', (chunk: Buffer) => usage.push(chunk));
    }
    answer.pipe(res);
  });
  forward.on('error', (error: NodeJS.ErrnoException) =>
    refuseModel(
      res,
      api,
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
