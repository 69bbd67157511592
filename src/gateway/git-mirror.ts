import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import {
  configEnv,
  DEFAULT_GIT_PROCESS_LIMITS,
  directoryBytes,
  limitedGitArgs,
} from '../git/repo-limits.js';
import { HOST_ENV } from '../sandbox/exec-env.js';
import type { IpAddress } from './ip-class.js';

/**
 * Host-side mirrors of upstream repos, so a repo's second clone is served from local
 * disk. A mirror is written only by `git fetch` from its upstream, and trusted for
 * objects alone: which refs a clone sees, and which objects it may want, come from the
 * upstream's own advertisement to that session's credential (git-proxy.ts), never from
 * the mirror's refs. One bare repo per upstream URL, in `<dataDir>/git-mirrors/`.
 */
export interface GitMirrors {
  /** The directory holding the mirrors (a GIT_PROJECT_ROOT for `git http-backend`). */
  readonly root: string;
  /**
   * Makes the mirror of `source` hold every object in `wants`, fetching from the
   * upstream (with this session's credential, one fetch at a time per repo) when any
   * is missing. Not ok: serve from the upstream directly; the reason is logged.
   */
  prepare(source: MirrorSource, wants: readonly string[]): Promise<MirrorReady>;
}

/** An upstream repo as the mirror fetches it. */
export interface MirrorSource {
  /** The smart-HTTP URL (any user:password in it is ignored, as the proxy ignores it). */
  url: URL;
  /** The address the resolver approved for the URL's host: the fetch dials only this. */
  address: IpAddress;
  /** The session's credential and other headers the upstream wants. */
  headers: Readonly<Record<string, string>>;
  objectFormat: 'sha1' | 'sha256';
}

export type MirrorReady = { ok: true; name: string } | { ok: false; reason: string };

export interface GitMirrorsOptions {
  root: string;
  /** The most one mirror may take on disk (HANGAR_MAX_REPO_MB); past it, it is removed. */
  maxBytes: number;
  /** How long one fetch may run (default 10 minutes). */
  fetchTimeoutMs?: number;
  logger: Pick<Logger, 'warn' | 'info'>;
}

const FETCH_TIMEOUT_MS = 10 * 60 * 1000;
/** The most of a git process's stderr kept for the log. */
const STDERR_BYTES = 4096;

/** The mirror's directory name for an upstream: a hash of its URL (credentials cut). */
export function mirrorName(url: URL, objectFormat: 'sha1' | 'sha256'): string {
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  const path = url.pathname.replace(/\/+$/, '');
  const key = `${objectFormat} ${url.protocol}//${url.hostname.toLowerCase()}:${port}${path}`;
  return `${createHash('sha256').update(key).digest('hex').slice(0, 32)}.git`;
}

/** Whether `HANGAR_GIT_MIRROR` leaves mirrors on (anything but `0`). */
export function mirrorsEnabled(env: NodeJS.ProcessEnv): boolean {
  return env.HANGAR_GIT_MIRROR?.trim() !== '0';
}

export function createGitMirrors(options: GitMirrorsOptions): GitMirrors {
  const { root, logger } = options;
  const fetching = new Map<string, Promise<void>>();

  /** One fetch per mirror at a time: a clone that finds one running waits for it. */
  function sharedFetch(name: string, source: MirrorSource): Promise<void> {
    const running = fetching.get(name);
    if (running) return running;
    const started = fetchInto(join(root, name), source, options).finally(() =>
      fetching.delete(name),
    );
    fetching.set(name, started);
    return started;
  }

  async function prepare(source: MirrorSource, wants: readonly string[]): Promise<MirrorReady> {
    const name = mirrorName(source.url, source.objectFormat);
    const dir = join(root, name);
    const upstream = `${source.url.origin}${source.url.pathname}`;
    try {
      if (existsSync(dir) && !(await readable(dir))) {
        // A mirror git cannot read (a half-written or damaged repo): start it afresh.
        rmSync(dir, { recursive: true, force: true });
        throw new Error(
          'git could not read the mirror; removed it, the next clone fetches it again',
        );
      }
      if (existsSync(dir) && (await holdsAll(dir, wants))) return { ok: true, name };
      const running = fetching.get(name);
      if (running) {
        await running;
        if (await holdsAll(dir, wants)) return { ok: true, name };
      }
      await sharedFetch(name, source);
      if (await holdsAll(dir, wants)) return { ok: true, name };
      // The upstream moved between its advertisement and the fetch: not a fault.
      return { ok: false, reason: 'the upstream changed while the mirror fetched' };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      logger.warn(
        { upstream, mirror: dir, reason },
        'git mirror unavailable: this clone is served from the upstream directly',
      );
      return { ok: false, reason };
    }
  }

  return { root, prepare };
}

/** The fixed environment of every host git process run on a mirror. */
function mirrorEnv(root: string, config: readonly (readonly [string, string])[] = []) {
  return {
    ...HOST_ENV,
    // Nothing of the host user's or the system's git config applies.
    HOME: root,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    ...configEnv(config),
  };
}

