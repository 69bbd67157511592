import { createAppAuth } from '@octokit/auth-app';
import { Octokit } from '@octokit/rest';
import type { GitHubAppConfig, GitHubConfig } from './config.js';
import { GitHubUnavailableError } from './errors.js';

// Octokit logs each failed request itself; Hangar reports failures as its own errors.
const QUIET = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** A REST client for the configured GitHub (its API URL: github.com or an Enterprise Server). */
export function githubClient(config: Pick<GitHubConfig, 'apiUrl'>, token?: string): Octokit {
  return new Octokit({
    baseUrl: config.apiUrl,
    userAgent: 'hangar',
    log: QUIET,
    ...(token === undefined ? {} : { auth: token }),
  });
}

/** A client that is the GitHub App itself (a JWT signed with its private key per request). */
export function appClient(config: Pick<GitHubConfig, 'apiUrl'>, app: GitHubAppConfig): Octokit {
  return new Octokit({
    baseUrl: config.apiUrl,
    userAgent: 'hangar',
    log: QUIET,
    authStrategy: createAppAuth,
    auth: { appId: app.id, privateKey: app.privateKey },
  });
}

/** The HTTP status of an Octokit failure; undefined when GitHub never answered. */
export function statusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('status' in error)) return undefined;
  const { status } = error;
  // Octokit reports a failed fetch (no answer at all) as a 500 with no response.
  if (status === 500 && !('response' in error && error.response)) return undefined;
  return typeof status === 'number' ? status : undefined;
}

/** Turns an answer Hangar did not expect into GitHubUnavailableError, naming what failed. */
export function unexpected(error: unknown, what: string): GitHubUnavailableError {
  const status = statusOf(error);
  const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
  return new GitHubUnavailableError(
    `${what}: ${status === undefined ? 'no answer' : `HTTP ${status}`}${message ? ` — ${message}` : ''}`,
  );
}

/** Basic auth as GitHub takes a token over git's smart HTTP. */
export function gitAuthorization(token: string): string {
  return `Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`;
}
