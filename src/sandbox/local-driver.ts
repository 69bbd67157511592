import type { ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statfsSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import type { Server } from 'node:net';
import { join, resolve } from 'node:path';
import { ulid } from 'ulid';
import { HangarError, NotFoundError, ValidationError } from '../errors.js';
import {
  diskTemplate,
  prepareBase,
  readExtents,
  writeDisk,
  type Base,
  type DiskTemplate,
} from './base.js';
import {
  createCgroups,
  detectCgroupLayout,
  removeCgroups,
  type CgroupLayout,
  type CgroupPaths,
} from './cgroups.js';
import type { Bind, Sandbox, SandboxDriver, SandboxSpec } from './driver.js';
import { GatewayNetnsPool, type GatewayNetns } from './gateway-netns.js';
import { HostToolPaths, type HostTool } from './host-tools.js';
import { resolveLimits, specLimits, type HostCapacity, type Limits } from './limits.js';
import { liveMasks } from './live-masks.js';
import { LocalSandbox, type SandboxHost } from './local-sandbox.js';
import { readSaved, sandboxFiles, writeIdentity, writeSaved, type Saved } from './sandbox-dir.js';
import { SandboxPool } from './sandbox-pool.js';
import { compileSeccomp } from './seccomp.js';
import { SECCOMP_POLICY } from './seccomp-policy.js';
import {
  checkBinds,
  checkDataDir,
  checkLayers,
  checkOutsideLive,
  checkSpec,
  SANDBOX_ID,
} from './spec-checks.js';
import {
  checkRangeFree,
  DEFAULT_UID_RANGE,
  parseUidRange,
  UidClaims,
  type UidRange,
} from './uid-range.js';

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
  /**
   * The gateway, when it runs in this process: a sandbox's 127.0.0.1:<port> is then a
   * socket it accepts on directly (gateway-netns.ts). Without it, or for a socket it
   * does not serve, a socat relay bridges to the gateway's unix socket.
   */
  gateway?: GatewayAcceptor;
  /**
   * How many sandbox shapes to keep one started sandbox of (HANGAR_SANDBOX_POOL; default
   * 0, none): a create of a shape seen before then skips the disk, mounts and holder.
   */
  warmPool?: number;
}

/** HANGAR_SANDBOX_POOL: shapes kept warm by a server (default 2; 0 turns the pool off). */
export function sandboxPoolFrom(env: NodeJS.ProcessEnv): number {
  const text = env.HANGAR_SANDBOX_POOL;
  if (text === undefined || text === '') return 2;
  const shapes = /^[0-9]+$/.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isSafeInteger(shapes) || shapes > 16) {
    throw new ValidationError(
      `"${text}" is not a number of sandbox shapes from 0 to 16.`,
      'HANGAR_SANDBOX_POOL',
    );
  }
  return shapes;
}

