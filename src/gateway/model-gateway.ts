import type { IncomingMessage, ServerResponse } from 'node:http';
import { ValidationError } from '../errors.js';
import { forwardHeaders, refuse, requestUpstream } from './http-util.js';

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

/** Credentials a sandbox might send, dropped so only the injected key reaches upstream. */
const CREDENTIAL_HEADERS = ['host', 'x-api-key', 'authorization', 'cookie'];

/**
 * `/model/<provider>/<rest>`: forwards to the provider's upstream with the real key
 * injected. Responses stream through as they arrive (SSE is never buffered). Allowed
 * at every network level: the agent cannot work without it.
 */
export function handleModel(
  upstreams: Readonly<Record<string, ModelUpstream | undefined>>,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  const match = /^\/model\/([a-z0-9-]+)(\/[^?#]*)?(\?.*)?$/.exec(req.url ?? '');
  const provider = match?.[1];
  const upstream = provider === undefined ? undefined : upstreams[provider];
  if (!match || !upstream) {
    refuse(res, {
      status: 404,
      code: 'unknown-model-provider',
      message: `Hangar: no model provider at ${req.url ?? ''}; use /model/anthropic/…`,
    });
    return;
  }
  const rest = match[2] ?? '';
  if (rest.split('/').some((segment) => /^(\.|%2e){1,2}$/i.test(segment))) {
    refuse(res, {
      status: 400,
      code: 'bad-path',
      message: 'Hangar: the model path has a "." or ".." segment.',
    });
    return;
  }
  if (!upstream.apiKey) {
    refuse(res, {
      status: 503,
      code: 'no-model-key',
      message: 'Hangar: the server has no ANTHROPIC_API_KEY; set it where Hangar runs.',
    });
    return;
  }
  const base = upstream.baseUrl;
  const forward = requestUpstream(
    base,
    req.method,
    `${base.pathname.replace(/\/+$/, '')}${rest}${match[3] ?? ''}`,
    {
      ...forwardHeaders(req.headers, CREDENTIAL_HEADERS),
      host: base.host,
      'x-api-key': upstream.apiKey,
    },
  );
  forward.on('response', (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.statusMessage, forwardHeaders(answer.headers));
    res.flushHeaders();
    answer.pipe(res);
  });
  forward.on('error', (error: NodeJS.ErrnoException) =>
    refuse(res, {
      status: 502,
      code: 'model-upstream-failed',
      message: `Hangar could not reach the model API at ${base.host} (${error.code ?? error.message}).`,
    }),
  );
  res.on('close', () => forward.destroy());
  req.pipe(forward);
}
