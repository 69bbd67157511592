import type { Octokit } from '@octokit/rest';
import { ValidationError } from '../errors.js';
import type { GitUpstream } from '../gateway/git-proxy.js';
import { deleteGitHubToken, githubTokenOf, saveGitHubToken } from '../store/github-tokens.js';
import type { Db } from '../store/store.js';
import { AppTokens } from './app-tokens.js';
import { githubClient, gitAuthorization, statusOf, unexpected } from './client.js';
import type { GitHubConfig } from './config.js';
import {
  GitHubNoPushAccessError,
  GitHubNotConnectedError,
  GitHubRepoNotFoundError,
  GitHubShareRefusedError,
  GitHubTokenInvalidError,
} from './errors.js';
import type { GitHubRepoRef } from './repo-ref.js';
import { seal, unseal } from './secret-box.js';

/** How a user reaches GitHub: the server's App, their own token, or not at all. */
export interface GitHubStatus {
  connected: boolean;
  /** The GitHub login of the user's token (null with the App alone). */
  login: string | null;
  via: 'app' | 'token' | null;
}

/** A repo offered in the picker. */
export interface GitHubRepoSummary {
  fullName: string;
  private: boolean;
  defaultBranch: string;
  url: string;
  via: 'app' | 'token';
}

/** A credential for one repo, opened on the host only. */
export interface GitCredential {
  via: 'app' | 'token';
  /** The token, current (an App token is minted again before it expires). */
  token(): Promise<string>;
  /** GitHub refused the token: the next `token()` does not answer it from a cache. */
  forget?(): void;
}

/** What `resolveRepoAccess` found: the repo exists and this credential may push to it. */
export interface RepoAccess {
  repo: GitHubRepoRef & { defaultBranch: string; private: boolean };
  credential: GitCredential;
  /** Who pushes: the user's GitHub login, or the App. */
  actor: string;
}

export interface GitHubDeps {
  config: GitHubConfig;
  db: Db;
  /** The key sealing stored tokens (loaded on first use). */
  secretKey: () => Buffer;
  clock?: () => Date;
}

/** Hangar's GitHub: account connection, repo access checks and credentials. */
export interface GitHub {
  readonly config: GitHubConfig;
  status(userId: string): Promise<GitHubStatus>;
  /** Checks the token with GET /user, then stores it sealed; returns its login. */
  connectToken(userId: string, token: string): Promise<{ login: string }>;
  /** Forgets the user's token; false when there was none. */
  disconnect(userId: string): Promise<boolean>;
  /** Repos the user can start a session on whose name contains `query`. */
  listRepos(userId: string, query: string): Promise<GitHubRepoSummary[]>;
  /** Which credential reaches the repo; throws a named error saying what to do if none can push. */
  resolveRepoAccess(userId: string, ref: GitHubRepoRef): Promise<RepoAccess>;
  /**
   * Whether the user's own GitHub connection can read the repo (a shared session's
   * viewer); the answer is kept a few minutes. Throws GitHubShareRefusedError saying why not.
   */
  requireReadAccess(userId: string, ref: GitHubRepoRef): Promise<void>;
}

/** How long a viewer's access to a repo, or its lack, is kept before GitHub is asked again. */
export const READ_ACCESS_TTL_MS = 5 * 60_000;

/** The `Authorization` header git's smart HTTP needs for a credential. */
export async function gitAuthHeaders(credential: GitCredential): Promise<Record<string, string>> {
  return { authorization: gitAuthorization(await credential.token()) };
}

/**
 * The git proxy's upstream for a GitHub repo: its clone URL, with the credential added
 * on the host to each request (Basic `x-access-token`, as GitHub takes a token), so
 * the sandbox holds none.
 */
export function githubUpstream(access: RepoAccess): GitUpstream {
  return { url: access.repo.cloneUrl, credential: () => gitAuthHeaders(access.credential) };
}

const MAX_LISTED = 1000;
const PICKER_LIMIT = 50;
const LIST_TTL_MS = 60_000;