/** What the driver needs of an in-process gateway (gateway.ts's `serve`). */
export interface GatewayAcceptor {
  serve(socketPath: string, listener: Server): boolean;
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

/** How long a sandbox start trusts the last check that the live layers' masks are current. */
const MASKS_RECHECK_MS = 30_000;

/**
 * Sandboxes on this Linux host, made of bubblewrap, overlayfs and cgroups. Needs root.
 *
 * A sandbox directory holds `disk.img`, a sparse ext4 image the size of its disk limit.
 * Its writable layers and /home live in it, so its disk quota is the filesystem's size
 * (writes past it fail with ENOSPC), the host's disk is safe, and stop/start keeps
 * everything. While started, a holder process keeps a private mount namespace with the
 * image and the overlays mounted, and the sandbox's other namespaces (holder.ts); when
 * it dies the kernel unmounts them all, so a crash cannot leave mounts behind. Each
 * sandbox is a LocalSandbox (local-sandbox.ts); this driver makes them and finds them.
 */
export class LocalDriver implements SandboxDriver, SandboxHost {
  readonly dataDir: string;
  private readonly options: LocalDriverOptions;
  private readonly tools: HostToolPaths;
  private readonly cgroupLayout: CgroupLayout;
  /** The seccomp filter every sandbox process runs under (seccomp-policy.ts), compiled once. */
  readonly seccomp: Buffer;
  /** Which host uids this data dir's sandboxes hold. */
  readonly uids: UidClaims;
  /** Bases by root filesystem ('' for the default), each prepared once. */
  private readonly bases = new Map<string, Base>();
  /** Holders this process started, so it can wait for them to exit. */
  readonly children = new Map<string, ChildProcess>();
  readonly relays = new Map<string, ChildProcess>();
  readonly netnsInUse = new Map<string, GatewayNetns>();
  private netnsPool: GatewayNetnsPool | undefined;
  private readonly pool: SandboxPool | undefined;
  /** What a pool shape's key stands for: the spec its sandboxes are started from. */
  private readonly shapes = new Map<string, SandboxSpec>();
  /** Pooled sandboxes a process that is gone left behind, removed before the first create. */
  private leftovers: Promise<void> | undefined;

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
    checkDataDir(options.dataDir);
    this.options = options;
    this.dataDir = resolve(options.dataDir);
    this.tools = new HostToolPaths(options.env ?? process.env);
    this.cgroupLayout = detectCgroupLayout();
    this.seccomp = compileSeccomp(SECCOMP_POLICY);
    const uids = options.uids ?? DEFAULT_UID_RANGE;
    checkRangeFree(uids);
    this.uids = new UidClaims(join(this.dataDir, 'sandbox-uids'), uids);
    mkdirSync(this.sandboxesDir, { recursive: true, mode: 0o700 });
    if (options.warmPool) {
      this.pool = new SandboxPool(options.warmPool, (key) => this.startPooled(key));
    }
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
    const limits = specLimits(spec.limits ?? {}, resolveLimits({}, this.hostCapacity()));
    if (spec.gatewaySocket !== undefined && !this.options.gateway) this.tool('socat');
    const gatewayPort = checkSpec(spec);
    const base = this.baseFor(spec.rootfs);
    checkOutsideLive(this.dataDir, base.live);
    const layers = checkLayers(spec.layers ?? []);
    const binds = checkBinds(spec.binds ?? []);
    if (!this.pool) return this.make(spec, { limits, gatewayPort, base, layers, binds });

    const shape: SandboxSpec = {
      ...(spec.rootfs !== undefined ? { rootfs: spec.rootfs } : {}),
      binds,
      layers,
      limits: { diskBytes: limits.diskBytes },
      gatewayPort,
    };
    const key = JSON.stringify([base.key, shape]);
    this.shapes.set(key, shape);
    this.leftovers ??= this.removeLeftovers();
    await this.leftovers;
    const pooled = await this.pool.take(key);
    this.pool.refill(key);
    if (pooled) {
      try {
        await pooled.adopt({ limits, env: spec.env ?? {}, gatewaySocket: spec.gatewaySocket });
        return pooled;
      } catch {
        await pooled.destroy().catch(() => undefined);
      }
    }
    return this.make(spec, { limits, gatewayPort, base, layers, binds });
  }

  /** Starts a sandbox of a shape for the warm pool: marked pooled, no gateway yet. */
  private startPooled(key: string): Promise<LocalSandbox> {
    const shape = this.shapes.get(key) ?? {};
    const limits = specLimits(shape.limits ?? {}, resolveLimits({}, this.hostCapacity()));
    return this.make(
      shape,
      {
        limits,
        gatewayPort: checkSpec(shape),
        base: this.baseFor(shape.rootfs),
        layers: shape.layers ?? [],
        binds: shape.binds ?? [],
      },
      true,
    );
  }

