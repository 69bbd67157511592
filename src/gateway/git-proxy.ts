import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { basename, dirname } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { formatBytes } from '../sandbox/bounded-output.js';
import { DEFAULT_GIT_PROCESS_LIMITS, directoryBytes } from '../git/repo-limits.js';
import { runHttpBackend } from './git-http-backend.js';
import type { GitMirrors } from './git-mirror.js';
import { fetchWants, parseAdvertisement, type Advertisement } from './git-wants.js';
import { forwardHeaders, refuse, requestUpstream, type Refusal } from './http-util.js';
import { PktLineError, readPacket, type Packet } from './pkt-line.js';
import { checkPush, encodeRefusal, parsePushRequest } from './push-rule.js';
import { resolveUpstream, type UpstreamRules } from './resolver.js';

/**
 * Where a repo really lives, known only on the host: a smart-HTTP URL with the real
 * credential in `headers`, or from `credential` asked afresh for each request (a
 * GitHub installation token is minted again before it expires); or a bare repo on
 * disk served by `git http-backend` — which pushes may grow to `maxBytes` at most
 * (HANGAR_MAX_REPO_MB).
 */
export type GitUpstream =
  | {
      url: string;
      headers?: Record<string, string>;
      credential?: () => Promise<Record<string, string>>;
      /**
       * The host refused the credential (401, 403 or 404: revoked, no longer allowed,
       * repo out of reach; `said`: the start of its answer): the one line git in the
       * sandbox is told instead, saying what to do.
       */
      refused?: (status: number, said: string) => Promise<string>;
    }
  | { repoDir: string; maxBytes?: number };

/** One sandbox as the git proxy sees it. */
export interface GitContext {
  sandboxId: string;
  /**
   * The repos this sandbox may reach, by key (`host/owner/repo`), each with its
   * upstream: its own map, so no other sandbox's attachment can change or remove it.
   */
  repos: ReadonlyMap<string, GitUpstream>;
  /** The only branch it may push; undefined: no pushes at all. */
  branch: string | undefined;
  /** How an upstream URL's host is checked and dialed (the egress proxy's rules). */
  upstreams: UpstreamRules;
  /** Host-side mirrors that serve fetches locally; undefined: every fetch goes upstream. */
  mirrors?: GitMirrors | undefined;
}

/** The most a command section (refs to update, before the pack) may take. */
const MAX_COMMAND_BYTES = 1024 * 1024;

