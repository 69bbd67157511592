import { existsSync, mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { policyFor } from '../../src/gateway/egress-policy.js';
import { createGateway, type Gateway } from '../../src/gateway/gateway.js';
import { runHttpBackend } from '../../src/gateway/git-http-backend.js';
import { createGitMirrors, mirrorName } from '../../src/gateway/git-mirror.js';
import type { GitUpstream } from '../../src/gateway/git-proxy.js';
import { parseIpLiteral, type IpAddress } from '../../src/gateway/ip-class.js';
import { encodePacket } from '../../src/gateway/pkt-line.js';
import { parseGitHosts } from '../../src/gateway/resolver.js';
import {
  closeServer,
  listenLoopback,
  run,
  startRelay,
  tempDir,
  type Run,
} from '../../src/gateway/test-gateway.js';

// Repeat clones from the gateway's host-side mirror: real git clients, a real gateway,
// real `git http-backend` as the upstream, each rule attacked.
const TOKEN = 'ghs_reads-acme-app';
const AUTH = `Basic ${Buffer.from(`x-access-token:${TOKEN}`).toString('base64')}`;
/** A credential the host knows, for another account: it may not read acme/app. */
const OTHER_AUTH = `Basic ${Buffer.from('x-access-token:ghs_another-account').toString('base64')}`;

const temp = tempDir('hangar-mirror-');
const upstreamRoot = join(temp.dir, 'upstream');
const bare = join(upstreamRoot, 'app.git');
const home = join(temp.dir, 'home');
const gitEnv: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  HOME: home,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_TERMINAL_PROMPT: '0',
  GIT_AUTHOR_NAME: 'Dev',
  GIT_AUTHOR_EMAIL: 'dev@hangar.test',
  GIT_COMMITTER_NAME: 'Dev',
  GIT_COMMITTER_EMAIL: 'dev@hangar.test',
};

/** Each request the upstream answered: what it was, and who sent it. */
interface Call {
  url: string;
  userAgent: string;
  authorization?: string | undefined;
  /** A POST whose body asks for objects (a v2 `command=fetch` or v0 `want` lines). */
  fetch: boolean;
}
const calls: Call[] = [];
const upstream = createServer((req, res) => {
  const call: Call = {
    url: req.url ?? '',
    userAgent: req.headers['user-agent'] ?? '',
    authorization: req.headers.authorization,
    fetch: false,
  };
  calls.push(call);
  let head = '';
  req.on('data', (chunk: Buffer) => {
    if (head.length > 512) return;
    head += chunk.toString('latin1');
    call.fetch = /command=fetch|^[0-9a-f]{4}want /.test(head);
  });
  // Like GitHub: a credential that may not read the repo gets 404.
  if (req.headers.authorization !== AUTH) {
    req.resume();
    res.writeHead(req.headers.authorization === OTHER_AUTH ? 404 : 401);
    res.end('Repository not found.\n');
    return;
  }
  const url = new URL(req.url ?? '/', 'http://upstream');
  runHttpBackend(
    {
      projectRoot: upstreamRoot,
      pathInfo: decodeURIComponent(url.pathname),
      method: req.method ?? 'GET',
      query: url.search.slice(1),
      headers: req.headers,
      body: req,
    },
    res,
  );
});

const logLines: string[] = [];
const logger = pino({ level: 'info' }, { write: (line: string) => logLines.push(line) });

const mirrorsRoot = join(temp.dir, 'mirrors');
let gateway: Gateway;
const gateways: Gateway[] = [];
const relays: (() => Promise<void>)[] = [];
let upstreamUrl = '';
let port = 0;

async function git(args: string[], cwd = temp.dir): Promise<Run> {
  return run('git', args, { env: gitEnv, cwd, timeout: 120_000 });
}

