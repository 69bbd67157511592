import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { HangarError } from '../errors.js';
import type { Base } from './base.js';
import { holderArgs, hostProcHas } from './bwrap-args.js';
import { viaArgsFd, writeArgsFd, writeFd } from './bwrap-pipes.js';
import { procsFiles, type CgroupPaths } from './cgroups.js';
import type { Bind } from './driver.js';
import { HOST_ENV } from './exec-env.js';
import type { UserIds } from './identity.js';
import { namespaceInodes, type Running } from './namespaces.js';
import { bindViews, sandboxFiles } from './sandbox-dir.js';

/**
 * The holder: the process that keeps a started sandbox's mounts and namespaces. When
 * it dies the kernel unmounts them all, so a crash cannot leave mounts behind.
 */

/** The most kept of each holder pipe (its start-up messages are a few bytes). */
const MAX_HOLDER_OUTPUT = 64 * 1024;

/**
 * The holder's script, run by `sh` in its private mount namespace with the cgroups'
 * `cgroup.procs` files, `--`, and the bwrap command as arguments, and HolderEnv.
 */
export const HOLDER_SCRIPT = [
  'set -e',
  // The prepared network namespace's fd (nsenter has entered it): not for the sandbox.
  'exec 6<&-',
  'for f in "$@"; do shift; [ "$f" = -- ] && break; echo $$ > "$f"; done',
  'cd "$DIR"',
  'mount -t ext4 -o loop,nosuid,nodev,noinit_itable,discard disk.img disk',
  // First start only (writeIdentity): `user` becomes the sandbox's own host uid.
  'if [ -d identity ]; then',
  '  cat identity/passwd > disk/upper/root/etc/passwd',
  '  cat identity/group > disk/upper/root/etc/group',
  '  chown -h "$IDS" disk/upper/root/home/user',
  '  rm -r identity',
  'fi',
  'mount --bind "$LOWER" lower',
  // Setup-cache layers over the base, the last one on top (overlayfs lists top first).
  'rootlower=lower',
  'i=0',
  'for l in $LAYERS; do',
  '  mount --bind "$l" "layers/$i"',
  '  rootlower="layers/$i/root:$rootlower"',
  '  i=$((i + 1))',
  'done',
  'mount -t overlay overlay -o "lowerdir=$rootlower,upperdir=disk/upper/root,workdir=disk/work/root,nosuid,nodev" root',
  // Each live layer under its masks, if it has any (a whiteout over each path only
  // host root may read: see live-masks.ts).
  'if [ -n "$MASKS" ]; then mount --bind "$MASKS" masks; fi',
  'for d in $LIVE; do',
  '  lower=/$d',
  '  if [ -n "$MASKS" ] && [ -d "masks/$d" ]; then lower="masks/$d:/$d"; fi',
  '  i=0',
  '  for l in $LAYERS; do',
  '    if [ -d "layers/$i/$d" ]; then lower="layers/$i/$d:$lower"; fi',
  '    i=$((i + 1))',
  '  done',
  '  mount -t overlay overlay -o "lowerdir=$lower,upperdir=disk/upper/$d,workdir=disk/work/$d,nosuid,nodev" "root/$d"',
  'done',
  'i=0',
  'for s in $BINDS; do',
  '  mount --bind "$s" "binds/$i.src"',
  '  mount -t overlay overlay -o "lowerdir=binds/$i.src:empty,nosuid,nodev" "binds/$i"',
  '  i=$((i + 1))',
  'done',
  'cd /',
  // bwrap is the sandbox's pid 1: its environment must not tell the host's paths.
  'unset DIR LOWER LIVE BINDS MASKS IDS LAYERS OLDPWD d s i f l lower rootlower',
  'exec "$@"',
].join('\n');

/** What the holder script reads from its environment (host paths: unset before bwrap). */
export function holderEnv(options: {
  dir: string;
  base: Pick<Base, 'lower' | 'live'>;
  masks: string | undefined;
  binds: readonly Bind[];
  ids: UserIds;
  layers?: readonly string[];
}): Record<string, string> {
  return {
    ...HOST_ENV,
    DIR: options.dir,
    LOWER: options.base.lower,
    LIVE: options.base.live.join(' '),
    MASKS: options.masks ?? '',
    BINDS: options.binds.map((bind) => bind.source).join(' '),
    IDS: `${options.ids.uid}:${options.ids.gid}`,
    LAYERS: (options.layers ?? []).join(' '),
  };
}

/** The pid of bwrap's child from what bwrap wrote to its info fd so far, once it is whole. */
export function parseChildPid(info: string): number | undefined {
  try {
    return (JSON.parse(info) as { 'child-pid': number })['child-pid'];
  } catch {
    return undefined; // Not all of it yet.
  }
}

