import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chownSync,
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { HangarError } from '../errors.js';
import { HOST_ENV } from './exec-env.js';
import { run } from './host-tools.js';

/**
 * Root in a sandbox is host uid 0 (see the UID MAPPING comment in bwrap-args.ts), and the
 * host's own /usr and /opt are live layers of its root: without more, it reads every file
 * there that only host root may read. Dropping capabilities would not help, root is the
 * owner. So the paths of the live layers that an unprivileged user could not read (a
 * file without the read bit for others, a directory without read or search for others)
 * are masked: a further lower layer on top of each live layer holds an overlayfs
 * whiteout at each such path, and inside the sandbox the path does not exist — for
 * every user, by any name, whatever is renamed or copied up (the whiteout is in the
 * layer stack, not a mount a process could move).
 *
 * Found with one `find` over the live layers, which takes about a second, so the result
 * is kept per fingerprint: the host's package database and the times of the live
 * layers' directories down to two levels (`/opt/<vendor>/<dir>`), which change when
 * anything is added or removed there. A file made unreadable by `chmod` deeper down,
 * in a directory that gains no entry, is masked once something near it changes or
 * the data dir's masks are removed.
 */

/** How deep the fingerprint looks: entries added in /opt/a/b/ change /opt/a/b's time. */
const FINGERPRINT_DEPTH = 2;

/** A cheap summary of the live layers that changes when entries come or go near the top. */
export function liveFingerprint(live: readonly string[]): string {
  const hash = createHash('sha256');
  const status = lstatSync('/var/lib/dpkg/status', { throwIfNoEntry: false });
  hash.update(`dpkg ${status?.mtimeMs ?? 0} ${status?.size ?? 0}\n`);
  const walk = (dir: string, depth: number) => {
    const stat = lstatSync(dir, { throwIfNoEntry: false });
    if (!stat?.isDirectory()) return;
    hash.update(`${dir} ${stat.mtimeMs} ${stat.ctimeMs} ${stat.mode}\n`);
    if (depth >= FINGERPRINT_DEPTH) return;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (entry.isDirectory()) walk(join(dir, entry.name), depth + 1);
    }
  };
  for (const layer of live) walk(join('/', layer), 0);
  return hash.digest('hex').slice(0, 16);
}

/**
 * Paths under the live layers an unprivileged user could not read: files without the
 * read bit for others, and directories without read or search for others (not entered).
 * Symlinks are not masks: they resolve inside the sandbox's own root.
 */
export function findUnreadable(live: readonly string[], find = 'find'): Promise<string[]> {
  if (live.length === 0) return Promise.resolve([]);
  const args = [
    ...live.map((layer) => join('/', layer)),
    '-xdev',
    '(',
    '-type',
    'd',
    '(',
    '!',
    '-perm',
    '-o=r',
    '-o',
    '!',
    '-perm',
    '-o=x',
    ')',
    '-prune',
    '-print0',
    ')',
    '-o',
    '(',
    '!',
    '-type',
    'd',
    '!',
    '-type',
    'l',
    '!',
    '-perm',
    '-o=r',
    '-print0',
    ')',
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(find, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...HOST_ENV },
      cwd: '/',
    });
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      // find exits 1 when some entry vanished while it looked; what it printed stands.
      if (code !== 0 && code !== 1) {
        reject(
          new HangarError(
            'sandbox_unavailable',
            503,
            `find over ${live.join(', ')} failed: ${stderr.trim()}`,
          ),
        );
        return;
      }
      resolve(Buffer.concat(chunks).toString('utf8').split('\0').filter(Boolean).sort());
    });
  });
}

/**
 * Builds (or finds) the mask layers for `live` in `dir`: `<dir>/<fingerprint>/layers/<layer>`
 * holds a whiteout at each unreadable path of `/<layer>`, and its directories carry the
 * owner, mode and times of the host's, since the top layer's directory is what a sandbox
 * sees. Returns the `layers` directory, or undefined when nothing needs masking.
 */
export async function liveMasks(dir: string, live: readonly string[]): Promise<string | undefined> {
  if (live.length === 0) return undefined;
  const target = join(dir, liveFingerprint(live));
  if (existsSync(join(target, 'done'))) {
    return existsSync(join(target, 'layers')) ? join(target, 'layers') : undefined;
  }
  const masks = await findUnreadable(live);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = `${target}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  try {
    mkdirSync(tmp, { mode: 0o700 });
    writeFileSync(join(tmp, 'masks.txt'), masks.map((m) => `${JSON.stringify(m)}\n`).join(''));
    if (masks.length > 0) {
      const layers = join(tmp, 'layers');
      const dirs = new Set<string>();
      for (const path of masks) {
        const parts = path.split('/').filter(Boolean);
        for (let i = 1; i < parts.length; i++) dirs.add(`/${parts.slice(0, i).join('/')}`);
      }
      const ordered = [...dirs].sort();
      for (const host of ordered) mkdirSync(join(layers, host), { recursive: true });
      // One shell for all whiteouts (Node has no mknod): char device 0:0 is overlayfs's.
      await run('sh', [
        '-c',
        'for p; do mknod "$p" c 0 0; done',
        'sh',
        ...masks.map((path) => join(layers, path)),
      ]);
      // Deepest first: making an entry changes its parent's times.
      for (const host of ordered.reverse()) {
        const stat = lstatSync(host);
        const copy = join(layers, host);
        chownSync(copy, stat.uid, stat.gid);
        chmodSync(copy, stat.mode & 0o7777);
        utimesSync(copy, stat.atime, stat.mtime);
      }
    }
    writeFileSync(join(tmp, 'done'), '');
    try {
      renameSync(tmp, target);
    } catch (error) {
      if (!existsSync(join(target, 'done'))) throw error; // Else another process won the race.
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return existsSync(join(target, 'layers')) ? join(target, 'layers') : undefined;
}
