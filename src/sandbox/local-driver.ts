import { spawn, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statfsSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism, constants as osConstants, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { ulid } from 'ulid';
import { ConflictError, HangarError, NotFoundError, ValidationError } from '../errors.js';
import {
  baseAccounts,
  diskTemplate,
  prepareBase,
  readExtents,
  writeDisk,
  type Base,
  type DiskTemplate,
} from './base.js';
import { execArgs, holderArgs } from './bwrap-args.js';
import { checkEnv, envArgs, HOST_ENV } from './exec-env.js';
import { liveMasks } from './live-masks.js';
import {
  cgroupPids,
  createCgroups,
  detectCgroupLayout,
  procsFiles,
  readUsage,
  removeCgroups,
  type CgroupLayout,
  type CgroupPaths,
} from './cgroups.js';
import type {
  Bind,
  ExecOptions,
  ExecResult,
  Sandbox,
  SandboxDriver,
  SandboxSpec,
  SandboxState,
  SandboxStats,
} from './driver.js';
import { DEFAULT_GATEWAY_PORT, startGatewayRelay, stopRelay } from './gateway-relay.js';
import { findTool, type HostTool } from './host-tools.js';
import { SANDBOX_USER, sandboxGroup, sandboxPasswd, type UserIds } from './identity.js';
import { compileSeccomp } from './seccomp.js';
import { SECCOMP_POLICY } from './seccomp-policy.js';
import {
  checkRangeFree,
  DEFAULT_UID_RANGE,
  LEGACY_UID,
  parseUidRange,
  UidClaims,
  type UidRange,
} from './uid-range.js';
import {
  DEFAULT_LIMITS,
  MIN_LIMITS,
  resolveLimits,
  type HostCapacity,
  type Limits,
} from './limits.js';

export interface LocalDriverOptions {
  /** Hangar's data dir; sandboxes live in `<dataDir>/sandboxes/<id>`. */
  dataDir: string;
  /** A prepared root filesystem to use as every sandbox's base (HANGAR_SANDBOX_ROOTFS). */
  rootfs?: string | undefined;
  /** The cgroup directory name sandboxes are grouped under (default `hangar`). */
  cgroupGroup?: string;
  /** A delegated cgroup directory to put that group in (HANGAR_CGROUP_PARENT). */
  cgroupParent?: string | undefined;
  /** The host uids sandboxes' users get (HANGAR_SANDBOX_UIDS; default DEFAULT_UID_RANGE). */
  uids?: UidRange;
  /** PATH to find host tools on. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Local driver options from the environment: HANGAR_DATA_DIR, HANGAR_SANDBOX_ROOTFS,
 * HANGAR_CGROUP_PARENT, HANGAR_SANDBOX_UIDS.
 */
export function localDriverOptionsFrom(
  env: NodeJS.ProcessEnv,
  dataDir: string,
): LocalDriverOptions {
  return {
    dataDir,
    rootfs: env.HANGAR_SANDBOX_ROOTFS || undefined,
    cgroupParent: env.HANGAR_CGROUP_PARENT || undefined,
    uids: parseUidRange(env.HANGAR_SANDBOX_UIDS),
    env,
  };
}

/** What is saved in `<dir>/sandbox.json`, enough for any process to manage the sandbox. */
interface Saved {
  id: string;
  createdAt: string;
  limits: Limits;
  gatewaySocket: string | undefined;
  gatewayPort: number;
  env: Record<string, string>;
  binds: Bind[];
  base: Base;
  cgroups: CgroupPaths;
  /** The host uid and gid of the sandbox's `user`; absent in sandboxes made before (1000). */
  uid?: number;
}

/** What is saved in `<dir>/running.json` while started: the holder's pids and namespaces. */
interface Running {
  /** The outer bwrap: in the private mount namespace holding the sandbox's mounts. */
  holderPid: number;
  /** The bwrap that is pid 1 of the sandbox: owns its pid, net, ipc, uts, cgroup namespaces. */
  initPid: number;
  /** Inode numbers of those namespaces, so a recycled pid is never mistaken for them. */
  ns: Record<NsName, number>;
}

type NsName = 'mnt' | 'pid' | 'net' | 'ipc' | 'uts' | 'cgroup';

/** How long a sandbox start trusts the last check that the live layers' masks are current. */
const MASKS_RECHECK_MS = 30_000;

// A path goes into overlayfs mount options and a shell word list: keep it plain.
const SAFE_PATH = /^[A-Za-z0-9_./@+-]+$/;
const ID = /^sbx_[0-9a-z]{26}$/;

/**
 * Sandboxes on this Linux host, made of bubblewrap, overlayfs and cgroups. Needs root.
 *
 * A sandbox directory holds `disk.img`, a sparse ext4 image the size of its disk limit.
 * Its writable layers and /home live in it, so its disk quota is the filesystem's size
 * (writes past it fail with ENOSPC), the host's disk is safe, and stop/start keeps
 * everything. While started, a holder process keeps a private mount namespace with the
 * image and the overlays mounted, and the sandbox's other namespaces; when it dies the
 * kernel unmounts them all, so a crash cannot leave mounts behind.
 */
export class LocalDriver implements SandboxDriver {
  readonly dataDir: string;
  private readonly options: LocalDriverOptions;
  private readonly tools: Record<HostTool, string>;
  private readonly cgroupLayout: CgroupLayout;
  /** The seccomp filter every sandbox process runs under (seccomp-policy.ts), compiled once. */
  readonly seccomp: Buffer;
  /** Which host uids this data dir's sandboxes hold. */
  readonly uids: UidClaims;
  private base: Base | undefined;
  /** Holders this process started, so it can wait for them to exit. */
  readonly children = new Map<string, ChildProcess>();
  readonly relays = new Map<string, ChildProcess>();

  constructor(options: LocalDriverOptions) {
    if (process.platform !== 'linux') {
      throw new HangarError(
        'sandbox_unavailable',
        503,
        'The local sandbox driver runs on Linux only.',
      );
    }
    if (process.getuid?.() !== 0) {
      throw new HangarError(
        'sandbox_unavailable',
        503,
        'The local sandbox driver needs root: it mounts overlays and loop devices and writes cgroups. ' +
          'Run hangar as root (see the README, "Sandboxes").',
      );
    }
    if (!SAFE_PATH.test(options.dataDir)) {
      throw new ValidationError(
        `${options.dataDir} has characters sandbox paths cannot hold; use letters, digits and . _ - / only.`,
        'HANGAR_DATA_DIR',
      );
    }
    this.options = options;
    this.dataDir = resolve(options.dataDir);
    const env = options.env ?? process.env;
    this.tools = {
      bwrap: findTool('bwrap', env),
      nsenter: findTool('nsenter', env),
      unshare: findTool('unshare', env),
      setpriv: findTool('setpriv', env),
      mount: findTool('mount', env),
      'mkfs.ext4': findTool('mkfs.ext4', env),
      filefrag: findTool('filefrag', env),
      sh: findTool('sh', env),
      socat: '',
    };
    this.cgroupLayout = detectCgroupLayout();
    this.seccomp = compileSeccomp(SECCOMP_POLICY);
    const uids = options.uids ?? DEFAULT_UID_RANGE;
    checkRangeFree(uids);
    this.uids = new UidClaims(join(this.dataDir, 'sandbox-uids'), uids);
    mkdirSync(this.sandboxesDir, { recursive: true, mode: 0o700 });
  }

  get sandboxesDir(): string {
    return join(this.dataDir, 'sandboxes');
  }

  /** The cgroup directory name this driver groups its sandboxes under. */
  get cgroupGroup(): string {
    return this.options.cgroupGroup ?? 'hangar';
  }

  /** CPUs, memory and free disk, for defaults and for refusing impossible limits. */
  hostCapacity(): HostCapacity {
    const fs = statfsSync(this.sandboxesDir);
    return {
      cpus: availableParallelism(),
      memoryBytes: totalmem(),
      diskFreeBytes: fs.bavail * fs.bsize,
    };
  }

  async create(spec: SandboxSpec = {}): Promise<Sandbox> {
    const limits = this.limitsFor(spec);
    if (spec.gatewaySocket !== undefined) {
      this.tool('socat');
      if (!SAFE_PATH.test(spec.gatewaySocket)) {
        throw new ValidationError(`${spec.gatewaySocket} is not a plain path.`, 'gatewaySocket');
      }
    }
    checkEnv(spec.env ?? {});
    const gatewayPort = spec.gatewayPort ?? DEFAULT_GATEWAY_PORT;
    if (!Number.isInteger(gatewayPort) || gatewayPort < 1 || gatewayPort > 65_535) {
      throw new ValidationError(`${gatewayPort} is not a port.`, 'gatewayPort');
    }
    this.base ??= prepareBase(this.dataDir, this.options.rootfs);
    for (const layer of this.base.live) {
      if (this.dataDir === `/${layer}` || this.dataDir.startsWith(`/${layer}/`)) {
        throw new ValidationError(
          `${this.dataDir} is inside /${layer}, which sandboxes see: put the data dir elsewhere.`,
          'HANGAR_DATA_DIR',
        );
      }
    }
    // The masks' first scan (a second or so) runs while the disk template is made.
    const [{ template, data }] = await Promise.all([
      this.template(this.base, limits.diskBytes),
      this.liveMasks(this.base.live),
    ]);

    const id = `sbx_${ulid().toLowerCase()}`;
    const dir = join(this.sandboxesDir, id);
    mkdirSync(join(dir, 'root'), { recursive: true, mode: 0o700 });
    mkdirSync(join(dir, 'disk'), { mode: 0o700 });
    let cgroups: CgroupPaths | undefined;
    let uid: number | undefined;
    try {
      uid = this.uids.claim(id);
      writeDisk(template, data, join(dir, 'disk.img'));
      writeIdentity(dir, this.base, { uid, gid: uid });
      cgroups = this.createCgroups(id, limits);
      const saved: Saved = {
        id,
        createdAt: new Date().toISOString(),
        limits,
        gatewaySocket: spec.gatewaySocket,
        gatewayPort,
        env: spec.env ?? {},
        binds: checkBinds(spec.binds ?? []),
        base: this.base,
        cgroups,
        uid,
      };
      writeFileSync(join(dir, 'sandbox.json'), JSON.stringify(saved, null, 2));
      const sandbox = new LocalSandbox(this, saved);
      await sandbox.start();
      return sandbox;
    } catch (error) {
      if (cgroups) await removeCgroups(cgroups).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
      if (uid !== undefined) this.uids.release(uid, id);
      throw error;
    }
  }

  async get(id: string): Promise<Sandbox> {
    const file = join(this.sandboxesDir, id, 'sandbox.json');
    if (!ID.test(id) || !existsSync(file)) throw new NotFoundError('sandbox', id);
    return Promise.resolve(new LocalSandbox(this, JSON.parse(readFileSync(file, 'utf8')) as Saved));
  }

  list(): Promise<string[]> {
    return Promise.resolve(
      readdirSync(this.sandboxesDir).filter(
        (name) => ID.test(name) && existsSync(join(this.sandboxesDir, name, 'sandbox.json')),
      ),
    );
  }

  private limitsFor(spec: SandboxSpec): Limits {
    const asked = spec.limits ?? {};
    const defaults = resolveLimits({}, this.hostCapacity());
    const limits: Limits = { ...defaults, ...asked };
    for (const key of Object.keys(DEFAULT_LIMITS) as (keyof Limits)[]) {
      if (!(limits[key] >= MIN_LIMITS[key])) {
        throw new ValidationError(`must be at least ${MIN_LIMITS[key]}.`, key);
      }
    }
    limits.pids = Math.floor(limits.pids);
    return limits;
  }

  private masks: { at: number; key: string; layers: Promise<string | undefined> } | undefined;

  /**
   * The mask layers hiding what only host root may read in the live layers (see
   * live-masks.ts): looked up again at most every MASKS_RECHECK_MS, since checking
   * whether they are current walks the top of /usr and /opt.
   */
  liveMasks(live: readonly string[]): Promise<string | undefined> {
    const key = live.join(' ');
    const now = Date.now();
    if (this.masks?.key !== key || now - this.masks.at > MASKS_RECHECK_MS) {
      const layers = liveMasks(join(this.dataDir, 'sandbox-base', 'masks'), live);
      const masks = { at: now, key, layers };
      layers.catch(() => {
        if (this.masks === masks) this.masks = undefined;
      });
      this.masks = masks;
    }
    return this.masks.layers;
  }

  private readonly templates = new Map<
    string,
    Promise<{ template: DiskTemplate; data: Buffer[] }>
  >();

  /** One disk template build per base and size at a time, however many creates wait for it. */
  private template(
    base: Base,
    sizeBytes: number,
  ): Promise<{ template: DiskTemplate; data: Buffer[] }> {
    const key = `${base.key}/${sizeBytes}`;
    let pending = this.templates.get(key);
    if (!pending) {
      pending = diskTemplate(base, sizeBytes, {
        mkfs: this.tools['mkfs.ext4'],
        filefrag: this.tools.filefrag,
      }).then((template) => ({ template, data: readExtents(template) }));
      pending.catch(() => this.templates.delete(key));
      this.templates.set(key, pending);
    }
    return pending;
  }

  /** Makes (or finds) a sandbox's cgroups with its limits written. */
  createCgroups(id: string, limits: Limits): CgroupPaths {
    return createCgroups(
      this.cgroupLayout,
      this.cgroupGroup,
      id,
      limits,
      this.options.cgroupParent,
    );
  }

  /** A host tool's path; socat is looked for only when a sandbox has a gateway. */
  tool(name: HostTool): string {
    if (name === 'socat') this.tools.socat ||= findTool('socat', this.options.env ?? process.env);
    return this.tools[name];
  }
}

/**
 * Stages `user`'s passwd and group lines with the sandbox's ids in `<dir>/identity`; the
 * first start copies them onto the fresh disk, whose template says uid 1000, and gives
 * /home/user to the sandbox's uid (startHolder). Only then: the disk is the template's
 * still, so no path in it can be a link the sandbox planted.
 */
function writeIdentity(dir: string, base: Base, ids: UserIds): void {
  const { passwd, group } = baseAccounts(base);
  mkdirSync(join(dir, 'identity'), { mode: 0o700 });
  writeFileSync(join(dir, 'identity/passwd'), sandboxPasswd(passwd, ids));
  writeFileSync(join(dir, 'identity/group'), sandboxGroup(group, ids));
}

/** Binds must name an existing host directory and a plain place inside, away from /proc and /dev. */
function checkBinds(binds: Bind[]): Bind[] {
  binds.forEach((bind, i) => {
    const field = `binds[${i}]`;
    if (!SAFE_PATH.test(bind.source) || !existsSync(bind.source)) {
      throw new ValidationError(`${bind.source} is not an existing plain host path.`, field);
    }
    // Shown through an overlay (see startHolder), which takes directories only.
    if (!statSync(bind.source).isDirectory()) {
      throw new ValidationError(`${bind.source} is not a directory.`, field);
    }
    const reserved = ['/', '/proc', '/dev'].some(
      (r) => bind.target === r || (r !== '/' && bind.target.startsWith(`${r}/`)),
    );
    if (
      !SAFE_PATH.test(bind.target) ||
      !bind.target.startsWith('/') ||
      bind.target.includes('..') ||
      reserved
    ) {
      throw new ValidationError(
        `${bind.target} is not a plain absolute path inside the sandbox.`,
        field,
      );
    }
  });
  return binds.map(({ source, target }) => ({ source, target }));
}

/**
 * Splits bwrap arguments at `--`: the options go through a pipe (`--args fd`), which
 * bwrap reads and closes, so the sandbox's `ps` shows no host path; the command stays.
 */
function viaArgsFd(args: string[], fd: number): string[] {
  const split = args.indexOf('--');
  return ['--args', String(fd), ...args.slice(split)];
}

/**
 * Writes bwrap's options (what precedes `--` in `args`, after `extra`) to its args fd.
 * `extra` may hold any value, `--` included: it is never searched for the split.
 */
function writeArgsFd(child: ChildProcess, fd: number, args: string[], extra: string[] = []): void {
  const options = [...extra, ...args.slice(0, args.indexOf('--'))];
  writeFd(child, fd, Buffer.from(options.map((a) => `${a}\0`).join('')));
}

/** Writes `data` to the child's pipe at `fd` and closes it (bwrap reads to EOF). */
function writeFd(child: ChildProcess, fd: number, data: Buffer): void {
  const pipe = child.stdio[fd] as Writable;
  pipe.on('error', () => undefined);
  pipe.end(data);
}

/** Which /proc entries exist on this kernel (bwrap fails binding over a missing one). */
function procHas(entry: string): boolean {
  return existsSync(join('/proc', entry));
}

const NS_NAMES: NsName[] = ['mnt', 'pid', 'net', 'ipc', 'uts', 'cgroup'];
/** The most kept of each holder pipe (its start-up messages are a few bytes). */
const MAX_HOLDER_OUTPUT = 64 * 1024;

class LocalSandbox implements Sandbox {
  readonly id: string;
  readonly limits: Limits;
  private readonly dir: string;

  constructor(
    private readonly driver: LocalDriver,
    private readonly saved: Saved,
  ) {
    this.id = saved.id;
    this.limits = saved.limits;
    this.dir = join(driver.sandboxesDir, saved.id);
  }

  /** The host uid and gid of this sandbox's `user`. */
  get ids(): UserIds {
    const uid = this.saved.uid ?? LEGACY_UID;
    return { uid, gid: uid };
  }

  get gateway(): string | undefined {
    return this.saved.gatewaySocket === undefined
      ? undefined
      : `127.0.0.1:${this.saved.gatewayPort}`;
  }

  private get image(): string {
    return join(this.dir, 'disk.img');
  }

  private get root(): string {
    return join(this.dir, 'root');
  }

  /** The binds as the sandbox's bwrap takes them: from their overlays in the holder's namespace. */
  private get bindViews(): Bind[] {
    return this.saved.binds.map((bind, i) => ({
      source: join(this.dir, 'binds', String(i)),
      target: bind.target,
    }));
  }

  /** The holder's pids, if it is alive and still the one that was recorded. */
  private running(): Running | undefined {
    let running: Running;
    try {
      running = JSON.parse(readFileSync(join(this.dir, 'running.json'), 'utf8')) as Running;
    } catch {
      return undefined;
    }
    for (const name of NS_NAMES) {
      const pid = name === 'mnt' ? running.holderPid : running.initPid;
      try {
        if (statSync(`/proc/${pid}/ns/${name}`).ino !== running.ns[name]) return undefined;
      } catch {
        return undefined;
      }
    }
    return running;
  }

  state(): SandboxState {
    return this.running() ? 'running' : 'stopped';
  }

  async start(): Promise<void> {
    if (this.running()) throw new ConflictError(`Sandbox ${this.id} is already running.`);
    if (!existsSync(join(this.dir, 'sandbox.json'))) throw new NotFoundError('sandbox', this.id);
    // The image must not be mounted twice: wait until the last start's loop device is gone.
    await waitForLoopRelease(this.image, 10_000);
    const cgroups = this.driver.createCgroups(this.id, this.limits);
    if (JSON.stringify(cgroups) !== JSON.stringify(this.saved.cgroups)) {
      this.saved.cgroups = cgroups;
      writeFileSync(join(this.dir, 'sandbox.json'), JSON.stringify(this.saved, null, 2));
    }

    const masks = await this.driver.liveMasks(this.saved.base.live);
    const running = await this.startHolder(masks);
    writeFileSync(join(this.dir, 'running.json'), JSON.stringify(running));
    if (this.saved.gatewaySocket !== undefined) {
      try {
        const relay = await startGatewayRelay({
          netns: `/proc/${running.initPid}/ns/net`,
          tcpTable: `/proc/${running.initPid}/net/tcp`,
          port: this.saved.gatewayPort,
          socket: this.saved.gatewaySocket,
          procsFiles: procsFiles(this.saved.cgroups),
          tools: {
            sh: this.driver.tool('sh'),
            nsenter: this.driver.tool('nsenter'),
            setpriv: this.driver.tool('setpriv'),
            socat: this.driver.tool('socat'),
          },
        });
        this.driver.relays.set(this.id, relay);
      } catch (error) {
        await this.stop();
        throw error;
      }
    }
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
  private startHolder(masks: string | undefined): Promise<Running> {
    const { base } = this.saved;
    for (const dir of ['lower', 'empty', 'binds', 'masks']) {
      mkdirSync(join(this.dir, dir), { recursive: true, mode: 0o700 });
    }
    this.saved.binds.forEach((_, i) => {
      mkdirSync(join(this.dir, 'binds', `${i}.src`), { recursive: true });
      mkdirSync(join(this.dir, 'binds', `${i}`), { recursive: true });
    });
    const script = [
      'set -e',
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
      'mount -t overlay overlay -o lowerdir=lower,upperdir=disk/upper/root,workdir=disk/work/root,nosuid,nodev root',
      // Each live layer under its masks, if it has any (a whiteout over each path only
      // host root may read: see live-masks.ts).
      'if [ -n "$MASKS" ]; then mount --bind "$MASKS" masks; fi',
      'for d in $LIVE; do',
      '  lower=/$d',
      '  if [ -n "$MASKS" ] && [ -d "masks/$d" ]; then lower="masks/$d:/$d"; fi',
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
      'unset DIR LOWER LIVE BINDS MASKS IDS OLDPWD d s i f lower',
      'exec "$@"',
    ].join('\n');
    const holder = holderArgs(this.root, procHas, 5, this.bindViews);
    const child = spawn(
      this.driver.tool('unshare'),
      [
        '--mount',
        '--propagation',
        'private',
        '--',
        this.driver.tool('sh'),
        '-c',
        script,
        'sh',
        ...procsFiles(this.saved.cgroups),
        '--',
        this.driver.tool('bwrap'),
        ...viaArgsFd(holder, 4),
      ],
      {
        // fd 3: bwrap's info; 4: its options; 5: the seccomp filter.
        stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe', 'pipe'],
        cwd: '/',
        env: {
          ...HOST_ENV,
          DIR: this.dir,
          LOWER: base.lower,
          LIVE: base.live.join(' '),
          MASKS: masks ?? '',
          BINDS: this.saved.binds.map((bind) => bind.source).join(' '),
          IDS: `${this.ids.uid}:${this.ids.gid}`,
        },
      },
    );
    writeArgsFd(child, 4, holder);
    writeFd(child, 5, this.driver.seccomp);
    this.driver.children.set(this.id, child);
    child.on('exit', () => {
      if (this.driver.children.get(this.id) === child) this.driver.children.delete(this.id);
    });

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
        reject(
          new HangarError('sandbox_start_failed', 500, `Sandbox ${this.id} did not start: ${why}`),
        );
      };
      // Started once bwrap said who its child is (fd 3) AND that child has set itself up
      // and run the holder command, which says "ready" (fd 1). Before that, bwrap's
      // child may not yet have asked to die with its parent.
      const settle = () => {
        const holderPid = child.pid;
        if (initPid === undefined || ready !== 'ready\n' || holderPid === undefined) return;
        try {
          const ns = Object.fromEntries(
            NS_NAMES.map((name) => [
              name,
              statSync(`/proc/${name === 'mnt' ? holderPid : initPid}/ns/${name}`).ino,
            ]),
          ) as Record<NsName, number>;
          resolve({ holderPid, initPid, ns });
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
        try {
          initPid = (JSON.parse(info) as { 'child-pid': number })['child-pid'];
        } catch {
          return; // Not all of it yet.
        }
        settle();
      });
    });
  }

  async exec(argv: string[], options: ExecOptions = {}): Promise<ExecResult> {
    if (argv.length === 0) throw new ValidationError('give a command to run.', 'argv');
    const running = this.running();
    if (!running) throw new ConflictError(`Sandbox ${this.id} is stopped: start it first.`);
    const user = options.user ?? 'user';
    const home = user === 'root' ? '/root' : SANDBOX_USER.home;

    // What the command sees: reaches bwrap over its args fd only (see exec-env.ts).
    const env: Record<string, string> = {
      PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      HOME: home,
      USER: user === 'root' ? 'root' : SANDBOX_USER.name,
      LOGNAME: user === 'root' ? 'root' : SANDBOX_USER.name,
      SHELL: '/bin/bash',
      LANG: 'C.UTF-8',
      HANGAR_SANDBOX_ID: this.id,
      ...(this.gateway === undefined ? {} : { HANGAR_GATEWAY: this.gateway }),
      ...this.saved.env,
      ...options.env,
    };
    const bwrapEnv = envArgs(env);

    // Open the namespaces by pid, then check they are the recorded ones: a pid may
    // have been reused, an open namespace file may not.
    const fds: number[] = [];
    try {
      for (const name of ['pid', 'mnt', 'net', 'ipc', 'uts', 'cgroup'] as const) {
        const pid = name === 'mnt' ? running.holderPid : running.initPid;
        const fd = openSync(`/proc/${pid}/ns/${name}`, 'r');
        fds.push(fd);
        if (fstatSync(fd).ino !== running.ns[name]) {
          throw new ConflictError(`Sandbox ${this.id} stopped while starting a command.`);
        }
      }
    } catch (error) {
      for (const fd of fds) closeSync(fd);
      throw error;
    }

    const bwrapArgs = execArgs(this.root, procHas, {
      user,
      cwd: options.cwd ?? home,
      argv,
      seccompFd: 10,
      ids: this.ids,
      binds: this.bindViews,
    });
    // fd 3 = pid ns (bwrap --pidns 3), 4–8 = mnt, net, ipc, uts, cgroup for nsenter,
    // 9 = bwrap's options, 10 = the seccomp filter.
    const joinCgroups =
      'for f in "$@"; do shift; [ "$f" = -- ] && break; echo $$ > "$f"; done; exec "$@"';
    const child = spawn(
      this.driver.tool('sh'),
      [
        '-c',
        joinCgroups,
        'sh',
        ...procsFiles(this.saved.cgroups),
        '--',
        this.driver.tool('nsenter'),
        '--mount=/proc/self/fd/4',
        '--net=/proc/self/fd/5',
        '--ipc=/proc/self/fd/6',
        '--uts=/proc/self/fd/7',
        '--cgroup=/proc/self/fd/8',
        '--',
        this.driver.tool('bwrap'),
        ...viaArgsFd(bwrapArgs, 9),
      ],
      // The host chain (sh, nsenter, bwrap: root) runs with Hangar's env, never the user's.
      { stdio: ['pipe', 'pipe', 'pipe', ...fds, 'pipe', 'pipe'], env: { ...HOST_ENV }, cwd: '/' },
    );
    for (const fd of fds) closeSync(fd);
    writeArgsFd(child, 9, bwrapArgs, bwrapEnv);
    writeFd(child, 10, this.driver.seccomp);

    const { stdin, stdout, stderr } = child;
    if (!stdin || !stdout || !stderr) throw new Error('spawn gave no stdio pipes');
    // Closing our ends too: a process the command started (or any process in the sandbox
    // that opened /proc/<pid>/fd/1) may still hold the pipes, and the host must stop
    // reading now — not when that process chooses to exit.
    const onAbort = () => {
      killCommandGroup(child.pid);
      child.kill('SIGKILL');
      stdout.destroy();
      stderr.destroy();
    };
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.stdout) stdout.pipe(options.stdout, { end: false });
    else stdout.resume();
    if (options.stderr) stderr.pipe(options.stderr, { end: false });
    else stderr.resume();
    stdin.on('error', () => undefined); // The command may exit without reading it.
    if (options.stdin === undefined) stdin.end();
    else if (typeof options.stdin === 'string' || Buffer.isBuffer(options.stdin))
      stdin.end(options.stdin);
    else options.stdin.pipe(stdin);

    return new Promise<ExecResult>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => {
        options.signal?.removeEventListener('abort', onAbort);
        if (signal !== null) {
          resolve({ exitCode: 128 + osConstants.signals[signal], signal });
          return;
        }
        const exitCode = code ?? 1;
        resolve({ exitCode, signal: exitCode > 128 ? signalName(exitCode - 128) : null });
      });
    });
  }

  async stop(): Promise<void> {
    const running = this.running();
    const relay = this.driver.relays.get(this.id);
    if (relay) {
      stopRelay(relay);
      this.driver.relays.delete(this.id);
    }
    if (running) {
      // SIGKILL to the pid-namespace init: the kernel kills every process in the sandbox.
      for (const pid of [running.initPid, running.holderPid]) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Gone.
        }
      }
    }
    const child = this.driver.children.get(this.id);
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    await removeCgroups(this.saved.cgroups);
    rmSync(join(this.dir, 'running.json'), { force: true });
    // The holder's mount namespace goes with its last process; then the loop device.
    await waitForLoopRelease(this.image, 10_000);
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
    if (this.saved.uid !== undefined) this.driver.uids.release(this.saved.uid, this.id);
  }

  async stats(): Promise<SandboxStats> {
    const running = this.running();
    const usage = readUsage(this.saved.cgroups);
    let diskUsedBytes: number;
    try {
      if (!running) throw new Error('stopped');
      // The disk is mounted only in the holder's namespace; look through its root.
      const fs = statfsSync(`/proc/${running.holderPid}/root${join(this.dir, 'disk')}`);
      diskUsedBytes = (fs.blocks - fs.bfree) * fs.bsize;
    } catch {
      diskUsedBytes = statSync(this.image, { throwIfNoEntry: false })?.blocks ?? 0;
      diskUsedBytes *= 512;
    }
    return Promise.resolve({
      state: running ? 'running' : 'stopped',
      memoryBytes: running ? usage.memoryBytes : 0,
      cpuSeconds: usage.cpuSeconds,
      pids: running ? usage.pids : 0,
      diskUsedBytes,
      oomKills: usage.oomKills,
      limits: this.limits,
    });
  }
}