export interface HolderOptions {
  id: string;
  /** The sandbox's directory (sandbox-dir.ts). */
  dir: string;
  base: Base;
  binds: readonly Bind[];
  /** Read-only layers over the base (a setup cache's), lowest first. */
  layers: readonly string[];
  cgroups: CgroupPaths;
  ids: UserIds;
  /** The live layers' mask layers (live-masks.ts), if any path needs hiding. */
  masks: string | undefined;
  tools: { unshare: string; sh: string; bwrap: string; nsenter: string };
  /**
   * A prepared network namespace (gateway-netns.ts) to start in, as an open fd; without
   * it bwrap makes a new one with only `lo`.
   */
  netnsFd?: number;
  /** The compiled seccomp filter. */
  seccomp: Buffer;
  /** Holders this process started, by sandbox id: the holder is added and removed on exit. */
  children: Map<string, ChildProcess>;
}

/**
 * Starts the holder: `unshare -m` gives it a private mount namespace, where a short
 * script joins the cgroups (before anything can fork), mounts the disk image and the
 * overlays, and becomes bwrap, whose child is the sandbox's pid 1.
 *
 * The sandbox reads its mounts' options in /proc/self/mountinfo, so none may name a
 * host path (it would tell where its disk lives): the script works from the sandbox's
 * directory and passes overlayfs relative paths (`upperdir=disk/upper/root`), which
 * the kernel shows as given; the base is bound at `lower` first. Binds are shown
 * through a read-only overlay: a bind mount's mountinfo root is its source's path.
 */
export function startHolder(options: HolderOptions): Promise<Running> {
  const { id, dir, tools } = options;
  for (const name of ['lower', 'empty', 'binds', 'masks']) {
    mkdirSync(join(dir, name), { recursive: true, mode: 0o700 });
  }
  options.layers.forEach((_, i) => {
    mkdirSync(join(dir, 'layers', `${i}`), { recursive: true, mode: 0o700 });
  });
  options.binds.forEach((_, i) => {
    mkdirSync(join(dir, 'binds', `${i}.src`), { recursive: true });
    mkdirSync(join(dir, 'binds', `${i}`), { recursive: true });
  });
  const netnsFd = options.netnsFd;
  const keepNet = netnsFd !== undefined;
  const holder = holderArgs(
    sandboxFiles(dir).root,
    hostProcHas,
    5,
    bindViews(dir, options.binds),
    keepNet,
  );
  // In a prepared namespace: nsenter joins it (fd 6) first, and the script closes fd 6.
  const command = keepNet ? tools.nsenter : tools.unshare;
  const prefix = keepNet ? ['--net=/proc/self/fd/6', '--', tools.unshare] : [];
  const child = spawn(
    command,
    [
      ...prefix,
      '--mount',
      '--propagation',
      'private',
      '--',
      tools.sh,
      '-c',
      HOLDER_SCRIPT,
      'sh',
      ...procsFiles(options.cgroups),
      '--',
      tools.bwrap,
      ...viaArgsFd(holder, 4),
    ],
    {
      // fd 3: bwrap's info; 4: its options; 5: the seccomp filter; 6: the namespace.
      stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe', 'pipe', ...(keepNet ? [netnsFd] : [])],
      cwd: '/',
      env: holderEnv(options),
    },
  );
  writeArgsFd(child, 4, holder);
  writeFd(child, 5, options.seccomp);
  options.children.set(id, child);
  child.on('exit', () => {
    if (options.children.get(id) === child) options.children.delete(id);
  });
  return holderStarted(child, id);
}

/** Resolves once the holder is up and its namespaces are known; rejects (killing it) if not. */
function holderStarted(child: ChildProcess, id: string): Promise<Running> {
  return new Promise<Running>((resolve, reject) => {
    let stderr = '';
    let info = '';
    let ready = '';
    let initPid: number | undefined;
    // The holder's pipes stay open for the sandbox's life, and root inside can write to
    // them through /proc/<pid>/fd: keep only what a start-up failure message needs.
    child.stderr?.on('data', (chunk: Buffer) => {
      if (stderr.length < MAX_HOLDER_OUTPUT) stderr += chunk.toString();
    });
    const fail = (why: string) => {
      try {
        child.kill('SIGKILL');
      } catch {
        // Gone.
      }
      reject(new HangarError('sandbox_start_failed', 500, `Sandbox ${id} did not start: ${why}`));
    };
    // Started once bwrap said who its child is (fd 3) AND that child has set itself up
    // and run the holder command, which says "ready" (fd 1). Before that, bwrap's
    // child may not yet have asked to die with its parent.
    const settle = () => {
      const holderPid = child.pid;
      if (initPid === undefined || ready !== 'ready\n' || holderPid === undefined) return;
      try {
        resolve({ holderPid, initPid, ns: namespaceInodes({ holderPid, initPid }) });
      } catch (error) {
        fail((error as Error).message);
      }
    };
    child.on('error', (error) => {
      fail(error.message);
    });
    child.on('exit', (code, signal) => {
      fail(stderr.trim() || `holder exited (${signal ?? code})`);
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      if (ready.length < MAX_HOLDER_OUTPUT) ready += chunk.toString();
      settle();
    });
    (child.stdio[3] as Readable).on('data', (chunk: Buffer) => {
      if (info.length < MAX_HOLDER_OUTPUT) info += chunk.toString();
      const pid = parseChildPid(info);
      if (pid === undefined) return;
      initPid = pid;
      settle();
    });
  });
}
