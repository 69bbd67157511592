/**
 * The model APIs the gateway forwards, as wire protocols: which routes an agent may
 * use, how the host's key is sent, what a refusal looks like to the agent, and where a
 * generation's usage is. Pure data and functions; `model-gateway.ts` is the mechanism.
 */

/** How a response reports usage: the Messages API's events or the Responses API's. */
export type UsageFormat = 'anthropic' | 'openai';

export interface ModelApi {
  /** The server's variable holding the key, which never leaves the host. */
  keyVar: string;
  /** The server's variable naming the upstream, and its default. */
  baseUrlVar: string;
  defaultBaseUrl: string;
  /** The routes (below `/model/<provider>`) an agent needs; every other is refused. */
  routes: readonly { method: string; path: RegExp }[];
  /** The routes a person reads in a refusal. */
  routesText: string;
  /** The requests that generate, and are counted and limited. */
  isGeneration(method: string, path: string): boolean;
  /** The upstream path of `path`, below the base URL. */
  upstreamPath(path: string): string;
  /** The headers that carry the key upstream. */
  authHeaders(key: string): Record<string, string>;
  /** A refusal's body, in the shape the agent shows as an API error. */
  errorBody(status: RefusalStatus, message: string): string;
  usage: UsageFormat;
}

/** The statuses the gateway answers itself. */
export type RefusalStatus = 400 | 403 | 404 | 429 | 502 | 503;

const ANTHROPIC_ERROR_TYPES: Record<RefusalStatus, string> = {
  400: 'invalid_request_error',
  403: 'permission_error',
  404: 'not_found_error',
  429: 'rate_limit_error',
  502: 'api_error',
  503: 'api_error',
};

/**
 * Anthropic's Messages API: messages, token counting, the model list, and the
 * reachability check Claude Code sends as it starts (`HEAD /api/hello`).
 */
export const ANTHROPIC_API: ModelApi = {
  keyVar: 'ANTHROPIC_API_KEY',
  baseUrlVar: 'ANTHROPIC_BASE_URL',
  defaultBaseUrl: 'https://api.anthropic.com',
  routes: [
    { method: 'POST', path: /^\/v1\/messages$/ },
    { method: 'POST', path: /^\/v1\/messages\/count_tokens$/ },
    { method: 'GET', path: /^\/v1\/models$/ },
    { method: 'GET', path: /^\/v1\/models\/[A-Za-z0-9._:@-]{1,200}$/ },
    { method: 'HEAD', path: /^\/api\/hello$/ },
    { method: 'GET', path: /^\/api\/hello$/ },
  ],
  routesText:
    'the Messages API (POST /v1/messages, POST /v1/messages/count_tokens) and GET /v1/models',
  isGeneration: (method, path) => method === 'POST' && path === '/v1/messages',
  upstreamPath: (path) => path,
  authHeaders: (key) => ({ 'x-api-key': key }),
  errorBody: (status, message) =>
    JSON.stringify({ type: 'error', error: { type: ANTHROPIC_ERROR_TYPES[status], message } }),
  usage: 'anthropic',
};

const OPENAI_ERROR_TYPES: Record<RefusalStatus, string> = {
  400: 'invalid_request_error',
  403: 'permission_error',
  404: 'not_found_error',
  429: 'rate_limit_exceeded',
  502: 'server_error',
  503: 'server_error',
};

/**
 * OpenAI's Responses API (`POST /v1/responses`, what Codex and opencode's OpenAI
 * models use) and the model list. Files, batches, fine-tuning, assistants and the
 * admin routes are refused.
 */
export const OPENAI_API: ModelApi = {
  keyVar: 'OPENAI_API_KEY',
  baseUrlVar: 'OPENAI_BASE_URL',
  defaultBaseUrl: 'https://api.openai.com/v1',
  routes: [
    { method: 'POST', path: /^\/v1\/responses$/ },
    { method: 'GET', path: /^\/v1\/models$/ },
    { method: 'GET', path: /^\/v1\/models\/[A-Za-z0-9._:@-]{1,200}$/ },
  ],
  routesText: 'the Responses API (POST /v1/responses) and GET /v1/models',
  isGeneration: (method, path) => method === 'POST' && path === '/v1/responses',
  // OPENAI_BASE_URL ends in /v1, as OpenAI's SDKs take it.
  upstreamPath: (path) => path.replace(/^\/v1(?=\/)/, ''),
  authHeaders: (key) => ({ authorization: `Bearer ${key}` }),
  errorBody: (status, message) =>
    JSON.stringify({
      error: { message, type: OPENAI_ERROR_TYPES[status], param: null, code: null },
    }),
  usage: 'openai',
};
