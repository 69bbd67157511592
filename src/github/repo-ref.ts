import { ValidationError } from '../errors.js';
import { originKey } from '../gateway/resolver.js';
import type { GitHubConfig } from './config.js';

/** A repository on the configured GitHub: `owner/name` and the URL git clones it from. */
export interface GitHubRepoRef {
  owner: string;
  repo: string;
  /** `<HANGAR_GITHUB_URL>/owner/repo.git`. */
  cloneUrl: string;
}

// GitHub's own rules: a login is alphanumerics and single hyphens; a repo name
// letters, digits, `.`, `_` and `-` (but not `.` or `..`).
const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;
const REPO = /^(?!\.\.?$)[A-Za-z0-9._-]{1,100}$/;

/**
 * A session source that names a repo on the configured GitHub — `owner/repo`,
 * `https://<github host>/owner/repo` or its `.git` form — or undefined when the source
 * is some other git URL. A malformed `owner/repo` is a ValidationError on `field`.
 */
export function parseGitHubRepo(
  source: string,
  config: Pick<GitHubConfig, 'webUrl'>,
  field = 'source.url',
): GitHubRepoRef | undefined {
  const web = new URL(config.webUrl);
  let path: string;
  if (/^[^/:]+\/[^/]+$/.test(source)) {
    path = source;
  } else {
    let url: URL;
    try {
      url = new URL(source);
    } catch {
      return undefined;
    }
    if (originKey(url) !== originKey(web) || url.username || url.password) return undefined;
    const base = web.pathname.replace(/\/+$/, '');
    if (!url.pathname.startsWith(`${base}/`) || url.search || url.hash) return undefined;
    path = url.pathname.slice(base.length + 1).replace(/\/+$/, '');
  }
  const [owner = '', rawRepo = '', ...rest] = path.split('/');
  const repo = rawRepo.replace(/\.git$/, '');
  if (rest.length > 0 || !OWNER.test(owner) || !REPO.test(repo)) {
    throw new ValidationError(
      `"${source}" does not name a GitHub repository: use owner/repo or ${config.webUrl}/owner/repo`,
      field,
    );
  }
  return { owner, repo, cloneUrl: `${config.webUrl}/${owner}/${repo}.git` };
}

/**
 * The configured GitHub's origin, for HANGAR_GIT_HOSTS' set: the operator named it,
 * so its git traffic may reach it even on a private address (a GitHub Enterprise
 * Server inside the network).
 */
export function githubGitHost(config: Pick<GitHubConfig, 'webUrl'>): string {
  return originKey(new URL(config.webUrl));
}
