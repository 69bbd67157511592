import type { ChildProcess } from 'node:child_process';
import { existsSync, lstatSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { procsFiles, readUsage, removeCgroups, type CgroupPaths } from './cgroups.js';
import type { ExecOptions, ExecResult, Sandbox, SandboxState, SandboxStats } from './driver.js';
import { execIn } from './exec.js';
import type { GatewayAcceptor } from './local-driver.js';
import type { GatewayNetns } from './gateway-netns.js';
import { startGatewayRelay, stopRelay } from './gateway-relay.js';
import { startHolder } from './holder.js';
import { run, type HostTool } from './host-tools.js';
import type { UserIds } from './identity.js';
import type { Limits } from './limits.js';
import { waitForLoopRelease } from './loop-device.js';
import { readRunning, type Running } from './namespaces.js';
import {
  bindViews,
  gatewayAddress,
  sandboxFiles,
  userIds,
  writeSaved,
  type Saved,
} from './sandbox-dir.js';
import type { UidClaims } from './uid-range.js';

/** What a sandbox needs of the driver that made it (local-driver.ts). */
export interface SandboxHost {
  /** Where sandboxes' directories are: `<sandboxesDir>/<id>`. */
  readonly sandboxesDir: string;
  /** The compiled seccomp filter. */
  readonly seccomp: Buffer;
  /** Which host uids this data dir's sandboxes hold. */
  readonly uids: UidClaims;
  /** Holders this process started, so it can wait for them to exit. */
  readonly children: Map<string, ChildProcess>;
  /** Gateway relays this process started. */
  readonly relays: Map<string, ChildProcess>;
  /** Prepared network namespaces started sandboxes are in, whose listener the gateway serves. */
  readonly netnsInUse: Map<string, GatewayNetns>;
  /** The gateway, when in this process. */
  readonly gateway: GatewayAcceptor | undefined;
  takeNetns(port: number): Promise<GatewayNetns>;
  tool(name: HostTool): string;
  createCgroups(id: string, limits: Limits): CgroupPaths;
  liveMasks(live: readonly string[]): Promise<string | undefined>;
}

/** How long a start or stop waits for the disk's loop device to go. */
const LOOP_RELEASE_MS = 10_000;

/**
 * One sandbox of the local driver: its lifecycle (start, stop, destroy) and its state,
 * read from its directory each time, so any process may manage it.
 */
export class LocalSandbox implements Sandbox {
  readonly id: string;
  private readonly dir: string;
  private readonly files: ReturnType<typeof sandboxFiles>;

  constructor(
    private readonly host: SandboxHost,
    private readonly saved: Saved,
  ) {
    this.id = saved.id;
    this.dir = join(host.sandboxesDir, saved.id);
    this.files = sandboxFiles(this.dir);
  }

  get limits(): Limits {
    return this.saved.limits;
  }

  /** The host uid and gid of this sandbox's `user`. */
  get ids(): UserIds {
    return userIds(this.saved);
  }

  get gateway(): string | undefined {
    return gatewayAddress(this.saved);
  }

  /** The holder's pids, if it is alive and still the one that was recorded. */
  private running(): Running | undefined {
    return readRunning(this.files.running);
  }

  state(): SandboxState {
    return this.running() ? 'running' : 'stopped';
  }

  /** The live layers' masks this process started the sandbox with (for the warm pool). */
  private startedMasks: string | undefined;

  /**
   * Starts the sandbox. `pooled`: for the warm pool (sandbox-pool.ts), in a prepared
   * network namespace (with an in-process gateway) that nothing serves until `adopt`.
   */
  async start(options: { pooled?: boolean } = {}): Promise<void> {
    if (this.running()) throw new ConflictError(`Sandbox ${this.id} is already running.`);
    if (!existsSync(this.files.saved)) throw new NotFoundError('sandbox', this.id);
    // The image must not be mounted twice: wait until the last start's loop device is gone.
    await waitForLoopRelease(this.files.image, LOOP_RELEASE_MS);
    const cgroups = this.host.createCgroups(this.id, this.limits);
    if (JSON.stringify(cgroups) !== JSON.stringify(this.saved.cgroups)) {
      this.saved.cgroups = cgroups;
      writeSaved(this.dir, this.saved);
    }

    for (const path of [this.saved.base.lower, ...(this.saved.layers ?? [])]) {
      if (!existsSync(path)) {
        throw new ConflictError(
          `Sandbox ${this.id} cannot start: its image or setup cache was removed since it was made.`,
        );
      }
    }
    const masks = await this.host.liveMasks(this.saved.base.live);
    this.startedMasks = masks;
    const netns = options.pooled ? await this.pooledNetns() : await this.gatewayNetns();
    let running: Running;
    try {
      running = await this.startHolder(masks, netns);
    } catch (error) {
      netns?.close();
      this.host.netnsInUse.delete(this.id);
      throw error;
    }
    if (this.saved.gatewaySocket !== undefined && netns === undefined) {
      try {
        await this.startRelay(running, this.saved.gatewaySocket);
      } catch (error) {
        await this.stop();
        throw error;
      }
    }
  }

  /** Bridges 127.0.0.1:<port> in the sandbox to the gateway's unix socket (gateway-relay.ts). */
  private async startRelay(running: Running, socket: string): Promise<void> {
    const relay = await startGatewayRelay({
      netns: `/proc/${running.initPid}/ns/net`,
      tcpTable: `/proc/${running.initPid}/net/tcp`,
      port: this.saved.gatewayPort,
      socket,
      procsFiles: procsFiles(this.saved.cgroups),
      tools: {
        sh: this.host.tool('sh'),
        nsenter: this.host.tool('nsenter'),
        setpriv: this.host.tool('setpriv'),
        socat: this.host.tool('socat'),
      },
    });
    this.host.relays.set(this.id, relay);
  }

  /**
   * Makes a pooled sandbox this create's: its limits, variables and gateway. Throws if
   * it cannot be (the gateway is not attached at that socket, the live layers' masks
   * changed since it started, it stopped); the caller then destroys it and starts anew.
   */
  async adopt(update: {
    limits: Limits;
    env: Record<string, string>;
    gatewaySocket: string | undefined;
  }): Promise<void> {
    const running = this.running();
    if (!running) throw new ConflictError(`Pooled sandbox ${this.id} is not running.`);
    if ((await this.host.liveMasks(this.saved.base.live)) !== this.startedMasks) {
      throw new ConflictError(`Pooled sandbox ${this.id} has out-of-date masks.`);
    }
    this.saved.limits = update.limits;
    this.saved.env = update.env;
    this.saved.gatewaySocket = update.gatewaySocket;
    this.saved.cgroups = this.host.createCgroups(this.id, update.limits);
    writeSaved(this.dir, this.saved);
    const netns = this.host.netnsInUse.get(this.id);
    const socket = update.gatewaySocket;
    if (socket === undefined) {
      // No network: close the listener, so nothing answers in its namespace.
      netns?.close();
      this.host.netnsInUse.delete(this.id);
    } else if (netns) {
      if (!this.host.gateway?.serve(socket, netns.server)) {
        throw new ConflictError(`No gateway is attached at ${socket}.`);
      }
    } else {
      await this.startRelay(running, socket);
    }
    rmSync(this.files.pooled, { force: true });
  }

  /** For a pooled sandbox: a prepared namespace (with an in-process gateway), not yet served. */
  private async pooledNetns(): Promise<GatewayNetns | undefined> {
    if (!this.host.gateway) return undefined;
    const netns = await this.host.takeNetns(this.saved.gatewayPort);
    this.host.netnsInUse.set(this.id, netns);
    return netns;
  }

  /**
   * With the gateway in this process: a prepared network namespace whose 127.0.0.1:<port>
   * listener the gateway now serves. Otherwise none (bwrap makes the namespace; a relay
   * bridges to the gateway's socket).
   */
  private async gatewayNetns(): Promise<GatewayNetns | undefined> {
    const socket = this.saved.gatewaySocket;
    if (socket === undefined || !this.host.gateway) return undefined;
    const netns = await this.host.takeNetns(this.saved.gatewayPort);
    if (!this.host.gateway.serve(socket, netns.server)) {
      netns.close();
      return undefined;
    }
    this.host.netnsInUse.set(this.id, netns);
    return netns;
  }

  private async startHolder(masks: string | undefined, netns: GatewayNetns | undefined) {
    const running = await startHolder({
      id: this.id,
      dir: this.dir,
      base: this.saved.base,
      layers: this.saved.layers ?? [],
      binds: this.saved.binds,
      cgroups: this.saved.cgroups,
      ids: this.ids,
      masks,
      tools: {
        unshare: this.host.tool('unshare'),
        sh: this.host.tool('sh'),
        bwrap: this.host.tool('bwrap'),
        nsenter: this.host.tool('nsenter'),
      },
      ...(netns ? { netnsFd: netns.nsFd } : {}),
      seccomp: this.host.seccomp,
      children: this.host.children,
    });
    writeFileSync(this.files.running, JSON.stringify(running));
    return running;
  }

  async exec(argv: string[], options: ExecOptions = {}): Promise<ExecResult> {
    if (argv.length === 0) throw new ValidationError('give a command to run.', 'argv');
    const running = this.running();
    if (!running) throw new ConflictError(`Sandbox ${this.id} is stopped: start it first.`);
    return execIn(
      {
        id: this.id,
        running,
        root: this.files.root,
        binds: bindViews(this.dir, this.saved.binds),
        cgroups: this.saved.cgroups,
        ids: this.ids,
        gateway: this.gateway,
        env: this.saved.env,
        tools: {
          sh: this.host.tool('sh'),
          nsenter: this.host.tool('nsenter'),
          bwrap: this.host.tool('bwrap'),
        },
        seccomp: this.host.seccomp,
      },
      argv,
      options,
    );
  }

  async stop(): Promise<void> {
    const running = this.running();
    const relay = this.host.relays.get(this.id);
    if (relay) {
      stopRelay(relay);
      this.host.relays.delete(this.id);
    }
    this.host.netnsInUse.get(this.id)?.close();
    this.host.netnsInUse.delete(this.id);
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
    const child = this.host.children.get(this.id);
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    await removeCgroups(this.saved.cgroups);
    rmSync(this.files.running, { force: true });
    // The holder's mount namespace goes with its last process; then the loop device.
    await waitForLoopRelease(this.files.image, LOOP_RELEASE_MS);
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
    if (this.saved.uid !== undefined) this.host.uids.release(this.saved.uid, this.id);
  }

  async snapshot(target: string, exclude: readonly string[]): Promise<void> {
    const running = this.running();
    if (!running) throw new ConflictError(`Sandbox ${this.id} is stopped: start it first.`);
    // The disk is mounted only in the holder's namespace; read it through its root.
    await run('cp', [
      '-a',
      '--',
      `/proc/${running.holderPid}/root${this.files.disk}/upper`,
      target,
    ]);
    for (const path of exclude) removeInside(join(target, 'root'), path);
  }

  async stats(): Promise<SandboxStats> {
    const running = this.running();
    const usage = readUsage(this.saved.cgroups);
    let diskUsedBytes: number;
    try {
      if (!running) throw new Error('stopped');
      // The disk is mounted only in the holder's namespace; look through its root.
      const fs = statfsSync(`/proc/${running.holderPid}/root${this.files.disk}`);
      diskUsedBytes = (fs.blocks - fs.bfree) * fs.bsize;
    } catch {
      diskUsedBytes = statSync(this.files.image, { throwIfNoEntry: false })?.blocks ?? 0;
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
 * Removes `path` (a path inside the sandbox) from a copy of its layer at `root`. What
 * the sandbox wrote may be a link anywhere on the host: go through real directories only.
 */
function removeInside(root: string, path: string): void {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.' && p !== '..');
  const last = parts.pop();
  if (last === undefined) return;
  let dir = root;
  for (const part of parts) {
    dir = join(dir, part);
    if (!lstatSync(dir, { throwIfNoEntry: false })?.isDirectory()) return;
  }
  rmSync(join(dir, last), { recursive: true, force: true });
}