/**
 * Kills the process group of an exec's command: the child of its bwrap (`bwrapPid`),
 * which bwrap's --new-session made a group leader. Killing bwrap alone is not enough:
 * the parent-death signal it arms is not delivered to a command that runs as the
 * sandbox's user, because bwrap keeps no CAP_KILL to signal another uid with.
 */
function killCommandGroup(bwrapPid: number | undefined): void {
  if (bwrapPid === undefined) return;
  let children: string[];
  try {
    children = readFileSync(`/proc/${bwrapPid}/task/${bwrapPid}/children`, 'utf8')
      .trim()
      .split(' ');
  } catch {
    return; // Gone already.
  }
  for (const pid of children.map(Number).filter((n) => Number.isInteger(n) && n > 1)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Exited meanwhile.
    }
  }
}

function signalName(n: number): NodeJS.Signals | null {
  const entry = Object.entries(osConstants.signals).find(([, value]) => value === n);
  return entry ? (entry[0] as NodeJS.Signals) : null;
}

/** Loop devices whose backing file is `image` (as /sys/block shows them). */
export function loopDevicesFor(image: string): string[] {
  const devices: string[] = [];
  for (const name of readdirSync('/sys/block')) {
    if (!name.startsWith('loop')) continue;
    try {
      const backing = readFileSync(`/sys/block/${name}/loop/backing_file`, 'utf8').trim();
      if (backing === image || backing === `${image} (deleted)`) devices.push(name);
    } catch {
      // Not attached.
    }
  }
  return devices;
}

async function waitForLoopRelease(image: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (loopDevicesFor(image).length > 0) {
    if (Date.now() > deadline) {
      throw new HangarError(
        'sandbox_busy',
        409,
        `The disk ${image} is still attached to ${loopDevicesFor(image).join(', ')}; ` +
          'a process outside Hangar may hold it mounted.',
      );
    }
    await sleep(2);
  }
}

export { cgroupPids };