/**
 * `git fetch` of the upstream's branches and tags into the mirror, dialing only the
 * approved address (`http.curloptResolve`), following no redirect, with the credential
 * in the environment (never argv), under rlimits and a timeout. Creates the mirror first.
 */
async function fetchInto(dir: string, source: MirrorSource, options: GitMirrorsOptions) {
  const root = options.root;
  if (!existsSync(dir)) {
    mkdirSync(root, { recursive: true, mode: 0o700 });
    const temp = `${dir}.${randomBytes(6).toString('hex')}.tmp`;
    await git(
      ['init', '-q', '--bare', `--object-format=${source.objectFormat}`, temp],
      root,
      mirrorEnv(root),
    );
    renameSync(temp, dir);
  }
  const url = new URL(source.url.href);
  url.username = '';
  url.password = '';
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  const address = source.address.family === 6 ? `[${source.address.text}]` : source.address.text;
  const config: [string, string][] = [
    ['protocol.allow', 'never'],
    ['protocol.http.allow', 'always'],
    ['protocol.https.allow', 'always'],
    ['http.followRedirects', 'false'],
    ['http.userAgent', 'git/hangar-mirror'],
    ['gc.auto', '0'],
    ['maintenance.auto', 'false'],
    ['fetch.unpackLimit', '1'],
    ['fetch.writeCommitGraph', 'false'],
    ...Object.entries(source.headers).map(
      ([name, value]) => ['http.extraHeader', `${name}: ${value}`] as [string, string],
    ),
  ];
  // A literal address in the URL is dialed as is; a name only at the approved address.
  if (host !== source.address.text)
    config.push(['http.curloptResolve', `${host}:${port}:${address}`]);
  await git(
    [
      `--git-dir=${dir}`,
      'fetch',
      '--quiet',
      '--prune',
      '--no-tags',
      '--no-write-fetch-head',
      '--no-recurse-submodules',
      '--',
      url.href,
      '+refs/heads/*:refs/heads/*',
      '+refs/tags/*:refs/tags/*',
    ],
    root,
    mirrorEnv(root, config),
    { fileBytes: options.maxBytes, timeoutMs: options.fetchTimeoutMs ?? FETCH_TIMEOUT_MS },
  );
  // A reachability bitmap over its packs lets upload-pack send a clone's pack nearly
  // as stored, as the upstream's bitmaps let it; without one it still works, slower.
  await git([`--git-dir=${dir}`, 'multi-pack-index', 'write', '--bitmap'], root, mirrorEnv(root), {
    fileBytes: options.maxBytes,
    timeoutMs: options.fetchTimeoutMs ?? FETCH_TIMEOUT_MS,
  }).catch((error: unknown) =>
    options.logger.info({ mirror: dir, error: String(error) }, 'git mirror: no bitmap written'),
  );
  const bytes = await directoryBytes(dir);
  if (bytes > options.maxBytes) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(
      `the mirror took ${bytes} bytes, over its limit of ${options.maxBytes} (HANGAR_MAX_REPO_MB); removed`,
    );
  }
}

/** Whether git can open the mirror as a repository at all. */
async function readable(dir: string): Promise<boolean> {
  const root = join(dir, '..');
  try {
    await git([`--git-dir=${dir}`, 'rev-parse', '--git-dir'], root, mirrorEnv(root));
    return true;
  } catch {
    return false;
  }
}

/** Whether the mirror holds every object named (`git cat-file --batch-check`). */
async function holdsAll(dir: string, oids: readonly string[]): Promise<boolean> {
  const root = join(dir, '..');
  const out = await git(
    [`--git-dir=${dir}`, 'cat-file', '--batch-check=%(objectname)'],
    root,
    mirrorEnv(root),
    { input: oids.map((oid) => `${oid}\n`).join('') },
  );
  return !out.split('\n').some((line) => line.endsWith(' missing'));
}

/** Runs host git under rlimits; rejects with its stderr's start on failure or timeout. */
function git(
  args: string[],
  cwd: string,
  env: Record<string, string>,
  options: { fileBytes?: number; timeoutMs?: number; input?: string } = {},
): Promise<string> {
  const limits = {
    ...DEFAULT_GIT_PROCESS_LIMITS,
    ...(options.fileBytes === undefined ? {} : { fileBytes: options.fileBytes }),
  };
  return new Promise((resolve, reject) => {
    // Its own process group, so a timeout ends the helpers git starts too.
    const child = spawn('sh', limitedGitArgs(args, limits), {
      cwd,
      env,
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      if (stdout.length < 16 * 1024 * 1024) stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < STDERR_BYTES) stderr += chunk.toString();
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
    const timer = setTimeout(() => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }, options.timeoutMs ?? FETCH_TIMEOUT_MS);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else {
        const why = stderr.trim().slice(0, 500) || `killed by ${signal ?? 'a signal'}`;
        reject(new Error(`git ${args.find((a) => !a.startsWith('-')) ?? ''} failed: ${why}`));
      }
    });
  });
}
