/**
 * Which GitHub REST calls a sandbox may make through the gateway's `/github/` route:
 * its session's repo only, a listed set of methods per path, a listed set of query
 * parameters and body fields. Pure: the route (github-api.ts) asks, then forwards.
 * Everything not listed is refused with a reason; nothing is decoded or normalised
 * first, so an encoded slash, a dot segment or another spelling of the repo never
 * matches anything.
 */

/** The repo a session may reach, spelled as GitHub has it. */
export interface GitHubScope {
  owner: string;
  repo: string;
}

/** What a request body may hold: string fields by name; `text` fields are labelled as the agent's. */
export interface BodyRule {
  fields: readonly string[];
  required: readonly string[];
  /** Fields whose text gets Hangar's "written by the agent" label. */
  labelled: readonly string[];
}

export type GitHubVerdict =
  | {
      ok: true;
      /** The path and query to send upstream, below the API's base URL. */
      path: string;
      body?: BodyRule;
      /** The PR this call edits, which must be the session's own. */
      ownPull?: number;
      /** Whether GitHub answers with a redirect to follow (a job log's download link). */
      followRedirect: boolean;
    }
  | { ok: false; status: 400 | 403 | 404 | 405; code: string; reason: string };

interface Rule {
  method: 'GET' | 'POST' | 'PATCH';
  /** Segments after `/repos/<owner>/<repo>`; `#` a number, `@` a ref or sha. */
  path: string;
  query?: readonly string[];
  body?: BodyRule;
  ownPull?: boolean;
  followRedirect?: boolean;
}

const PAGES = ['per_page', 'page'];
const COMMENT: BodyRule = { fields: ['body'], required: ['body'], labelled: ['body'] };

/** The calls the agent's tools need: read the repo's conversation and CI, write comments. */
const RULES: readonly Rule[] = [
  { method: 'GET', path: '' },
  {
    method: 'GET',
    path: '/issues',
    query: [...PAGES, 'state', 'labels', 'sort', 'direction', 'since', 'creator'],
  },
  { method: 'GET', path: '/issues/#' },
  { method: 'GET', path: '/issues/#/comments', query: [...PAGES, 'since'] },
  { method: 'POST', path: '/issues/#/comments', body: COMMENT },
  {
    method: 'GET',
    path: '/pulls',
    query: [...PAGES, 'state', 'head', 'base', 'sort', 'direction'],
  },
  { method: 'GET', path: '/pulls/#' },
  { method: 'GET', path: '/pulls/#/files', query: PAGES },
  { method: 'GET', path: '/pulls/#/commits', query: PAGES },
  { method: 'GET', path: '/pulls/#/comments', query: [...PAGES, 'since', 'sort', 'direction'] },
  { method: 'GET', path: '/pulls/#/reviews', query: PAGES },
  { method: 'GET', path: '/pulls/#/reviews/#/comments', query: PAGES },
  { method: 'POST', path: '/pulls/#/comments/#/replies', body: COMMENT },
  {
    method: 'PATCH',
    path: '/pulls/#',
    body: { fields: ['title', 'body'], required: [], labelled: [] },
    ownPull: true,
  },
  { method: 'GET', path: '/commits/@/check-runs', query: [...PAGES, 'check_name', 'status'] },
  { method: 'GET', path: '/commits/@/status', query: PAGES },
  { method: 'GET', path: '/commits/@/statuses', query: PAGES },
  { method: 'GET', path: '/check-runs/#' },
  { method: 'GET', path: '/check-runs/#/annotations', query: PAGES },
  { method: 'GET', path: '/actions/runs/#/jobs', query: [...PAGES, 'filter'] },
  { method: 'GET', path: '/actions/jobs/#' },
  { method: 'GET', path: '/actions/jobs/#/logs', followRedirect: true },
];

/** The most a request line's path and query may be. */
export const MAX_TARGET_CHARS = 2048;
const SEGMENT = /^[A-Za-z0-9._-]{1,100}$/;
const NUMBER = /^[1-9][0-9]{0,9}$/;
// A ref or a commit sha: one segment, no `..` (git's own rule), no leading dot.
const REF = /^(?!\.)(?!.*\.\.)[A-Za-z0-9._-]{1,100}$/;
// Query values: what issue filters, dates and branch names need; nothing encoded.
const QUERY_VALUE = /^[A-Za-z0-9._,:+-]{0,100}$/;

const deny = (
  status: 400 | 403 | 404 | 405,
  code: string,
  reason: string,
): Extract<GitHubVerdict, { ok: false }> => ({ ok: false, status, code, reason });

/**
 * The verdict on `method target` (the request target as received, `/github/repos/…`)
 * for a session whose repo is `scope`.
 */
