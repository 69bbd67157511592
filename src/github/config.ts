import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseEnvVars } from '../env-vars.js';
import { ValidationError } from '../errors.js';

/** How Hangar reaches GitHub (github.com or a GitHub Enterprise Server). */
export interface GitHubConfig {
  /** HANGAR_GITHUB_URL: where repos live, `https://github.com` (no trailing slash). */
  webUrl: string;
  /** HANGAR_GITHUB_API_URL: the REST API, `https://api.github.com` or `https://HOST/api/v3`. */
  apiUrl: string;
  /** The GitHub App, when HANGAR_GITHUB_APP_ID and HANGAR_GITHUB_APP_PRIVATE_KEY are set. */
  app: GitHubAppConfig | undefined;
  /** HANGAR_GITHUB_TOKEN_LOGIN: whether users may connect their own token (default on). */
  tokenLogin: boolean;
  /**
   * HANGAR_GITHUB_SHARE_CHECK: before a viewer opens a session shared with them on a
   * GitHub repo, their own GitHub connection must read that repo (default on).
   */
  shareCheck: boolean;
  /** HANGAR_GITHUB_POLL_SECONDS: how often open pull requests are polled (0: never; default 60). */
  pollSeconds: number;
  /** HANGAR_AUTOFIX_MAX_PER_HOUR: automatic (auto-fix) turns per pull request per hour (default 3). */
  autofixMaxPerHour: number;
}

export interface GitHubAppConfig {
  /** HANGAR_GITHUB_APP_ID */
  id: number;
  /** HANGAR_GITHUB_APP_PRIVATE_KEY: the PEM itself (read from the file when a path was given). */
  privateKey: string;
  /** HANGAR_GITHUB_WEBHOOK_SECRET: checks the signature of webhook deliveries. */
  webhookSecret: string | undefined;
}

const httpUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
  .refine(
    (u) => URL.canParse(u) && !new URL(u).search && !new URL(u).hash,
    'must have no query or fragment',
  )
  .transform((u) => u.replace(/\/+$/, ''));

const Env = z.object({
  HANGAR_GITHUB_URL: httpUrl.default('https://github.com'),
  HANGAR_GITHUB_API_URL: httpUrl.default('https://api.github.com'),
  HANGAR_GITHUB_APP_ID: z
    .string()
    .regex(/^[0-9]{1,12}$/, 'must be the App ID, a number (the App settings page shows it)')
    .transform(Number)
    .optional(),
  HANGAR_GITHUB_APP_PRIVATE_KEY: z.string().min(1).optional(),
  HANGAR_GITHUB_WEBHOOK_SECRET: z.string().min(1).optional(),
  HANGAR_GITHUB_TOKEN_LOGIN: z
    .enum(['on', 'off'], { error: 'must be "on" or "off"' })
    .default('on'),
  HANGAR_GITHUB_SHARE_CHECK: z
    .enum(['on', 'off'], { error: 'must be "on" or "off"' })
    .default('on'),
  HANGAR_GITHUB_POLL_SECONDS: z
    .string()
    .regex(/^[0-9]{1,6}$/, 'must be a number of seconds (0: do not poll)')
    .transform(Number)
    .default(60),
  HANGAR_AUTOFIX_MAX_PER_HOUR: z
    .string()
    .regex(/^[0-9]{1,4}$/, 'must be a number of turns (0: auto-fix never wakes an agent)')
    .transform(Number)
    .default(3),
});

/** Reads GitHub's settings from the server's environment, naming a wrong variable. */
export function githubConfigFrom(env: NodeJS.ProcessEnv): GitHubConfig {
  const vars = parseEnvVars(Env, env);
  const hasId = vars.HANGAR_GITHUB_APP_ID !== undefined;
  const hasKey = vars.HANGAR_GITHUB_APP_PRIVATE_KEY !== undefined;
  if (hasId !== hasKey) {
    throw new ValidationError(
      'a GitHub App needs both HANGAR_GITHUB_APP_ID and HANGAR_GITHUB_APP_PRIVATE_KEY',
      hasId ? 'HANGAR_GITHUB_APP_PRIVATE_KEY' : 'HANGAR_GITHUB_APP_ID',
    );
  }
  return {
    webUrl: vars.HANGAR_GITHUB_URL,
    apiUrl: vars.HANGAR_GITHUB_API_URL,
    app:
      vars.HANGAR_GITHUB_APP_ID !== undefined && vars.HANGAR_GITHUB_APP_PRIVATE_KEY !== undefined
        ? {
            id: vars.HANGAR_GITHUB_APP_ID,
            privateKey: readPrivateKey(vars.HANGAR_GITHUB_APP_PRIVATE_KEY),
            webhookSecret: vars.HANGAR_GITHUB_WEBHOOK_SECRET,
          }
        : undefined,
    tokenLogin: vars.HANGAR_GITHUB_TOKEN_LOGIN === 'on',
    shareCheck: vars.HANGAR_GITHUB_SHARE_CHECK === 'on',
    pollSeconds: vars.HANGAR_GITHUB_POLL_SECONDS,
    autofixMaxPerHour: vars.HANGAR_AUTOFIX_MAX_PER_HOUR,
  };
}

/** The App's key: the PEM itself (`\n` escapes allowed, as one-line env files need), or a path. */
function readPrivateKey(value: string): string {
  const pem = value.includes('-----BEGIN') ? value.replaceAll('\\n', '\n') : readKeyFile(value);
  if (!/-----BEGIN (RSA )?PRIVATE KEY-----/.test(pem)) {
    throw new ValidationError(
      'is not a PEM private key (the .pem file GitHub gives when you generate one, or its path)',
      'HANGAR_GITHUB_APP_PRIVATE_KEY',
    );
  }
  return pem;
}

function readKeyFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ValidationError(
      `cannot read the key file ${JSON.stringify(path)} (${code}): give the PEM or a readable path`,
      'HANGAR_GITHUB_APP_PRIVATE_KEY',
    );
  }
}
