import type { UpstreamRules } from '../gateway/resolver.js';
import { DEFAULT_UPSTREAM_RULES, type SourceInput } from '../sessions/source.js';
import { gitAuthorization } from './client.js';
import type { GitHub } from './github.js';
import { githubGitHost, parseGitHubRepo } from './repo-ref.js';

/** A session's source after the GitHub check: what to resolve, and how git may read it. */
export interface CheckedSource {
  input: SourceInput;
  /** The Authorization header `git ls-remote` needs for a private repo (host only). */
  authorization?: string;
  /** How the source's host is checked: the configured GitHub is trusted by configuration. */
  upstreams?: UpstreamRules | undefined;
}

/**
 * At session creation: a source on the configured GitHub is checked at once — the repo
 * exists and the App's installation or the user's token may push to it — so a bad one
 * is a 4xx naming what to do, not a session that fails later. Other sources pass.
 */
export async function checkGitHubSource(
  github: GitHub | undefined,
  userId: string,
  input: SourceInput,
  upstreams: UpstreamRules = DEFAULT_UPSTREAM_RULES,
): Promise<CheckedSource> {
  if (!github || input.type !== 'git') return { input, upstreams };
  const ref = parseGitHubRepo(input.url, github.config);
  if (!ref) return { input, upstreams };
  const access = await github.resolveRepoAccess(userId, ref);
  return {
    input: { type: 'git', url: ref.cloneUrl, branch: input.branch ?? access.repo.defaultBranch },
    authorization: gitAuthorization(await access.credential.token()),
    // The operator named this host (a GitHub Enterprise Server may be on a private address).
    upstreams: {
      ...upstreams,
      gitHosts: new Set([...upstreams.gitHosts, githubGitHost(github.config)]),
    },
  };
}