export function decideGitHub(method: string, target: string, scope: GitHubScope): GitHubVerdict {
  if (target.length > MAX_TARGET_CHARS) {
    return deny(400, 'github-bad-path', `the request path is longer than ${MAX_TARGET_CHARS}`);
  }
  const cut = target.indexOf('?');
  const rawPath = cut === -1 ? target : target.slice(0, cut);
  const rawQuery = cut === -1 ? '' : target.slice(cut + 1);
  if (!rawPath.startsWith('/github/')) {
    return deny(404, 'github-bad-path', 'GitHub calls go to /github/repos/<owner>/<repo>/…');
  }
  const segments = rawPath.slice('/github/'.length).split('/');
  if (!segments.every((s) => SEGMENT.test(s) && s !== '.' && s !== '..')) {
    return deny(
      400,
      'github-bad-path',
      `"${rawPath.slice(0, 200)}" is not a plain API path: no encoded characters, dot segments, empty segments or URLs`,
    );
  }
  const [root, owner, repo, ...rest] = segments;
  if (root !== 'repos' || owner === undefined || repo === undefined) {
    return deny(
      403,
      'github-not-repo',
      `only this session's repository is reachable: /github/repos/${scope.owner}/${scope.repo}/…`,
    );
  }
  if (owner !== scope.owner || repo !== scope.repo) {
    return deny(
      403,
      'github-other-repo',
      `${owner}/${repo} is not this session's repository (${scope.owner}/${scope.repo})`,
    );
  }
  const shape = rest.map((s, i) => shapeOf(s, rest[i - 1])).join('');
  const onPath = RULES.filter((r) => r.path === shape);
  if (onPath.length === 0) {
    return deny(
      403,
      'github-path-not-allowed',
      `/repos/${owner}/${repo}/${rest.join('/')} is not one of the calls the agent's GitHub tools may make`,
    );
  }
  const rule = onPath.find((r) => r.method === method);
  if (!rule) {
    const allowed = onPath.map((r) => r.method).join(', ');
    return deny(
      405,
      'github-method-not-allowed',
      `${method} is not allowed on /repos/${owner}/${repo}/${rest.join('/')} (only ${allowed})`,
    );
  }
  const query = checkQuery(rawQuery, rule.query ?? []);
  if (!query.ok) return query;
  const path = `/${segments.join('/')}${query.text ? `?${query.text}` : ''}`;
  return {
    ok: true,
    path,
    ...(rule.body ? { body: rule.body } : {}),
    ...(rule.ownPull ? { ownPull: Number(rest[1]) } : {}),
    followRedirect: rule.followRedirect === true,
  };
}

/** `#` for a number, `@` for a ref after `commits`, else the segment itself. */
function shapeOf(segment: string, before: string | undefined): string {
  if (before === 'commits' && REF.test(segment)) return '/@';
  if (NUMBER.test(segment)) return '/#';
  return `/${segment}`;
}

function checkQuery(
  raw: string,
  allowed: readonly string[],
): { ok: true; text: string } | Extract<GitHubVerdict, { ok: false }> {
  if (raw === '') return { ok: true, text: '' };
  const seen = new Set<string>();
  const pairs: string[] = [];
  for (const part of raw.split('&')) {
    const eq = part.indexOf('=');
    const key = eq === -1 ? part : part.slice(0, eq);
    const value = eq === -1 ? '' : part.slice(eq + 1);
    if (!allowed.includes(key)) {
      return deny(
        403,
        'github-query-not-allowed',
        `the query parameter "${key.slice(0, 40)}" is not allowed here${allowed.length ? ` (only ${allowed.join(', ')})` : ''}`,
      );
    }
    if (seen.has(key)) return deny(400, 'github-bad-query', `"${key}" is given twice`);
    if (!QUERY_VALUE.test(value)) {
      return deny(
        400,
        'github-bad-query',
        `the value of "${key}" holds characters the gateway does not pass (letters, digits and . _ , : + - only)`,
      );
    }
    seen.add(key);
    pairs.push(`${key}=${value}`);
  }
  return { ok: true, text: pairs.join('&') };
}

/** The most a request body may be. */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * A request body checked against its rule: a JSON object of the listed string fields,
 * re-serialised (so nothing else reaches GitHub), labelled fields marked as the agent's.
 */
export function checkBody(
  raw: string,
  rule: BodyRule,
  label: (text: string) => string,
): { ok: true; json: string } | { ok: false; reason: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { ok: false, reason: 'the body is not JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { ok: false, reason: 'the body is not a JSON object' };
  }
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!rule.fields.includes(key)) {
      return {
        ok: false,
        reason: `the field "${key.slice(0, 40)}" is not allowed here (only ${rule.fields.join(', ')})`,
      };
    }
    if (typeof value !== 'string') return { ok: false, reason: `"${key}" must be a string` };
    if (value.trim() === '') continue;
    out[key] = rule.labelled.includes(key) ? label(value) : value;
  }
  const missing = rule.required.filter((f) => !(f in out));
  if (missing.length > 0) return { ok: false, reason: `"${missing.join('", "')}" is required` };
  if (Object.keys(out).length === 0) {
    return { ok: false, reason: `give at least one of ${rule.fields.join(', ')}` };
  }
  return { ok: true, json: JSON.stringify(out) };
}