const ROUTE =
  /^\/git\/([^/?#]+)\/((?:[^/?#]+\/)*[^/?#]+)\.git\/(info\/refs|git-upload-pack|git-receive-pack)(?:\?(.*))?$/;
const SEGMENT = /^(?!\.\.?$)[A-Za-z0-9._-]+$/;
/** The host segment may name a port, as a git URL does (`git.example.com:8443`). */
const HOST_SEGMENT = /^(?!\.\.?(:|$))[A-Za-z0-9._-]+(:[0-9]{1,5})?$/;

const refusal = (status: Refusal['status'], code: string, message: string): Refusal => ({
  status,
  code,
  message: `Hangar: ${message}`,
});

/**
 * `/git/<host>/<owner>/<repo>.git/{info/refs,git-upload-pack,git-receive-pack}`:
 * smart HTTP to the attached repo's upstream with the real credential; a push must
 * pass the push rule before a byte of it reaches upstream.
 */
export async function handleGit(
  ctx: GitContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const match = ROUTE.exec(req.url ?? '');
  const [, host = '', path = '', service = '', query = ''] = match ?? [];
  if (!match || !HOST_SEGMENT.test(host) || !path.split('/').every((s) => SEGMENT.test(s))) {
    refuse(
      res,
      refusal(404, 'not-git', 'not a smart HTTP git URL: /git/<host>/<owner>/<repo>.git/…'),
    );
    return;
  }
  const repo = `${host.toLowerCase()}/${path}`;
  const upstream = ctx.repos.get(repo);
  if (!upstream) {
    refuse(res, refusal(403, 'repo-not-attached', `${repo} is not a repository of this session`));
    return;
  }
  const wanted = service === 'info/refs' ? 'GET' : 'POST';
  if (req.method !== wanted) {
    refuse(res, refusal(405, 'bad-method', `${service} takes ${wanted}`));
    return;
  }
  const params = new URLSearchParams(query);
  const advertised = params.get('service');
  if (
    service === 'info/refs' &&
    advertised !== 'git-upload-pack' &&
    advertised !== 'git-receive-pack'
  ) {
    refuse(res, refusal(403, 'dumb-http', 'only smart HTTP is served (?service=git-upload-pack)'));
    return;
  }

  const pushing = service === 'git-receive-pack' || advertised === 'git-receive-pack';
  if (pushing && ctx.branch === undefined) {
    refuse(res, refusal(403, 'read-only', 'this session may not push'));
    return;
  }
  const request = { method: req.method ?? 'GET', headers: req.headers };
  if (service === 'git-upload-pack' && ctx.mirrors && 'url' in upstream) {
    await uploadPack(upstream, ctx, ctx.mirrors, req, res, query);
    return;
  }
  if (service !== 'git-receive-pack') {
    await forward(upstream, ctx, request, res, req, service, query);
    return;
  }

  const gzip = /gzip/i.test(req.headers['content-encoding'] ?? '');
  const source: Readable = gzip ? req.pipe(createGunzip()) : req;
  let section: CommandSection;
  try {
    section = await readCommandSection(source);
  } catch (error) {
    req.resume();
    const why = error instanceof Error ? error.message : String(error);
    refuse(res, refusal(400, 'bad-push', `the push request is malformed: ${why}`));
    return;
  }
  const parsed = parsePushRequest(section.packets);
  if (!parsed.ok) {
    req.resume();
    refuse(res, refusal(400, 'bad-push', `the push request is malformed: ${parsed.reason}`));
    return;
  }
  const room = await roomLeft(upstream);
  const verdicts =
    checkPush(parsed.push, ctx.branch ?? '') ??
    (room !== undefined && room <= 0 ? overQuota(parsed.push.commands, upstream) : null);
  if (verdicts) {
    const caps = parsed.push.capabilities;
    if (!caps.includes('report-status') && !caps.includes('report-status-v2')) {
      req.resume();
      refuse(res, refusal(403, 'push-refused', verdicts[0]?.reason ?? 'push refused'));
      return;
    }
    // Read the rest (the pack) so the client gets our answer rather than a reset.
    source.on('data', () => undefined);
    source.once('end', () => {
      res.writeHead(200, {
        'Content-Type': 'application/x-git-receive-pack-result',
        'Cache-Control': 'no-cache',
      });
      res.end(encodeRefusal(verdicts, caps));
    });
    source.once('error', () => res.destroy());
    source.resume();
    return;
  }
  const body = new PassThrough();
  body.write(section.buffered);
  source.pipe(body);
  source.resume();
  const headers = { ...req.headers };
  if (gzip) {
    delete headers['content-encoding'];
    delete headers['content-length'];
  }
  await forward(upstream, ctx, { method: 'POST', headers }, res, body, service, query, room);
}

type UrlUpstream = Extract<GitUpstream, { url: string }>;

/** The most of an upload-pack request (wants and haves) read to serve it from a mirror. */
const MAX_FETCH_REQUEST_BYTES = 16 * 1024 * 1024;
/** The most of an upstream's ref advertisement read to check a fetch's wants. */
const MAX_ADVERTISEMENT_BYTES = 64 * 1024 * 1024;
const ADVERTISEMENT_TIMEOUT_MS = 30_000;

/**
 * A fetch, served from the host's mirror when it can be: the upstream is asked afresh
 * for its refs with this session's credential (which proves the session may read the
 * repo), every object the fetch wants must be among them, and only then is the pack
 * made from the mirror. Anything else, an `ls-refs` included, goes to the upstream
 * as before, so a session sees the refs the upstream shows it, never the mirror's.
 */
async function uploadPack(
  upstream: UrlUpstream,
  ctx: GitContext,
  mirrors: GitMirrors,
  req: IncomingMessage,
  res: ServerResponse,
  query: string,
): Promise<void> {
  const gzip = /gzip/i.test(req.headers['content-encoding'] ?? '');
  let body: Buffer;
  try {
    body = await readAll(gzip ? req.pipe(createGunzip()) : req, MAX_FETCH_REQUEST_BYTES);
  } catch (error) {
    req.resume();
    const why = error instanceof Error ? error.message : String(error);
    refuse(res, refusal(400, 'bad-fetch', `the fetch request is unreadable: ${why}`));
    return;
  }
  const headers: IncomingHttpHeaders = { ...req.headers, 'content-length': String(body.length) };
  delete headers['content-encoding'];
  delete headers['transfer-encoding'];
  const direct = () =>
    forward(
      upstream,
      ctx,
      { method: 'POST', headers },
      res,
      Readable.from([body]),
      'git-upload-pack',
      query,
    );
  const wants = fetchWants(body);
  if (!wants) return direct();
  const base = new URL(upstream.url);
  const target = await resolveUpstream(base, ctx.upstreams);
  if (!target.ok) return direct();
  let credential: Record<string, string>;
  try {
    credential = { ...upstream.headers, ...((await upstream.credential?.()) ?? {}) };
  } catch {
    return direct();
  }
  const advertised = await advertisement(base, target.address, credential);
  if (!advertised || !wants.every((oid) => advertised.oids.has(oid))) return direct();
  const mirror = await mirrors.prepare(
    {
      url: base,
      address: target.address,
      headers: credential,
      objectFormat: advertised.objectFormat,
    },
    wants,
  );
  if (!mirror.ok) return direct();
  runHttpBackend(
    {
      projectRoot: mirrors.root,
      pathInfo: `/${mirror.name}/git-upload-pack`,
      method: 'POST',
      query,
      headers,
      body: Readable.from([body]),
      // The wants were checked against the upstream's advertisement above; the mirror's
      // own refs decide nothing.
      // The upstream already chose the deltas (the mirror keeps its packs as sent): no
      // new delta search, which only costs CPU on a local transfer.
      config: [
        ['uploadpack.allowAnySHA1InWant', 'true'],
        ['pack.window', '0'],
      ],
      limits: { process: DEFAULT_GIT_PROCESS_LIMITS },
    },
    res,
  );
}

/**
 * The upstream's refs as it shows them to this credential (a v0 advertisement, asked
 * at the checked address); null when it refuses, fails or answers something else.
 */
function advertisement(
  base: URL,
  address: Parameters<typeof requestUpstream>[4],
  credential: Record<string, string>,
): Promise<Advertisement | null> {
  return new Promise((resolve) => {
    const outgoing = requestUpstream(
      base,
      'GET',
      `${base.pathname.replace(/\/+$/, '')}/info/refs?service=git-upload-pack`,
      { host: base.host, 'user-agent': 'git/hangar-mirror', ...credential },
      address,
    );
    outgoing.setTimeout(ADVERTISEMENT_TIMEOUT_MS, () => outgoing.destroy());
    outgoing.on('error', () => resolve(null));
    outgoing.on('response', (answer) => {
      if (answer.statusCode !== 200 || answer.headers['content-encoding']) {
        answer.resume();
        resolve(null);
        return;
      }
      readAll(answer, MAX_ADVERTISEMENT_BYTES).then(
        (bytes) => resolve(parseAdvertisement(bytes)),
        () => resolve(null),
      );
    });
    outgoing.end();
  });
}

/** The whole of a stream, failing past `max` bytes. */
function readAll(source: Readable, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    source.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        source.destroy();
        reject(new Error(`over ${formatBytes(max)}`));
        return;
      }
      chunks.push(chunk);
    });
    source.once('end', () => resolve(Buffer.concat(chunks)));
    source.once('error', reject);
  });
}