async function ok(args: string[], cwd = temp.dir): Promise<string> {
  const result = await git(args, cwd);
  if (result.code !== 0) throw new Error(`git ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout.trim();
}

/** Attaches a sandbox with `repos`; returns its socket and the git URL its relay serves. */
async function session(
  on: Gateway,
  id: string,
  repos: Record<string, GitUpstream>,
): Promise<{ socketPath: string; url: string }> {
  const socketPath = join(temp.dir, `${id}.sock`);
  await on.attach(id, { socketPath, policy: policyFor({ level: 'none' }, []), repos });
  const relay = await startRelay(socketPath);
  relays.push(relay.close);
  return { socketPath, url: `http://127.0.0.1:${relay.port}/git/git.hangar.test/acme/app.git` };
}

let counter = 0;
/** A new session on acme/app with the reading credential, like each new Hangar session. */
const newSession = (headers = { authorization: AUTH }) =>
  session(gateway, `s${++counter}`, {
    'git.hangar.test/acme/app': { url: upstreamUrl, headers },
  });

const mirrorDir = () => join(mirrorsRoot, mirrorName(new URL(upstreamUrl), 'sha1'));

/** Commits a file to a new branch of the upstream; returns the commit. */
async function pushBranch(branch: string, content: string): Promise<string> {
  const work = join(temp.dir, `work-${branch}`);
  await ok(['clone', '-q', bare, work]);
  await ok(['checkout', '-q', '-b', branch], work);
  writeFileSync(join(work, `${branch}.txt`), content);
  await ok(['add', '.'], work);
  await ok(['commit', '-q', '-m', branch], work);
  await ok(['push', '-q', 'origin', branch], work);
  return ok(['rev-parse', 'HEAD'], work);
}

/** A hand-made protocol v2 fetch of `oid`, as a hostile sandbox could send it. */
function fetchByHand(socketPath: string, oid: string): Promise<{ status: number; body: string }> {
  const body = Buffer.concat([
    encodePacket('command=fetch\n'),
    Buffer.from('0001'),
    encodePacket(`want ${oid}\n`),
    encodePacket('done\n'),
    Buffer.from('0000'),
  ]);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath,
        method: 'POST',
        path: '/git/git.hangar.test/acme/app.git/git-upload-pack',
        headers: {
          'content-type': 'application/x-git-upload-pack-request',
          'git-protocol': 'version=2',
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('latin1') }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Clones through a session and returns the clone and the upstream calls it made. */
async function cloneThrough(url: string, dir: string): Promise<{ work: string; made: Call[] }> {
  const before = calls.length;
  const work = join(temp.dir, dir);
  await ok(['clone', '-q', url, work]);
  return { work, made: calls.slice(before) };
}

const clientFetches = (made: Call[]) =>
  made.filter((call) => call.fetch && call.userAgent !== 'git/hangar-mirror');
const mirrorFetches = (made: Call[]) =>
  made.filter((call) => call.fetch && call.userAgent === 'git/hangar-mirror');

beforeAll(async () => {
  mkdirSync(home, { recursive: true });
  mkdirSync(upstreamRoot, { recursive: true });
  await ok(['init', '-q', '--bare', '-b', 'main', bare]);
  const seed = join(temp.dir, 'seed');
  await ok(['init', '-q', '-b', 'main', seed]);
  writeFileSync(join(seed, 'README.md'), '# app\n');
  await ok(['add', '.'], seed);
  await ok(['commit', '-q', '-m', 'first'], seed);
  await ok(['tag', 'v1'], seed);
  await ok(['push', '-q', bare, 'main', 'v1'], seed);
  port = await listenLoopback(upstream);
  upstreamUrl = `http://127.0.0.1:${port}/app.git`;
  gateway = createGateway({
    // The upstream is on loopback: an operator-configured git host (HANGAR_GIT_HOSTS).
    gitHosts: parseGitHosts(`http://127.0.0.1:${port}`),
    gitMirrors: createGitMirrors({ root: mirrorsRoot, maxBytes: 1024 ** 3, logger }),
  });
  gateways.push(gateway);
}, 60_000);

afterAll(async () => {
  for (const close of relays) await close();
  for (const each of gateways) await each.close();
  await closeServer(upstream);
  temp.remove();
});

describe('git mirror', () => {
  it("serves a second session's clone from the mirror, as a full independent clone", async () => {
    const first = await cloneThrough((await newSession()).url, 'first');
    // Session 1: the mirror fetched the repo once; the client's fetch was served by it.
    expect(mirrorFetches(first.made)).toHaveLength(1);
    expect(clientFetches(first.made)).toHaveLength(0);
    expect(first.made.every((call) => call.authorization === AUTH)).toBe(true);

    // With a reachability bitmap, so a clone's pack is sent nearly as stored.
    const packs = readdirSync(join(mirrorDir(), 'objects', 'pack'));
    expect(packs.some((name) => name.endsWith('.bitmap'))).toBe(true);

    const second = await cloneThrough((await newSession()).url, 'second');
    // Session 2: the upstream was asked for refs only; no pack came from it.
    expect(second.made.length).toBeGreaterThan(0);
    expect(second.made.filter((call) => call.fetch)).toHaveLength(0);
    expect(await ok(['rev-parse', 'HEAD'], second.work)).toBe(
      await ok(['--git-dir', bare, 'rev-parse', 'main']),
    );
    expect(await ok(['tag'], second.work)).toBe('v1');

    // Its own objects: no alternates, and whole without the mirror.
    expect(existsSync(join(second.work, '.git/objects/info/alternates'))).toBe(false);
    const aside = `${mirrorsRoot}-aside`;
    renameSync(mirrorsRoot, aside);
    try {
      expect((await git(['fsck', '--full', '--strict'], second.work)).code).toBe(0);
    } finally {
      renameSync(aside, mirrorsRoot);
    }
  });

  it('refuses a credential that cannot read the repo, though the mirror holds it', async () => {
    const main = await ok(['--git-dir', bare, 'rev-parse', 'main']);
    expect((await git(['--git-dir', mirrorDir(), 'cat-file', '-e', main])).code).toBe(0);
    const other = await newSession({ authorization: OTHER_AUTH });
    const cloned = await git(['clone', '-q', other.url, join(temp.dir, 'other')]);
    expect(cloned.code).not.toBe(0);
    // The upstream's own answer to that credential (GitHub's 404), passed on.
    expect(cloned.stderr).toMatch(/not found/);
    // Straight to the fetch, skipping the ref advertisement: still refused, no pack.
    const byHand = await fetchByHand(other.socketPath, main);
    expect(byHand.status).toBe(404);
    expect(byHand.body).not.toContain('PACK');
  });

  it('does not serve a ref deleted upstream', async () => {
    const doomed = await pushBranch('doomed', 'secret that was pushed by mistake\n');
    const before = await cloneThrough((await newSession()).url, 'with-doomed');
    expect(await ok(['branch', '-r'], before.work)).toContain('origin/doomed');
    expect((await git(['--git-dir', mirrorDir(), 'cat-file', '-e', doomed])).code).toBe(0);

    await ok(['--git-dir', bare, 'update-ref', '-d', 'refs/heads/doomed']);
    await ok(['--git-dir', bare, 'reflog', 'expire', '--expire=now', '--all']);
    await ok(['--git-dir', bare, 'gc', '-q', '--prune=now']);

    const next = await newSession();
    const after = await cloneThrough(next.url, 'without-doomed');
    expect(await ok(['branch', '-r'], after.work)).not.toContain('doomed');
    // The mirror still has the commit, but asking for it by id gets no pack.
    expect((await git(['--git-dir', mirrorDir(), 'cat-file', '-e', doomed])).code).toBe(0);
    const byHand = await fetchByHand(next.socketPath, doomed);
    expect(byHand.body).not.toContain('PACK');
    expect(byHand.body).not.toContain('secret');
  });

  it('never serves what was put into the mirror by hand', async () => {
    const main = await ok(['--git-dir', bare, 'rev-parse', 'main']);
    const work = join(temp.dir, 'planter');
    await ok(['clone', '-q', bare, work]);
    writeFileSync(join(work, 'planted.txt'), 'not from the upstream\n');
    await ok(['add', '.'], work);
    await ok(['commit', '-q', '-m', 'planted'], work);
    const planted = await ok(['rev-parse', 'HEAD'], work);
    await ok(
      ['push', '-q', '-f', mirrorDir(), 'HEAD:refs/heads/planted', 'HEAD:refs/heads/main'],
      work,
    );

    const next = await newSession();
    const { work: clone } = await cloneThrough(next.url, 'after-planting');
    expect(await ok(['rev-parse', 'HEAD'], clone)).toBe(main);
    expect(await ok(['branch', '-r'], clone)).not.toContain('planted');
    const remote = await ok(['ls-remote', next.url]);
    expect(remote).not.toContain(planted);
    const byHand = await fetchByHand(next.socketPath, planted);
    expect(byHand.body).not.toContain('PACK');
  });

  it('falls back to the upstream when the mirror is damaged, and says so in the log', async () => {
    writeFileSync(join(mirrorDir(), 'HEAD'), 'garbage\n');
    const logged = logLines.length;
    const damaged = await cloneThrough((await newSession()).url, 'damaged');
    expect(clientFetches(damaged.made)).toHaveLength(1);
    expect(await ok(['log', '--format=%s'], damaged.work)).toContain('first');
    const said = logLines.slice(logged).join('');
    expect(said).toContain(
      'git mirror unavailable: this clone is served from the upstream directly',
    );

    // The next clone builds the mirror again and is served from it.
    await cloneThrough((await newSession()).url, 'rebuilt');
    const again = await cloneThrough((await newSession()).url, 'from-rebuilt');
    expect(again.made.filter((call) => call.fetch)).toHaveLength(0);
  });

  it("keeps the gateway's address rules for the mirror's fetch", async () => {
    const loopback = parseIpLiteral('127.0.0.1') as IpAddress;
    // A name that resolves to loopback, neither pinned nor a configured git host.
    const strictRoot = join(temp.dir, 'strict-mirrors');
    const strict = createGateway({
      lookup: () => Promise.resolve(['127.0.0.1']),
      gitMirrors: createGitMirrors({ root: strictRoot, maxBytes: 1024 ** 3, logger }),
    });
    gateways.push(strict);
    const url = `http://git.inside.test:${port}/app.git`;
    const refused = await session(strict, 'strict', {
      'git.hangar.test/acme/app': { url, headers: { authorization: AUTH } },
    });
    const before = calls.length;
    const result = await git(['clone', '-q', refused.url, join(temp.dir, 'strict')]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/403/);
    const main = await ok(['--git-dir', bare, 'rev-parse', 'main']);
    const byHand = await fetchByHand(refused.socketPath, main);
    expect(byHand.status).toBe(403);
    expect(byHand.body).toContain('loopback');
    expect(calls.length).toBe(before);
    expect(existsSync(strictRoot) ? readdirSync(strictRoot) : []).toEqual([]);

    // Pinned by the operator to loopback, and unknown to DNS: the mirror's git fetch
    // reaches it only by dialing the approved address.
    const pinnedRoot = join(temp.dir, 'pinned-mirrors');
    const pinned = createGateway({
      pins: new Map([['git.pinned.test', loopback]]),
      lookup: () => Promise.reject(Object.assign(new Error('no such name'), { code: 'ENOTFOUND' })),
      gitMirrors: createGitMirrors({ root: pinnedRoot, maxBytes: 1024 ** 3, logger }),
    });
    gateways.push(pinned);
    const repos = {
      'git.hangar.test/acme/app': {
        url: `http://git.pinned.test:${port}/app.git`,
        headers: { authorization: AUTH },
      },
    };
    const one = await session(pinned, 'pinned-1', repos);
    const cold = await cloneThrough(one.url, 'pinned-1');
    expect(mirrorFetches(cold.made)).toHaveLength(1);
    const two = await session(pinned, 'pinned-2', repos);
    const warm = await cloneThrough(two.url, 'pinned-2');
    expect(warm.made.filter((call) => call.fetch)).toHaveLength(0);
  });

  it('shares one fetch among concurrent clones of one repo', async () => {
    await pushBranch('busy', 'new work\n');
    const sessions = await Promise.all([newSession(), newSession(), newSession()]);
    const before = calls.length;
    await Promise.all(
      sessions.map((each, i) => ok(['clone', '-q', each.url, join(temp.dir, `together-${i}`)])),
    );
    const made = calls.slice(before);
    expect(mirrorFetches(made)).toHaveLength(1);
    expect(clientFetches(made)).toHaveLength(0);
  });
});
