import type { GitHubApi } from '../gateway/github-api.js';
import type { Source } from '../sessions/source.js';
import { pullRequestOf } from '../store/pull-requests.js';
import type { Db } from '../store/store.js';
import type { GitHub } from './github.js';
import { parseGitHubRepo } from './repo-ref.js';

/**
 * What the gateway's `/github/` route needs of a session on the configured GitHub: the
 * API's URL, the repo, the credential (found on first use, and again after a failure)
 * and the session's own PR; undefined for a session whose repo is elsewhere.
 */
export function sessionGitHubApi(
  github: GitHub,
  db: Db,
  session: { id: string; userId: string; source: Record<string, unknown> },
): GitHubApi | undefined {
  const source = session.source as Source;
  if (source.type !== 'git') return undefined;
  const ref = parseGitHubRepo(source.url, github.config);
  if (!ref) return undefined;
  let access: ReturnType<GitHub['resolveRepoAccess']> | undefined;
  return {
    apiUrl: github.config.apiUrl,
    owner: ref.owner,
    repo: ref.repo,
    token: async () => {
      access ??= github.resolveRepoAccess(session.userId, ref);
      try {
        return await (await access).credential.token();
      } catch (error) {
        access = undefined;
        throw error;
      }
    },
    ownPullRequest: async () => (await pullRequestOf(db, session.id))?.number,
  };
}