/** Bytes a kept repo may still grow by; undefined when it has no quota. */
async function roomLeft(upstream: GitUpstream): Promise<number | undefined> {
  if (!('repoDir' in upstream) || upstream.maxBytes === undefined) return undefined;
  return upstream.maxBytes - (await directoryBytes(upstream.repoDir));
}

function overQuota(commands: readonly { ref: string }[], upstream: GitUpstream) {
  const max = 'repoDir' in upstream ? (upstream.maxBytes ?? 0) : 0;
  const reason = `this session's repository is at its limit of ${formatBytes(max)} (HANGAR_MAX_REPO_MB)`;
  return commands.map(({ ref }) => ({ ref, reason }));
}

interface CommandSection {
  /** Packets before the flush that ends the command list. */
  packets: Packet[];
  /** Every byte read so far, flush and any pack bytes after it included. */
  buffered: Buffer;
}

/** Reads pkt-lines until the first flush (or a lone flush: the probe git sends). */
function readCommandSection(source: Readable): Promise<CommandSection> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    let offset = 0;
    const packets: Packet[] = [];
    const done = (error?: Error) => {
      source.off('data', onData);
      source.off('end', onEnd);
      source.off('error', done);
      source.pause();
      if (error) reject(error);
      else resolve({ packets, buffered });
    };
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      try {
        for (;;) {
          const read = readPacket(buffered, offset);
          if (!read) break;
          offset = read.next;
          if (read.packet.type === 'flush') {
            done();
            return;
          }
          packets.push(read.packet);
        }
      } catch (error) {
        done(error as PktLineError);
        return;
      }
      if (buffered.length > MAX_COMMAND_BYTES) done(new PktLineError('command list over 1 MiB'));
    };
    const onEnd = () => done(new PktLineError('truncated: the request ended before the flush'));
    source.on('data', onData);
    source.once('end', onEnd);
    source.once('error', done);
  });
}

