import { HangarError } from '../errors.js';
import type { GitUpstream } from '../gateway/git-proxy.js';
import { gitAuthHeaders, type GitHub, type RepoAccess } from './github.js';
import type { GitHubRepoRef } from './repo-ref.js';

/** Why a session's git could not reach its GitHub repo, and what to do about it. */
export interface GitHubAccessFailure {
  /** `owner/repo`. */
  repo: string;
  /** The error's code: github_token_invalid, github_app_not_installed, github_no_push_access … */
  code: string;
  /** One line naming what to do (connect GitHub again, install the App, ask for access). */
  message: string;
}

/**
 * The git proxy's upstream for a session's GitHub repo (`githubUpstream` of the
 * access `resolveRepoAccess` finds, kept while it works): the credential added on the host to each request
 * (an App token minted again before it expires). When GitHub stops taking it in the
 * middle of the session (a revoked token, the App removed, write access taken away),
 * the access is checked again, git in the sandbox is told what to do instead of a bare
 * HTTP error, and `report` hears it once per new reason. The next request checks again,
 * so a reconnected account or a reinstalled App works without a new session.
 *
 * `first` is the access found when the session started (none when it resumes: it is
 * looked up at the first git request, so a session whose token lapsed while it slept
 * still wakes, and says why its git fails).
 */
export function sessionUpstream(
  github: GitHub,
  userId: string,
  ref: GitHubRepoRef,
  report: (failure: GitHubAccessFailure) => void,
  first?: RepoAccess,
): GitUpstream {
  const repo = `${ref.owner}/${ref.repo}`;
  let access: Promise<RepoAccess> | undefined = first && Promise.resolve(first);
  let reported: string | undefined;

  const failure = (error: unknown): GitHubAccessFailure => ({
    repo,
    code: error instanceof HangarError ? error.code : 'github_unavailable',
    message: error instanceof Error ? error.message : String(error),
  });
  const tell = (found: GitHubAccessFailure): string => {
    if (found.message !== reported) {
      reported = found.message;
      report(found);
    }
    return found.message;
  };
  const current = (): Promise<RepoAccess> => {
    if (access) return access;
    const resolving = github.resolveRepoAccess(userId, ref);
    access = resolving;
    resolving.then(
      () => {
        reported = undefined;
      },
      () => {
        if (access === resolving) access = undefined;
      },
    );
    return resolving;
  };

  return {
    url: ref.cloneUrl,
    credential: async () => {
      let found: RepoAccess;
      try {
        found = await current();
      } catch (error) {
        throw new Error(tell(failure(error)));
      }
      try {
        return await gitAuthHeaders(found.credential);
      } catch (error) {
        access = undefined;
        throw new Error(tell(failure(error)));
      }
    },
    refused: async (status, said) => {
      const held = await access?.catch(() => undefined);
      held?.credential.forget?.();
      access = undefined;
      try {
        await current();
      } catch (error) {
        return tell(failure(error));
      }
      const answer = `HTTP ${status}${said ? `: ${said}` : ''}`;
      // Checked again, the access holds: a token that may read but not write the code
      // (a fine-grained one), or one replaced in between.
      if (status === 403) {
        return tell({
          repo,
          code: 'github_push_refused',
          message: `GitHub refused this session's push to ${repo} (${answer}): connect a token that may write the repository's contents (\`hangar github login\`), or ask an admin of ${repo} for write access.`,
        });
      }
      return `GitHub refused this session's credential for ${repo} (${answer}); it works when checked again: try again.`;
    },
  };
}
