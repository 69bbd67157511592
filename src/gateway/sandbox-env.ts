import { PLACEHOLDER_API_KEY } from './model-gateway.js';

/**
 * The variables a sandbox needs to use its gateway at `address` (`127.0.0.1:<port>`):
 * proxy variables in both spellings (curl, npm, pip, apt and git read one or the
 * other), NO_PROXY covering only loopback so the model and git routes are reached
 * directly, and the model gateway's URLs with a placeholder key, never the real one
 * (OpenAI's in the form its SDKs take, ending in /v1).
 */
export function sandboxEnv(address: string): Record<string, string> {
  const proxy = `http://${address}`;
  const local = 'localhost,127.0.0.1,::1';
  return {
    HTTP_PROXY: proxy,
    HTTPS_PROXY: proxy,
    http_proxy: proxy,
    https_proxy: proxy,
    NO_PROXY: local,
    no_proxy: local,
    // Node's own fetch reads the proxy variables only when asked (Node ≥ 22.21, 24).
    NODE_USE_ENV_PROXY: '1',
    ANTHROPIC_BASE_URL: `${proxy}/model/anthropic`,
    ANTHROPIC_API_KEY: PLACEHOLDER_API_KEY,
    OPENAI_BASE_URL: `${proxy}/model/openai/v1`,
    OPENAI_API_KEY: PLACEHOLDER_API_KEY,
    // Where Hangar's own tools in the sandbox reach the gateway (its /github/ route).
    HANGAR_GATEWAY_URL: proxy,
  };
}

/** The URL a sandbox clones `host/owner/repo` from, through its git proxy. */
export function gitProxyUrl(address: string, repo: string): string {
  return `http://${address}/git/${repo}.git`;
}
