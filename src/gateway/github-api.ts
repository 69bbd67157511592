import type { IncomingMessage, ServerResponse } from 'node:http';
import { labelAgentText } from '../github/agent-label.js';
import { checkBody, decideGitHub, MAX_BODY_BYTES, type GitHubScope } from './github-rule.js';
import { refuse, requestUpstream, type Refusal } from './http-util.js';
import { resolveUpstream, type UpstreamRules } from './resolver.js';

/**
 * A session's GitHub, known only on the host: the REST API's base URL, the repo the
 * session works on, its credential (asked afresh per request: an App token is minted
 * again before it expires) and the number of the session's own pull request.
 */
export interface GitHubApi extends GitHubScope {
  /** `https://api.github.com`, or an Enterprise Server's `https://host/api/v3`. */
  apiUrl: string;
  token(): Promise<string>;
  /** The session's own PR, the only one it may edit; undefined before it has one. */
  ownPullRequest(): Promise<number | undefined>;
}

/** One sandbox as the GitHub route sees it. */
export interface GitHubContext {
  /** Undefined: the session's repo is not on the configured GitHub. */
  api: GitHubApi | undefined;
  upstreams: UpstreamRules;
}

const ANSWER_HEADERS = ['content-type', 'link', 'etag', 'last-modified', 'x-ratelimit-remaining'];
const ACCEPT = /^application\/(vnd\.github[A-Za-z0-9.+-]*|json)$/;

const refusal = (status: Refusal['status'], code: string, message: string): Refusal => ({
  status,
  code,
  message: `Hangar: ${message}`,
});

/**
 * `/github/repos/<owner>/<repo>/…`: a GitHub REST call for the session's repo, checked
 * against the rule, sent with the credential added here; the answer streams back.
 */
export async function handleGitHub(
  ctx: GitHubContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const { api } = ctx;
  if (!api) {
    req.resume();
    refuse(
      res,
      refusal(
        403,
        'github-not-attached',
        "this session's repository is not on GitHub: no GitHub calls",
      ),
    );
    return;
  }
  const verdict = decideGitHub(req.method ?? 'GET', req.url ?? '', api);
  if (!verdict.ok) {
    req.resume();
    refuse(res, refusal(verdict.status, verdict.code, verdict.reason));
    return;
  }
  let body: string | undefined;
  if (verdict.body) {
    const read = await readBody(req);
    if (!read.ok) {
      refuse(res, refusal(read.status, 'github-bad-body', read.reason));
      return;
    }
    const checked = checkBody(read.text, verdict.body, labelAgentText);
    if (!checked.ok) {
      refuse(res, refusal(400, 'github-bad-body', checked.reason));
      return;
    }
    body = checked.json;
  } else {
    req.resume();
  }
  if (verdict.ownPull !== undefined) {
    const own = await api.ownPullRequest();
    if (own !== verdict.ownPull) {
      refuse(
        res,
        refusal(
          403,
          'github-not-own-pull',
          own === undefined
            ? 'this session has no pull request yet; only its own may be edited'
            : `only this session's own pull request (#${own}) may be edited, not #${verdict.ownPull}`,
        ),
      );
      return;
    }
  }
  let token: string;
  try {
    token = await api.token();
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    refuse(res, refusal(502, 'github-credential', `no GitHub credential for this session: ${why}`));
    return;
  }
  const base = new URL(api.apiUrl);
  const accept = req.headers.accept ?? '';
  await send(ctx, res, {
    url: new URL(`${base.pathname.replace(/\/+$/, '')}${verdict.path}`, base),
    method: req.method ?? 'GET',
    headers: {
      authorization: `token ${token}`,
      accept: ACCEPT.test(accept) ? accept : 'application/vnd.github+json',
      'user-agent': 'hangar',
      'x-github-api-version': '2022-11-28',
      ...(body === undefined
        ? {}
        : {
            'content-type': 'application/json; charset=utf-8',
            'content-length': String(Buffer.byteLength(body)),
          }),
    },
    body,
    followRedirect: verdict.followRedirect,
  });
}

/** Reads a request body up to MAX_BODY_BYTES; a larger one is refused without reading it all. */
function readBody(
  req: IncomingMessage,
): Promise<{ ok: true; text: string } | { ok: false; status: 400 | 413; reason: string }> {
  const tooLarge = {
    ok: false as const,
    status: 413 as const,
    reason: `the body is larger than ${MAX_BODY_BYTES / 1024} KiB`,
  };
  if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) {
    req.resume();
    return Promise.resolve(tooLarge);
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.removeAllListeners('data');
        req.resume();
        resolve(tooLarge);
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => resolve({ ok: true, text: Buffer.concat(chunks).toString('utf8') }));
    req.once('error', () =>
      resolve({ ok: false, status: 400, reason: 'the body could not be read' }),
    );
  });
}

interface Outgoing {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
  followRedirect: boolean;
}

/**
 * Sends the call to the address its host was checked to have. A redirect is followed
 * only where the rule says GitHub answers with one (a job log's download link), once,
 * without the credential, to an address checked the same way.
 */
async function send(ctx: GitHubContext, res: ServerResponse, out: Outgoing): Promise<void> {
  const target = await resolveUpstream(out.url, ctx.upstreams);
  if (!target.ok) {
    const status = target.code === 'dns-failed' ? 502 : 403;
    refuse(res, refusal(status, target.code, `GitHub at ${out.url.host}: ${target.reason}`));
    return;
  }
  const request = requestUpstream(
    out.url,
    out.method,
    `${out.url.pathname}${out.url.search}`,
    { ...out.headers, host: out.url.host },
    target.address,
  );
  request.on('response', (answer) => {
    const status = answer.statusCode ?? 502;
    if (status >= 300 && status < 400) {
      answer.resume();
      const location = answer.headers.location ?? '';
      if (!out.followRedirect || !URL.canParse(location)) {
        refuse(
          res,
          refusal(502, 'github-redirect', `GitHub answered ${status}; Hangar does not follow it`),
        );
        return;
      }
      const next = new URL(location);
      if (next.protocol !== 'https:' && next.protocol !== 'http:') {
        refuse(res, refusal(502, 'github-redirect', 'GitHub redirected to a non-HTTP URL'));
        return;
      }
      void send(ctx, res, {
        url: next,
        method: 'GET',
        headers: { 'user-agent': 'hangar' },
        body: undefined,
        followRedirect: false,
      }).catch(() => res.destroy());
      return;
    }
    const headers: Record<string, string> = {};
    for (const name of ANSWER_HEADERS) {
      const value = answer.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    res.writeHead(status, headers);
    answer.pipe(res);
  });
  request.on('error', (error: NodeJS.ErrnoException) =>
    refuse(
      res,
      refusal(
        502,
        'github-upstream-failed',
        `could not reach GitHub at ${out.url.host} (${error.code ?? error.message})`,
      ),
    ),
  );
  res.on('close', () => request.destroy());
  request.end(out.body);
}
