import { ValidationError } from '../errors.js';
import { parseIpLiteral } from '../gateway/ip-class.js';
import { resolveUpstream, systemLookup, type UpstreamRules } from '../gateway/resolver.js';
import { runGit } from '../git/run-git.js';
import { findBundle } from '../store/bundles.js';
import type { Db } from '../store/store.js';

/** Where a session's repo comes from, as stored on the session. */
export type Source =
  | { type: 'git'; url: string; branch: string }
  | { type: 'bundle'; bundleId: string; branch: string; name: string };

export type SourceInput =
  | { type: 'git'; url: string; branch?: string | undefined }
  | { type: 'bundle'; bundleId: string; branch?: string | undefined; name?: string | undefined };

export interface ResolvedSource {
  source: Source;
  repoName: string;
  /** The commit the session starts from: the tip of the branch when it was created. */
  baseCommit: string;
}

const LS_REMOTE_TIMEOUT_MS = 20_000;

/**
 * Checks that a source can be cloned and resolves its branch and base commit, so a
 * bad source is a 400 at once rather than a session that fails later.
 */
export async function resolveSource(
  db: Db,
  userId: string,
  input: SourceInput,
  upstreams: UpstreamRules = DEFAULT_UPSTREAM_RULES,
  authorization?: string,
): Promise<ResolvedSource> {
  return input.type === 'git'
    ? resolveGit(input, upstreams, authorization)
    : resolveBundle(db, userId, input);
}

/** No pins, no configured git hosts: only public addresses, found by the system resolver. */
export const DEFAULT_UPSTREAM_RULES: UpstreamRules = {
  pins: new Map(),
  lookup: systemLookup,
  gitHosts: new Set(),
};

async function resolveGit(
  input: { url: string; branch?: string | undefined },
  upstreams: UpstreamRules,
  authorization: string | undefined,
): Promise<ResolvedSource> {
  const url = parseGitUrl(input.url);
  // The git proxy's rules, here on the host: check the address, then make git dial
  // exactly it (curl's resolve list) and never follow a redirect elsewhere.
  const target = await resolveUpstream(url, upstreams);
  if (!target.ok) {
    throw new ValidationError(`cannot read ${url.href}: ${target.reason}`, 'source.url');
  }
  const args = ['-c', 'http.followRedirects=false'];
  if (parseIpLiteral(url.hostname) === null) {
    const port = url.port || (url.protocol === 'https:' ? '443' : '80');
    const address = target.address.family === 6 ? `[${target.address.text}]` : target.address.text;
    args.push('-c', `http.curloptResolve=${url.hostname}:${port}:${address}`);
  }
  args.push('ls-remote', '--symref', url.href, 'HEAD');
  if (input.branch) args.push(`refs/heads/${input.branch}`);
  const listed = await runGit(args, {
    env: {
      GIT_HTTP_LOW_SPEED_LIMIT: '1',
      GIT_HTTP_LOW_SPEED_TIME: String(LS_REMOTE_TIMEOUT_MS / 1000),
      // A private repo's credential, in the environment rather than the host's process list.
      ...(authorization
        ? {
            GIT_CONFIG_COUNT: '1',
            GIT_CONFIG_KEY_0: 'http.extraHeader',
            GIT_CONFIG_VALUE_0: `Authorization: ${authorization}`,
          }
        : {}),
    },
  });
  if (listed.code !== 0) {
    throw new ValidationError(`cannot read ${url.href}: ${gitReason(listed.stderr)}`, 'source.url');
  }
  const refs = parseLsRemote(listed.stdout);
  const branch = input.branch ?? refs.headBranch;
  if (!branch)
    throw new ValidationError(`${url.href} has no default branch: name one`, 'source.branch');
  const commit = refs.heads.get(branch);
  if (!commit)
    throw new ValidationError(`there is no branch "${branch}" at ${url.href}`, 'source.branch');
  return {
    source: { type: 'git', url: url.href, branch },
    repoName: repoNameOf(url.pathname),
    baseCommit: commit,
  };
}

async function resolveBundle(
  db: Db,
  userId: string,
  input: { bundleId: string; branch?: string | undefined; name?: string | undefined },
): Promise<ResolvedSource> {
  const bundle = await findBundle(db, userId, input.bundleId);
  if (!bundle) {
    throw new ValidationError(
      `no bundle with id "${input.bundleId}": upload it first (POST /api/v1/bundles)`,
      'source.bundleId',
    );
  }
  const branches = Object.keys(bundle.refs)
    .filter((ref) => ref.startsWith('refs/heads/'))
    .map((ref) => ref.slice('refs/heads/'.length));
  const branch = input.branch ?? defaultBranch(branches);
  if (!branch) {
    throw new ValidationError(
      `the bundle has several branches (${branches.join(', ')}): name one`,
      'source.branch',
    );
  }
  const commit = bundle.refs[`refs/heads/${branch}`];
  if (!commit) {
    throw new ValidationError(
      `the bundle has no branch "${branch}" (it has ${branches.join(', ')})`,
      'source.branch',
    );
  }
  const name = input.name ?? 'repo';
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(name) || name.endsWith('.git')) {
    throw new ValidationError(`"${name}" is not a usable repository directory name`, 'source.name');
  }
  return {
    source: { type: 'bundle', bundleId: bundle.id, branch, name },
    repoName: name,
    baseCommit: commit,
  };
}

/** Smart-HTTP URLs only; credentials stay on the server, never in a URL. */
export function parseGitUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ValidationError(
      `"${raw}" is not a URL: use https://host/owner/repo.git`,
      'source.url',
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ValidationError(
      `"${raw}" is not an http(s) git URL: Hangar clones over smart HTTP`,
      'source.url',
    );
  }
  if (url.username || url.password) {
    throw new ValidationError(
      'put no credentials in the URL: the server holds the git credential',
      'source.url',
    );
  }
  if (url.search || url.hash || repoNameOf(url.pathname) === '') {
    throw new ValidationError(`"${raw}" does not name a repository`, 'source.url');
  }
  return url;
}

/** `/acme/app.git` → `app`. */
export function repoNameOf(path: string): string {
  const last = path.split('/').filter(Boolean).pop() ?? '';
  return last.replace(/\.git$/, '');
}

function defaultBranch(branches: string[]): string | undefined {
  if (branches.length === 1) return branches[0];
  return ['main', 'master'].find((name) => branches.includes(name));
}

function parseLsRemote(out: string): { headBranch?: string; heads: Map<string, string> } {
  const heads = new Map<string, string>();
  let headBranch: string | undefined;
  for (const line of out.split('\n')) {
    const symref = /^ref: refs\/heads\/(\S+)\tHEAD$/.exec(line);
    if (symref?.[1]) headBranch = symref[1];
    const ref = /^([0-9a-f]{40,64})\trefs\/heads\/(\S+)$/.exec(line);
    if (ref?.[1] && ref[2]) heads.set(ref[2], ref[1]);
    const head = /^([0-9a-f]{40,64})\tHEAD$/.exec(line);
    if (head?.[1] && headBranch && !heads.has(headBranch)) heads.set(headBranch, head[1]);
  }
  return { ...(headBranch ? { headBranch } : {}), heads };
}

function gitReason(stderr: string): string {
  const line = stderr
    .split('\n')
    .map((l) => l.replace(/^(fatal|error|remote): /, '').trim())
    .find(Boolean);
  return line ?? 'git could not reach it';
}