  /** Makes and starts a sandbox from a checked spec. */
  private async make(
    spec: SandboxSpec,
    checked: { limits: Limits; gatewayPort: number; base: Base; layers: string[]; binds: Bind[] },
    pooled = false,
  ): Promise<LocalSandbox> {
    const { limits, gatewayPort, base, layers, binds } = checked;
    // The masks' first scan (a second or so) runs while the disk template is made.
    const [{ template, data }] = await Promise.all([
      this.template(base, limits.diskBytes),
      this.liveMasks(base.live),
    ]);

    const id = `sbx_${ulid().toLowerCase()}`;
    const dir = join(this.sandboxesDir, id);
    mkdirSync(join(dir, 'root'), { recursive: true, mode: 0o700 });
    mkdirSync(join(dir, 'disk'), { mode: 0o700 });
    if (pooled) writeFileSync(sandboxFiles(dir).pooled, String(process.pid));
    let cgroups: CgroupPaths | undefined;
    let uid: number | undefined;
    try {
      uid = this.uids.claim(id);
      writeDisk(template, data, sandboxFiles(dir).image);
      writeIdentity(dir, base, { uid, gid: uid });
      cgroups = this.createCgroups(id, limits);
      const saved: Saved = {
        id,
        createdAt: new Date().toISOString(),
        limits,
        gatewaySocket: pooled ? undefined : spec.gatewaySocket,
        gatewayPort,
        env: pooled ? {} : (spec.env ?? {}),
        binds,
        base,
        layers,
        cgroups,
        uid,
      };
      writeSaved(dir, saved);
      const sandbox = new LocalSandbox(this, saved);
      await sandbox.start({ pooled });
      return sandbox;
    } catch (error) {
      if (cgroups) await removeCgroups(cgroups).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
      if (uid !== undefined) this.uids.release(uid, id);
      throw error;
    }
  }

  /** Resolves once the warm pool's sandboxes being started are started (e.g. before a benchmark's create). */
  async poolSettled(): Promise<void> {
    await this.pool?.settled();
  }

  /** Destroys pooled sandboxes whose pooling process is gone (it crashed before closing). */
  private async removeLeftovers(): Promise<void> {
    for (const id of readdirSync(this.sandboxesDir)) {
      const files = sandboxFiles(join(this.sandboxesDir, id));
      if (!SANDBOX_ID.test(id) || !existsSync(files.pooled) || !existsSync(files.saved)) continue;
      if (processAlive(Number(readFileSync(files.pooled, 'utf8')))) continue;
      await new LocalSandbox(this, readSaved(files.saved)).destroy().catch(() => undefined);
    }
  }

  /** The base for a root filesystem (a sandbox's image), or the driver's default. */
  private baseFor(rootfs: string | undefined): Base {
    const key = rootfs ?? '';
    let base = this.bases.get(key);
    if (!base) {
      base = prepareBase(this.dataDir, rootfs ?? this.options.rootfs, rootfs !== undefined);
      this.bases.set(key, base);
    }
    return base;
  }

  async get(id: string): Promise<Sandbox> {
    const files = sandboxFiles(join(this.sandboxesDir, id));
    if (!SANDBOX_ID.test(id) || !existsSync(files.saved) || existsSync(files.pooled)) {
      throw new NotFoundError('sandbox', id);
    }
    return Promise.resolve(new LocalSandbox(this, readSaved(files.saved)));
  }

  list(): Promise<string[]> {
    return Promise.resolve(
      readdirSync(this.sandboxesDir).filter(
        (name) =>
          SANDBOX_ID.test(name) &&
          existsSync(sandboxFiles(join(this.sandboxesDir, name)).saved) &&
          !existsSync(sandboxFiles(join(this.sandboxesDir, name)).pooled),
      ),
    );
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
        mkfs: this.tool('mkfs.ext4'),
        filefrag: this.tool('filefrag'),
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
    return this.tools.get(name);
  }

  get gateway(): GatewayAcceptor | undefined {
    return this.options.gateway;
  }

  /** A prepared network namespace listening on `port` (from the warm pool, refilled). */
  takeNetns(port: number): Promise<GatewayNetns> {
    this.netnsPool ??= new GatewayNetnsPool({ bwrap: this.tool('bwrap') });
    return this.netnsPool.take(port);
  }

  /** Makes a namespace for `port` ahead of the first sandbox (e.g. while a CLI loads). */
  prepareNetns(port: number): void {
    if (!this.options.gateway) return;
    this.netnsPool ??= new GatewayNetnsPool({ bwrap: this.tool('bwrap') });
    this.netnsPool.refill(port);
  }

  /** Destroys the pooled sandboxes and closes the namespaces pooled for sandboxes not yet made. */
  async close(): Promise<void> {
    await this.pool?.close();
    await this.netnsPool?.close();
  }
}

/** Whether a process with this pid exists (signal 0 checks without sending). */
function processAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
