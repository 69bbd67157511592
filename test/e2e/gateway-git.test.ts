import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { policyFor } from '../../src/gateway/egress-policy.js';
import { createGateway, type Gateway } from '../../src/gateway/gateway.js';
import { runHttpBackend } from '../../src/gateway/git-http-backend.js';
import type { GitUpstream } from '../../src/gateway/git-proxy.js';
import { encodePacket, readAllPackets } from '../../src/gateway/pkt-line.js';
import { parseGitHosts } from '../../src/gateway/resolver.js';
import {
  closeServer,
  listenLoopback,
  run,
  startRelay,
  tempDir,
  type Run,
} from '../../src/gateway/test-gateway.js';

// Real git clients, through the gateway's git proxy, against real `git http-backend`.
const BRANCH = 'hangar/task-1';
const TOKEN = 'ghs_real-token-only-the-host-has';
const AUTH = `Basic ${Buffer.from(`x-access-token:${TOKEN}`).toString('base64')}`;

const temp = tempDir('hangar-gw-git-');
const upstreamRoot = join(temp.dir, 'upstream');
const keptRoot = join(temp.dir, 'kept');
const home = join(temp.dir, 'home');
const gitEnv: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  HOME: home,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_TERMINAL_PROMPT: '0',
  GIT_AUTHOR_NAME: 'Agent',
  GIT_AUTHOR_EMAIL: 'agent@hangar.test',
  GIT_COMMITTER_NAME: 'Agent',
  GIT_COMMITTER_EMAIL: 'agent@hangar.test',
};

/** What the upstream git host saw: every request, with its credential. */
const upstreamLog: { url: string; authorization?: string; headers: IncomingHttpHeaders }[] = [];
const upstream = createServer((req, res) => {
  upstreamLog.push({
    url: req.url ?? '',
    authorization: req.headers.authorization,
    headers: req.headers,
  });
  if (req.headers.authorization !== AUTH) {
    res.writeHead(401, { 'www-authenticate': 'Basic realm="git"' });
    res.end('credential required\n');
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
      remoteUser: 'x-access-token',
    },
    res,
  );
});

let gateway: Gateway;
let proxyBase = '';
let socketPath = '';
let readOnlySocket = '';
let readOnlyPort = 0;
let closeRelays: (() => Promise<void>)[] = [];

async function git(args: string[], cwd = temp.dir): Promise<Run> {
  return run('git', args, { env: gitEnv, cwd, timeout: 120_000 });
}