/** Builds the GitHub service from the server's configuration and store. */
export function createGitHub(deps: GitHubDeps): GitHub {
  const { config, db } = deps;
  const clock = deps.clock ?? (() => new Date());
  const app = config.app ? new AppTokens(config, config.app, clock) : undefined;
  const listed = new Map<string, { at: number; repos: Promise<GitHubRepoSummary[]> }>();
  /** `userId owner/repo` → when checked and the refusal, if any. */
  const readable = new Map<string, { at: number; refusal: GitHubShareRefusedError | undefined }>();
  const forgetReadable = (userId: string) => {
    for (const key of readable.keys()) if (key.startsWith(`${userId} `)) readable.delete(key);
  };
  const context = (userId: string) => `github-token:${userId}`;

  async function storedToken(userId: string) {
    if (!config.tokenLogin) return undefined;
    const stored = await githubTokenOf(db, userId);
    if (!stored) return undefined;
    return {
      login: stored.login,
      token: unseal(deps.secretKey(), stored.sealedToken, context(userId)),
    };
  }

  async function connectToken(userId: string, token: string) {
    if (!config.tokenLogin) {
      throw new ValidationError(
        'token sign-in is turned off on this server (HANGAR_GITHUB_TOKEN_LOGIN=off): sessions use the GitHub App',
        'token',
      );
    }
    let login: string;
    try {
      login = (await githubClient(config, token).rest.users.getAuthenticated()).data.login;
    } catch (error) {
      const status = statusOf(error);
      if (status === 401) {
        throw new ValidationError(
          `GitHub at ${config.apiUrl} does not accept this token (revoked, expired or mistyped): make a new one, or use \`gh auth token\``,
          'token',
        );
      }
      if (status === 403) {
        throw new ValidationError(
          'GitHub refused GET /user with this token: it must be a user token (classic, fine-grained or from `gh auth token`)',
          'token',
        );
      }
      throw unexpected(error, 'checking the token (GET /user)');
    }
    await saveGitHubToken(db, userId, {
      login,
      sealedToken: seal(deps.secretKey(), token, context(userId)),
    });
    listed.delete(userId);
    forgetReadable(userId);
    return { login };
  }

  async function listAll(client: Octokit, route: 'user' | 'installation') {
    const out: {
      full_name: string;
      private: boolean;
      default_branch?: string;
      html_url: string;
      permissions?: { push?: boolean };
    }[] = [];
    const pages =
      route === 'user'
        ? client.paginate.iterator(client.rest.repos.listForAuthenticatedUser, {
            per_page: 100,
            sort: 'full_name',
          })
        : client.paginate.iterator(client.rest.apps.listReposAccessibleToInstallation, {
            per_page: 100,
          });
    for await (const page of pages) {
      out.push(...page.data);
      if (out.length >= MAX_LISTED) break;
    }
    return out;
  }

  async function loadRepos(userId: string): Promise<GitHubRepoSummary[]> {
    const found = new Map<string, GitHubRepoSummary>();
    const stored = await storedToken(userId);
    if (stored) {
      try {
        for (const r of await listAll(githubClient(config, stored.token), 'user')) {
          if (r.permissions?.push === false) continue;
          found.set(r.full_name, summary(r, 'token'));
        }
      } catch (error) {
        if (statusOf(error) === 401) throw new GitHubTokenInvalidError(stored.login);
        throw unexpected(error, 'listing your repositories');
      }
    }
    if (app) {
      for (const r of await app.listRepos((client) => listAll(client, 'installation'))) {
        found.set(r.full_name, summary(r, 'app'));
      }
    }
    return [...found.values()].sort((a, b) => a.fullName.localeCompare(b.fullName));
  }

  async function listRepos(userId: string, query: string) {
    const now = clock().getTime();
    let entry = listed.get(userId);
    if (!entry || now - entry.at > LIST_TTL_MS) {
      entry = { at: now, repos: loadRepos(userId) };
      listed.set(userId, entry);
      entry.repos.catch(() => listed.delete(userId));
    }
    const needle = query.trim().toLowerCase();
    return (await entry.repos)
      .filter((r) => r.fullName.toLowerCase().includes(needle))
      .slice(0, PICKER_LIMIT);
  }

  async function resolveRepoAccess(userId: string, ref: GitHubRepoRef): Promise<RepoAccess> {
    const name = `${ref.owner}/${ref.repo}`;
    const installation = app ? await app.installationFor(ref.owner, ref.repo) : undefined;
    if (app && installation !== undefined) {
      const first = await app.tokenFor(ref.owner, ref.repo, installation);
      if (first.permissions.contents !== 'write')
        throw new GitHubNoPushAccessError(name, 'The GitHub App');
      const info = await repoInfo(
        githubClient(config, first.token),
        ref,
        'The GitHub App',
        () => undefined,
      );
      return {
        repo: { ...ref, ...info },
        actor: 'the GitHub App',
        credential: {
          via: 'app',
          token: async () => (await app.tokenFor(ref.owner, ref.repo, installation)).token,
          forget: () => app.forget(ref.owner, ref.repo, installation),
        },
      };
    }
    const stored = await storedToken(userId);
    if (!stored) {
      throw new GitHubNotConnectedError(name, {
        app: app ? await app.installUrl() : undefined,
        tokenLogin: config.tokenLogin,
      });
    }
    const who = `your GitHub account ${stored.login}`;
    const info = await repoInfo(githubClient(config, stored.token), ref, who, () => {
      throw new GitHubTokenInvalidError(stored.login);
    });
    if (!info.push) throw new GitHubNoPushAccessError(name, who.replace(/^your/, 'Your'));
    return {
      repo: { ...ref, defaultBranch: info.defaultBranch, private: info.private },
      actor: stored.login,
      credential: {
        via: 'token',
        token: async () => {
          const current = await storedToken(userId);
          if (!current) throw new GitHubTokenInvalidError(stored.login);
          return current.token;
        },
      },
    };
  }

  async function checkRead(
    userId: string,
    ref: GitHubRepoRef,
  ): Promise<GitHubShareRefusedError | undefined> {
    const name = `${ref.owner}/${ref.repo}`;
    if (!config.tokenLogin) return new GitHubShareRefusedError(name, 'app_only');
    const stored = await storedToken(userId);
    if (!stored) return new GitHubShareRefusedError(name, 'not_connected');
    try {
      await githubClient(config, stored.token).rest.repos.get({ owner: ref.owner, repo: ref.repo });
      return undefined;
    } catch (error) {
      const status = statusOf(error);
      if (status === 404 || status === 403) {
        return new GitHubShareRefusedError(name, 'no_access', stored.login);
      }
      if (status === 401) return new GitHubShareRefusedError(name, 'token_invalid', stored.login);
      throw unexpected(error, `reading ${name}`);
    }
  }

  async function requireReadAccess(userId: string, ref: GitHubRepoRef): Promise<void> {
    const key = `${userId} ${ref.owner}/${ref.repo}`.toLowerCase();
    const now = clock().getTime();
    let entry = readable.get(key);
    if (!entry || now - entry.at > READ_ACCESS_TTL_MS) {
      entry = { at: now, refusal: await checkRead(userId, ref) };
      for (const [k, e] of readable) if (now - e.at > READ_ACCESS_TTL_MS) readable.delete(k);
      readable.set(key, entry);
    }
    if (entry.refusal) throw entry.refusal;
  }

  return {
    config,
    requireReadAccess,
    async status(userId) {
      const stored = config.tokenLogin ? await githubTokenOf(db, userId) : undefined;
      if (stored) return { connected: true, login: stored.login, via: 'token' };
      if (app) return { connected: true, login: null, via: 'app' };
      return { connected: false, login: null, via: null };
    },
    connectToken,
    async disconnect(userId) {
      listed.delete(userId);
      forgetReadable(userId);
      return deleteGitHubToken(db, userId);
    },
    listRepos,
    resolveRepoAccess,
  };
}

function summary(
  r: { full_name: string; private: boolean; default_branch?: string; html_url: string },
  via: 'app' | 'token',
): GitHubRepoSummary {
  return {
    fullName: r.full_name,
    private: r.private,
    defaultBranch: r.default_branch ?? 'main',
    url: r.html_url,
    via,
  };
}

async function repoInfo(
  client: Octokit,
  ref: GitHubRepoRef,
  who: string,
  onUnauthorized: () => void,
): Promise<{ defaultBranch: string; private: boolean; push: boolean }> {
  try {
    const { data } = await client.rest.repos.get({ owner: ref.owner, repo: ref.repo });
    return {
      defaultBranch: data.default_branch,
      private: data.private,
      push: data.permissions?.push === true,
    };
  } catch (error) {
    const status = statusOf(error);
    if (status === 404) throw new GitHubRepoNotFoundError(`${ref.owner}/${ref.repo}`, who);
    if (status === 401) onUnauthorized();
    throw unexpected(error, `reading ${ref.owner}/${ref.repo}`);
  }
}
