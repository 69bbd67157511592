import type { Octokit } from '@octokit/rest';
import type { GitHubAppConfig, GitHubConfig } from './config.js';
import { appClient, githubClient, statusOf, unexpected } from './client.js';
import { GitHubAppAuthError, GitHubAppPermissionsError } from './errors.js';

/** What a session's installation token may do: its repo's code, PRs and issues; read CI. */
export const SESSION_PERMISSIONS = {
  contents: 'write',
  pull_requests: 'write',
  issues: 'write',
  checks: 'read',
  statuses: 'read',
  // Auto-fix reads a failing GitHub Actions job's log.
  actions: 'read',
} as const;

/** An installation token limited to one repository. */
export interface InstallationToken {
  token: string;
  expiresAt: Date;
  permissions: Record<string, string | undefined>;
}

/** A token is replaced this long before it expires, so no git request meets an expired one. */
export const REFRESH_BEFORE_MS = 10 * 60 * 1000;

/**
 * The GitHub App's side of Hangar: which installation covers a repo, and installation
 * tokens limited to that one repo and SESSION_PERMISSIONS, cached per repo and minted
 * again before they expire.
 */
export class AppTokens {
  private readonly client: Octokit;
  private readonly cache = new Map<string, Promise<InstallationToken>>();
  private slugPromise: Promise<string> | undefined;

  constructor(
    private readonly config: Pick<GitHubConfig, 'apiUrl' | 'webUrl'>,
    app: GitHubAppConfig,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.client = appClient(config, app);
  }

  /** The installation covering `owner/repo`, or undefined when the App is not installed there. */
  async installationFor(owner: string, repo: string): Promise<number | undefined> {
    try {
      const found = await this.client.rest.apps.getRepoInstallation({ owner, repo });
      return found.data.id;
    } catch (error) {
      const status = statusOf(error);
      if (status === 404) return undefined;
      throw this.failure(error, `finding the App's installation on ${owner}/${repo}`);
    }
  }

  /** Where an owner installs the App (its public page), for error messages. */
  async installUrl(): Promise<string> {
    this.slugPromise ??= this.client.rest.apps.getAuthenticated().then(
      (answer) => answer.data?.slug ?? String(answer.data?.id),
      (error: unknown) => {
        this.slugPromise = undefined;
        throw this.failure(error, 'reading the App');
      },
    );
    return `${this.config.webUrl}/apps/${await this.slugPromise}/installations/new`;
  }

  /** A token for `owner/repo` alone, with the session's permissions; cached until near expiry. */
  async tokenFor(owner: string, repo: string, installationId: number): Promise<InstallationToken> {
    const key = `${installationId}/${owner}/${repo}`;
    const cached = this.cache.get(key);
    if (cached) {
      const token = await cached.catch(() => undefined);
      if (token && token.expiresAt.getTime() - this.clock().getTime() > REFRESH_BEFORE_MS) {
        return token;
      }
      if (this.cache.get(key) !== cached) return this.tokenFor(owner, repo, installationId);
    }
    const minted = this.mint(owner, repo, installationId);
    this.cache.set(key, minted);
    minted.catch(() => {
      if (this.cache.get(key) === minted) this.cache.delete(key);
    });
    return minted;
  }

  /**
   * What `list` finds with each installation's token (read-only, metadata alone): the
   * repos the App can reach, for the repo picker.
   */
  async listRepos<T>(list: (client: Octokit) => Promise<T[]>): Promise<T[]> {
    try {
      const installations = await this.client.paginate(this.client.rest.apps.listInstallations, {
        per_page: 100,
      });
      const found: T[] = [];
      for (const installation of installations) {
        const minted = await this.client.rest.apps.createInstallationAccessToken({
          installation_id: installation.id,
          permissions: { metadata: 'read' },
        });
        found.push(...(await list(githubClient(this.config, minted.data.token))));
      }
      return found;
    } catch (error) {
      throw this.failure(error, "listing the App's repositories");
    }
  }

  /** Drops a cached token GitHub refused, so the next use mints a new one. */
  forget(owner: string, repo: string, installationId: number): void {
    this.cache.delete(`${installationId}/${owner}/${repo}`);
  }

  private async mint(owner: string, repo: string, installationId: number) {
    try {
      const answer = await this.client.rest.apps.createInstallationAccessToken({
        installation_id: installationId,
        repositories: [repo],
        permissions: SESSION_PERMISSIONS,
      });
      return {
        token: answer.data.token,
        expiresAt: new Date(answer.data.expires_at),
        permissions: { ...answer.data.permissions },
      };
    } catch (error) {
      if (statusOf(error) === 422) {
        const reason = error instanceof Error ? error.message.split(' - ')[0] : 'refused';
        throw new GitHubAppPermissionsError(`${owner}/${repo}`, reason ?? 'refused');
      }
      throw this.failure(error, `minting a token for ${owner}/${repo}`);
    }
  }

  private failure(error: unknown, what: string) {
    const status = statusOf(error);
    if (status === 401) return new GitHubAppAuthError(`${what}: HTTP 401`);
    return unexpected(error, what);
  }
}