async function ok(args: string[], cwd = temp.dir): Promise<string> {
  const result = await git(args, cwd);
  if (result.code !== 0) throw new Error(`git ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout.trim();
}

async function makeUpstream(
  root: string,
  name: string,
  format: 'sha1' | 'sha256' = 'sha1',
): Promise<void> {
  const bare = join(root, `${name}.git`);
  await ok(['init', '-q', '--bare', `--object-format=${format}`, '-b', 'main', bare]);
  const work = join(temp.dir, `seed-${name}`);
  await ok(['init', '-q', `--object-format=${format}`, '-b', 'main', work]);
  writeFileSync(join(work, 'README.md'), `# ${name}\n`);
  await ok(['add', '.'], work);
  await ok(['commit', '-q', '-m', 'first'], work);
  await ok(['tag', 'v0'], work);
  await ok(['push', '-q', bare, 'main', 'v0'], work);
}

const remotes: Record<string, GitUpstream> = {};

beforeAll(async () => {
  mkdirSync(home, { recursive: true });
  mkdirSync(upstreamRoot, { recursive: true });
  mkdirSync(keptRoot, { recursive: true });
  await makeUpstream(upstreamRoot, 'app');
  await makeUpstream(upstreamRoot, 'other');
  await makeUpstream(upstreamRoot, 'app256', 'sha256');
  await makeUpstream(keptRoot, 'bundled');
  const port = await listenLoopback(upstream);
  const base = `http://127.0.0.1:${port}`;
  remotes['git.hangar.test/acme/app'] = {
    url: `${base}/app.git`,
    headers: { authorization: AUTH },
  };
  remotes['git.hangar.test/acme/other'] = {
    url: `${base}/other.git`,
    headers: { authorization: AUTH },
  };
  remotes['git.hangar.test/acme/app256'] = {
    url: `${base}/app256.git`,
    headers: { authorization: AUTH },
  };
  remotes['git.hangar.test/acme/bundled'] = { repoDir: join(keptRoot, 'bundled.git') };
  // The upstream is on loopback: an operator-configured git host (HANGAR_GIT_HOSTS).
  gateway = createGateway({ gitHosts: parseGitHosts(base) });
  const pick = (...keys: string[]) =>
    Object.fromEntries(keys.map((key) => [key, remotes[key] as GitUpstream]));
  socketPath = join(temp.dir, 'sandbox.sock');
  await gateway.attach('sandbox-git', {
    socketPath,
    // Level none: the git proxy is the sandbox's way to its repos whatever the level.
    policy: policyFor({ level: 'none' }, []),
    branch: BRANCH,
    repos: pick(
      'git.hangar.test/acme/app',
      'git.hangar.test/acme/app256',
      'git.hangar.test/acme/bundled',
    ),
  });
  readOnlySocket = join(temp.dir, 'read-only.sock');
  await gateway.attach('sandbox-read-only', {
    socketPath: readOnlySocket,
    policy: policyFor({ level: 'none' }, []),
    repos: pick('git.hangar.test/acme/app'),
  });
  const relay = await startRelay(socketPath);
  const readOnlyRelay = await startRelay(readOnlySocket);
  closeRelays = [relay.close, readOnlyRelay.close];
  proxyBase = `http://127.0.0.1:${relay.port}/git/git.hangar.test/acme`;
  readOnlyPort = readOnlyRelay.port;
}, 60_000);

afterAll(async () => {
  for (const close of closeRelays) await close();
  await gateway.close();
  await closeServer(upstream);
  temp.remove();
});

const upstreamRef = (repo: string, ref: string) =>
  git(['--git-dir', join(upstreamRoot, `${repo}.git`), 'rev-parse', '--verify', '-q', ref]).then(
    (r) => r.stdout.trim(),
  );

async function cloneAndBranch(repo: string, dir: string): Promise<string> {
  const work = join(temp.dir, dir);
  await ok(['clone', '-q', `${proxyBase}/${repo}.git`, work]);
  await ok(['checkout', '-q', '-b', BRANCH], work);
  writeFileSync(join(work, 'change.txt'), `${dir}\n`);
  await ok(['add', '.'], work);
  await ok(['commit', '-q', '-m', `change from ${dir}`], work);
  return work;
}

describe('git proxy', () => {
  it('clones with the real credential injected; the sandbox side holds none', async () => {
    const before = upstreamLog.length;
    const work = join(temp.dir, 'clone');
    await ok(['clone', '-q', `${proxyBase}/app.git`, work]);
    expect(await ok(['log', '--format=%s'], work)).toBe('first');
    const calls = upstreamLog.slice(before);
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every((call) => call.authorization === AUTH)).toBe(true);
    const config = await ok(['config', '--list', '--show-origin'], work);
    expect(config).not.toContain(TOKEN);
  });

  it('pushes the session branch: create, update and force-update', async () => {
    const work = await cloneAndBranch('app', 'push-own');
    const created = await git(['push', 'origin', BRANCH], work);
    expect(created.code, created.stderr).toBe(0);
    expect(await upstreamRef('app', `refs/heads/${BRANCH}`)).toBe(
      await ok(['rev-parse', 'HEAD'], work),
    );
    writeFileSync(join(work, 'change.txt'), 'again\n');
    await ok(['commit', '-q', '-am', 'update'], work);
    expect((await git(['push', 'origin', BRANCH], work)).code).toBe(0);
    await ok(['commit', '-q', '--amend', '-m', 'rewritten'], work);
    const forced = await git(['push', '--force', 'origin', BRANCH], work);
    expect(forced.code, forced.stderr).toBe(0);
    expect(await upstreamRef('app', `refs/heads/${BRANCH}`)).toBe(
      await ok(['rev-parse', 'HEAD'], work),
    );
  });

  it('refuses a push to another branch, and git prints the reason', async () => {
    const work = await cloneAndBranch('app', 'push-main');
    const mainBefore = await upstreamRef('app', 'refs/heads/main');
    const result = await git(['push', 'origin', `${BRANCH}:main`], work);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(
      'remote: Hangar refused this push: this session may push only to refs/heads/hangar/task-1',
    );
    expect(result.stderr).toMatch(
      /! \[remote rejected\] +hangar\/task-1 -> main \(this session may push only to refs\/heads\/hangar\/task-1\)/,
    );
    expect(await upstreamRef('app', 'refs/heads/main')).toBe(mainBefore);
  });

  it('refuses the whole push when one ref of several is not the session branch', async () => {
    const work = await cloneAndBranch('app', 'push-both');
    const ownBefore = await upstreamRef('app', `refs/heads/${BRANCH}`);
    const result = await git(
      ['push', '--force', 'origin', BRANCH, `${BRANCH}:refs/heads/main`],
      work,
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(
      /hangar\/task-1 -> hangar\/task-1 \(refused with the rest of this push/,
    );
    expect(result.stderr).toMatch(/hangar\/task-1 -> main \(this session may push only/);
    expect(await upstreamRef('app', `refs/heads/${BRANCH}`)).toBe(ownBefore);
  });

  it('refuses tags and deleting the session branch', async () => {
    const work = await cloneAndBranch('app', 'push-tag');
    await ok(['tag', 'v1'], work);
    const tag = await git(['push', 'origin', 'v1'], work);
    expect(tag.code).not.toBe(0);
    expect(tag.stderr).toMatch(/v1 -> v1 \(this session may push only/);
    expect(await upstreamRef('app', 'refs/tags/v1')).toBe('');
    const deleted = await git(['push', 'origin', `:${BRANCH}`], work);
    expect(deleted.code).not.toBe(0);
    expect(deleted.stderr).toMatch(/\(this session may not delete refs\/heads\/hangar\/task-1\)/);
    expect(await upstreamRef('app', `refs/heads/${BRANCH}`)).not.toBe('');
  });

  it('passes the 0000 probe and a chunked push over 1 MiB to the branch', async () => {
    const work = await cloneAndBranch('app', 'push-large');
    writeFileSync(join(work, 'large.bin'), randomBytes(3 * 1024 * 1024));
    await ok(['add', '.'], work);
    await ok(['commit', '-q', '-m', 'large'], work);
    const before = upstreamLog.length;
    const result = await git(['push', '--force', 'origin', BRANCH], work);
    expect(result.code, result.stderr).toBe(0);
    expect(await upstreamRef('app', `refs/heads/${BRANCH}`)).toBe(
      await ok(['rev-parse', 'HEAD'], work),
    );
    const posts = upstreamLog
      .slice(before)
      .filter((call) => call.url.endsWith('/git-receive-pack'));
    expect(posts.some((call) => call.headers['content-length'] === '4')).toBe(true);
    expect(posts.some((call) => call.headers['transfer-encoding'] === 'chunked')).toBe(true);
  });

  it('works with SHA-256 repositories', async () => {
    const work = await cloneAndBranch('app256', 'push-256');
    expect(await ok(['rev-parse', 'HEAD'], work)).toMatch(/^[0-9a-f]{64}$/);
    expect((await git(['push', 'origin', BRANCH], work)).code).toBe(0);
    const main = await git(['push', 'origin', `${BRANCH}:main`], work);
    expect(main.stderr).toMatch(/\(this session may push only/);
  });

  it('serves a bare repo Hangar keeps through git http-backend', async () => {
    const work = await cloneAndBranch('bundled', 'push-bundled');
    expect((await git(['push', 'origin', BRANCH], work)).code).toBe(0);
    const kept = await git([
      '--git-dir',
      join(keptRoot, 'bundled.git'),
      'rev-parse',
      `refs/heads/${BRANCH}`,
    ]);
    expect(kept.stdout.trim()).toBe(await ok(['rev-parse', 'HEAD'], work));
    expect((await git(['push', 'origin', `${BRANCH}:main`], work)).code).not.toBe(0);
  });

  it('refuses repos not attached to the sandbox, with 403', async () => {
    const result = await git(['clone', '-q', `${proxyBase}/other.git`, join(temp.dir, 'other')]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/403/);
    const unknown = await git(['ls-remote', `${proxyBase}/../../../etc.git`]);
    expect(unknown.code).not.toBe(0);
  });

  it('lets a session without a branch fetch but not push', async () => {
    const url = `http://127.0.0.1:${readOnlyPort}/git/git.hangar.test/acme/app.git`;
    expect((await git(['ls-remote', url])).code).toBe(0);
    const work = await cloneAndBranch('app', 'push-read-only');
    const result = await git(['push', url, BRANCH], work);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/403/);
  });
});

/** Sends a hand-made receive-pack request, as a hostile client could. */
function receivePack(
  body: Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath,
        method: 'POST',
        path: '/git/git.hangar.test/acme/app.git/git-receive-pack',
        headers: { 'content-type': 'application/x-git-receive-pack-request', ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('git proxy against hand-made requests', () => {
  const A = 'a'.repeat(40);
  const B = 'b'.repeat(40);

  it('refuses a ref that only looks like the branch', async () => {
    const mainBefore = await upstreamRef('app', 'refs/heads/main');
    const answer = await receivePack(
      Buffer.concat([
        encodePacket(`${A} ${B} refs/heads/x/../main\0report-status\n`),
        Buffer.from('0000PACK'),
      ]),
    );
    expect(answer.status).toBe(200);
    const lines = readAllPackets(answer.body).map((p) =>
      p.type === 'data' ? p.payload.toString() : p.type,
    );
    expect(lines).toEqual([
      'unpack ok\n',
      'ng refs/heads/x/../main this session may push only to refs/heads/hangar/task-1\n',
      'flush',
    ]);
    expect(await upstreamRef('app', 'refs/heads/main')).toBe(mainBefore);
  });

  it('reads a gzip-encoded push the same way', async () => {
    const body = gzipSync(
      Buffer.concat([
        encodePacket(`${A} ${B} refs/heads/main\0report-status\n`),
        Buffer.from('0000'),
      ]),
    );
    const answer = await receivePack(body, { 'content-encoding': 'gzip' });
    expect(answer.body.toString()).toContain('ng refs/heads/main this session may push only to');
    const broken = await receivePack(Buffer.from('not gzip'), { 'content-encoding': 'gzip' });
    expect(broken.status).toBe(400);
  });

  it('fails closed on malformed pkt-lines', async () => {
    for (const body of [
      '00zz',
      '0003',
      `0100${A}`,
      encodePacket(`${A} ${B} refs/heads/${BRANCH}`).toString(),
      'garbage',
    ]) {
      const answer = await receivePack(Buffer.from(body));
      expect(answer.status, body).toBe(400);
      expect(answer.body.toString()).toMatch(/the push request is malformed/);
    }
  });

  it('refuses signed pushes', async () => {
    const cert = [
      'push-cert\0report-status\n',
      'certificate version 0.1\n',
      'pusher Agent <agent@hangar.test> 0 +0000\n',
      '\n',
      `${A} ${B} refs/heads/${BRANCH}\n`,
      'push-cert-end\n',
    ];
    const answer = await receivePack(
      Buffer.concat([...cert.map((l) => encodePacket(l)), Buffer.from('0000')]),
    );
    expect(answer.body.toString()).toContain(
      `ng refs/heads/${BRANCH} signed pushes (push-cert) are not accepted by Hangar`,
    );
  });

  it('refuses dumb HTTP and other paths', async () => {
    const get = (path: string) =>
      new Promise<number>((resolve, reject) => {
        request({ socketPath, path }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
          .on('error', reject)
          .end();
      });
    expect(await get('/git/git.hangar.test/acme/app.git/info/refs')).toBe(403);
    expect(await get('/git/git.hangar.test/acme/app.git/HEAD')).toBe(404);
    expect(await get('/git/git.hangar.test/acme/app.git/objects/info/packs')).toBe(404);
  });
});