/**
 * Hands a smart-HTTP request to the upstream, streaming both ways. A URL upstream is
 * dialed at the address its host was checked to have; a redirect is never followed
 * nor passed on (it could point anywhere, inside the network included).
 */
async function forward(
  upstream: GitUpstream,
  ctx: GitContext,
  req: { method: string; headers: IncomingHttpHeaders },
  res: ServerResponse,
  body: Readable,
  service: string,
  query: string,
  maxPushBytes?: number,
): Promise<void> {
  if ('repoDir' in upstream) {
    const { maxBytes } = upstream;
    runHttpBackend(
      {
        projectRoot: dirname(upstream.repoDir),
        pathInfo: `/${basename(upstream.repoDir)}/${service}`,
        method: req.method,
        query,
        headers: req.headers,
        body,
        remoteUser: `hangar-${ctx.sandboxId}`,
        ...(maxBytes === undefined
          ? {}
          : {
              limits: {
                process: { ...DEFAULT_GIT_PROCESS_LIMITS, fileBytes: maxBytes },
                maxPushBytes: maxPushBytes ?? maxBytes,
              },
            }),
      },
      res,
    );
    return;
  }
  const base = new URL(upstream.url);
  const target = await resolveUpstream(base, ctx.upstreams);
  if (!target.ok) {
    body.resume();
    const status = target.code === 'dns-failed' ? 502 : 403;
    refuse(res, refusal(status, target.code, `the git host ${base.host}: ${target.reason}`));
    return;
  }
  let credential: Record<string, string> = {};
  try {
    credential = (await upstream.credential?.()) ?? {};
  } catch (error) {
    body.resume();
    // The reason is the host's own words (e.g. a revoked token: connect again); it
    // names no secret.
    const why = error instanceof Error ? error.message : String(error);
    refuse(res, refusal(502, 'git-credential', `no credential for ${base.host}: ${why}`));
    return;
  }
  const outgoing = requestUpstream(
    base,
    req.method,
    `${base.pathname.replace(/\/+$/, '')}/${service}${query ? `?${query}` : ''}`,
    {
      ...forwardHeaders(req.headers, ['host', 'authorization', 'cookie']),
      host: base.host,
      ...upstream.headers,
      ...credential,
    },
    target.address,
  );
  outgoing.on('response', (answer) => {
    const status = answer.statusCode ?? 502;
    const { refused } = upstream;
    if (refused && (status === 401 || status === 403 || status === 404)) {
      void hostSaid(answer).then(async (said) => {
        const message = await refused(status, said).catch(
          () => `the git host ${base.host} refused this session's credential (HTTP ${status})`,
        );
        refuse(res, refusal(403, 'git-credential-refused', message));
      });
      return;
    }
    if (status >= 300 && status < 400) {
      answer.resume();
      const location = (answer.headers.location ?? '').slice(0, 200);
      refuse(
        res,
        refusal(
          502,
          'git-redirect',
          `the git host ${base.host} answered ${status} (to ${location || 'nowhere'}); Hangar does not follow redirects: use the repository's final URL`,
        ),
      );
      return;
    }
    res.writeHead(
      status,
      answer.statusMessage,
      forwardHeaders(answer.headers, ['www-authenticate', 'set-cookie']),
    );
    answer.pipe(res);
  });
  outgoing.on('error', (error: NodeJS.ErrnoException) =>
    refuse(
      res,
      refusal(
        502,
        'git-upstream-failed',
        `could not reach the git host ${base.host} (${error.code ?? error.message})`,
      ),
    ),
  );
  res.on('close', () => outgoing.destroy());
  body.pipe(outgoing);
}

/** The most of a refusal's body the git proxy reads, to name the host's reason. */
const SAID_BYTES = 1024;

/** The first line of what the host answered (at most SAID_BYTES read), `remote: ` cut. */
function hostSaid(answer: Readable): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const done = () => {
      answer.destroy();
      const line = text.split('\n').find((l) => l.trim() !== '') ?? '';
      resolve(
        line
          .replace(/^remote:\s*/, '')
          .trim()
          .slice(0, 200),
      );
    };
    answer.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (text.length >= SAID_BYTES) done();
    });
    answer.once('end', done);
    answer.once('error', done);
  });
}
