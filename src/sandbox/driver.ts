import type { Readable, Writable } from 'node:stream';
import type { Limits } from './limits.js';

/**
 * The contract every sandbox driver keeps (local now; Docker and Kubernetes later).
 * A sandbox is a disk plus, while started, a set of namespaces that `exec` runs
 * processes in. Its isolation is the product's security boundary: see the
 * "Invariants" in DESIGN.md.
 */
export interface SandboxDriver {
  /** Makes a sandbox and starts it. */
  create(spec: SandboxSpec): Promise<Sandbox>;
  /** A sandbox this driver made earlier (perhaps in another process), by id. */
  get(id: string): Promise<Sandbox>;
  /** Ids of the sandboxes that exist (started or stopped). */
  list(): Promise<string[]>;
}

export interface SandboxSpec {
  /** Limits; unset fields take the defaults capped by the host. */
  limits?: Partial<Limits>;
  /**
   * A unix socket on the host (the gateway's, one per sandbox). When set, the sandbox
   * reaches it at 127.0.0.1:`gatewayPort` and nothing else; when unset it has no network.
   */
  gatewaySocket?: string;
  /** The port the gateway appears on inside the sandbox (default 3128). */
  gatewayPort?: number;
  /** Variables every exec sees (under the exec's own `env`). */
  env?: Record<string, string>;
  /** Host directories shown read-only inside, e.g. the agent's install dir. */
  binds?: Bind[];
  /**
   * A root filesystem on the host (an image's, images/) as the sandbox's read-only base;
   * unset: the driver's default (HANGAR_SANDBOX_ROOTFS, else the host's /usr and /opt).
   */
  rootfs?: string;
  /**
   * Read-only layers over the base, lowest first: directories each holding `root/` (and
   * one per live layer of a host base, e.g. `usr/`), as a setup cache keeps them.
   */
  layers?: string[];
}

/** A read-only bind: the host's `source` appears at `target` inside the sandbox. */
export interface Bind {
  source: string;
  target: string;
}

export type SandboxUser = 'root' | 'user';

export interface ExecOptions {
  /** `user` (the sandbox's own host uid, the default) or `root` (inside the sandbox only). */
  user?: SandboxUser;
  env?: Record<string, string>;
  /** Working directory inside the sandbox; default the user's home. */
  cwd?: string;
  /** Fed to the process's stdin, then closed; without it stdin is empty. */
  stdin?: Readable | string | Buffer;
  /** Where output streams to, as it arrives. */
  stdout?: Writable;
  stderr?: Writable;
  /** Aborting kills the process (and its children in the same exec). */
  signal?: AbortSignal;
}

export interface ExecResult {
  /** The process's exit code, or 128 + signal number when a signal killed it. */
  exitCode: number;
  /** The signal that killed it, if any (e.g. SIGKILL after an out-of-memory kill). */
  signal: NodeJS.Signals | null;
}

export interface SandboxStats {
  state: SandboxState;
  memoryBytes: number;
  /** CPU time used since the sandbox was created in this start, in seconds. */
  cpuSeconds: number;
  pids: number;
  /** Bytes used on the sandbox's disk (its writable layer and home). */
  diskUsedBytes: number;
  /** Out-of-memory kills inside the sandbox since it started. */
  oomKills: number;
  limits: Limits;
}

export type SandboxState = 'running' | 'stopped';

export interface Sandbox {
  readonly id: string;
  readonly limits: Limits;
  /** `127.0.0.1:<port>` inside the sandbox when it has a gateway, else undefined. */
  readonly gateway: string | undefined;
  state(): SandboxState;
  /** Runs argv inside the sandbox, streaming output, resolving with the exit code. */
  exec(argv: string[], options?: ExecOptions): Promise<ExecResult>;
  /** Kills every process; the disk (home, installed packages) is kept. */
  stop(): Promise<void>;
  /** Starts again over the same disk. */
  start(): Promise<void>;
  /** Kills every process and removes the disk, mounts, cgroups and directory. */
  destroy(): Promise<void>;
  stats(): Promise<SandboxStats>;
  /**
   * Copies what the sandbox wrote so far (its writable layers, as overlay upper
   * directories: `root/`, and one per live layer) into the new directory `target`,
   * leaving out the directories `exclude` names (paths inside the sandbox). Running only.
   */
  snapshot(target: string, exclude: readonly string[]): Promise<void>;
}
