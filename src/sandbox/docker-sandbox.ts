import { readdirSync, readFileSync, statSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { constants as osConstants } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConflictError, HangarError, ValidationError } from '../errors.js';
import { demultiplexer, DockerApiError, type DockerApi } from './docker-api.js';
import { DOCKER_USER } from './docker-image.js';
import type {
  Bind,
  ExecOptions,
  ExecResult,
  Sandbox,
  SandboxState,
  SandboxStats,
} from './driver.js';
import { checkEnv, commandEnv } from './exec-env.js';
import { listenInNetns, type GatewayNetns } from './gateway-netns.js';
import { SANDBOX_USER } from './identity.js';
import type { Limits } from './limits.js';
import type { GatewayAcceptor } from './local-driver.js';

/** What a Docker sandbox is, kept in its container's `hangar.saved` label. */
export interface DockerSaved {
  id: string;
  limits: Limits;
  env: Record<string, string>;
  gatewaySocket: string | undefined;
  gatewayPort: number;
}

/** What a sandbox needs of the driver that made it (docker-driver.ts). */
export interface DockerHost {
  readonly api: DockerApi;
  readonly scope: string;
  readonly gateway: GatewayAcceptor | undefined;
  readonly runtime: string | undefined;
  readonly listeners: Map<string, GatewayNetns>;
  diskLimited: boolean | undefined;
  nsenter(): string;
  warn(message: string): void;
  inspect(id: string): Promise<{
    Id: string;
    SizeRw?: number;
    State?: { Running?: boolean; Pid?: number };
    HostConfig?: { CgroupParent?: string };
  }>;
}

/**
 * What root inside gets: the capabilities the local driver gives it (bwrap-args.ts),
 * so a setup script installs packages alike. `user` (uid 1000) gets none: the kernel
 * clears them on the switch from root, and no-new-privileges keeps setuid files inert.
 */
const ROOT_CAPS = [
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'SETUID',
  'SETGID',
  'KILL',
  'NET_BIND_SERVICE',
  'SYS_CHROOT',
  'SETFCAP',
];

/**
 * Docker's default masked and read-only paths (an explicit list replaces them), and
 * /sys masked too: nothing there is the sandbox's business, as with the local driver.
 */
const MASKED_PATHS = [
  '/proc/asound',
  '/proc/acpi',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys',
];
const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** How long after its stream ends an exec's exit code may take to show. */
const EXIT_WAIT_MS = 5000;

/**
 * One sandbox of the Docker driver: a container and, while it runs, the gateway's
 * listener in its network namespace (held by the process that started it). Its state
 * is the engine's: `state()` answers from this object's last look, `stats()` looks again.
 */
export class DockerSandbox implements Sandbox {
  readonly id: string;

  constructor(
    private readonly host: DockerHost,
    private readonly saved: DockerSaved,
    private lastState: SandboxState,
  ) {
    this.id = saved.id;
  }

  get limits(): Limits {
    return this.saved.limits;
  }

  get gateway(): string | undefined {
    return this.saved.gatewaySocket === undefined
      ? undefined
      : `127.0.0.1:${this.saved.gatewayPort}`;
  }

  state(): SandboxState {
    return this.lastState;
  }

  /** Creates the container (from `image`, with `binds` read-only) and starts it. */
  async make(image: string, binds: Bind[]): Promise<void> {
    const { limits } = this.saved;
    const body = {
      Image: image,
      // docker-init (tini) is pid 1 and reaps; sleep holds the container up. Both as nobody.
      Cmd: ['sleep', 'infinity'],
      User: '65534:65534',
      WorkingDir: '/',
      Hostname: 'sandbox',
      Env: [],
      Labels: {
        'hangar.scope': this.host.scope,
        'hangar.sandbox': this.id,
        'hangar.saved': JSON.stringify(this.saved),
      },
      HostConfig: {
        NetworkMode: 'none',
        Init: true,
        Memory: limits.memoryBytes,
        // No swap beyond the memory limit: past it, the OOM killer.
        MemorySwap: limits.memoryBytes,
        NanoCpus: Math.round(limits.cpus * 1e9),
        PidsLimit: limits.pids,
        CapDrop: ['ALL'],
        CapAdd: ROOT_CAPS,
        // Docker's default seccomp profile applies unless replaced; this keeps it.
        SecurityOpt: ['no-new-privileges'],
        MaskedPaths: MASKED_PATHS,
        ReadonlyPaths: READONLY_PATHS,
        IpcMode: 'private',
        Binds: binds.map((b) => `${b.source}:${b.target}:ro`),
        LogConfig: { Type: 'none', Config: {} },
        ...(this.host.runtime !== undefined ? { Runtime: this.host.runtime } : {}),
        ...(this.host.diskLimited !== false
          ? { StorageOpt: { size: String(limits.diskBytes) } }
          : {}),
      },
    };
    const path = `/containers/create?name=${this.id}`;
    try {
      await this.host.api.call('POST', path, body);
      this.host.diskLimited = this.host.diskLimited ?? true;
    } catch (error) {
      // overlay2 limits a container's size only on xfs with pquota (btrfs, zfs: always).
      if (!(error instanceof DockerApiError) || !/storage.?opt|quota/i.test(error.message)) {
        throw error;
      }
      this.host.diskLimited = false;
      this.host.warn(
        `The Docker engine cannot limit a container's disk (${error.message}); Docker sandboxes run without a disk limit.`,
      );
      const hostConfig: Record<string, unknown> = { ...body.HostConfig };
      delete hostConfig.StorageOpt;
      await this.host.api.call('POST', path, { ...body, HostConfig: hostConfig });
    }
    try {
      await this.start();
    } catch (error) {
      await this.destroy().catch(() => undefined);
      throw error;
    }
  }

  /**
   * Starts the container. One still running that this process holds no listener for
   * (its starter was a Hangar process that is gone: containers outlive it) is taken
   * over: its gateway listener is made anew.
   */
  async start(): Promise<void> {
    try {
      await this.host.api.call('POST', `/containers/${this.id}/start`);
    } catch (error) {
      if (!(error instanceof DockerApiError) || error.engineStatus !== 304) throw error;
      if (this.host.listeners.has(this.id) || this.saved.gatewaySocket === undefined) {
        throw new ConflictError(`Sandbox ${this.id} is already running.`);
      }
    }
    this.lastState = 'running';
    const socket = this.saved.gatewaySocket;
    if (socket === undefined) return;
    try {
      await this.listen(socket);
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /**
   * Makes 127.0.0.1:<port> in the container's network namespace: a listening socket
   * created in there (gateway-netns.ts) that the in-process gateway serves directly, or,
   * for a gateway elsewhere, whose connections this process pipes to its unix socket.
   */
  private async listen(socket: string): Promise<void> {
    if (!statSync(socket, { throwIfNoEntry: false })?.isSocket()) {
      throw new HangarError(
        'sandbox_gateway_missing',
        503,
        `Gateway socket ${socket} is not usable: not a unix socket.`,
      );
    }
    const info = await this.host.inspect(this.id);
    const pid = info.State?.Pid;
    if (!pid) throw new ConflictError(`Sandbox ${this.id} stopped as it started.`);
    const netns = await listenInNetns(`/proc/${pid}/ns/net`, this.saved.gatewayPort, {
      nsenter: this.host.nsenter(),
    });
    this.host.listeners.get(this.id)?.close();
    this.host.listeners.set(this.id, netns);
    if (this.host.gateway?.serve(socket, netns.server)) return;
    netns.server.on('connection', (inside: Socket) => relay(inside, socket));
  }

  async exec(argv: string[], options: ExecOptions = {}): Promise<ExecResult> {
    if (argv.length === 0) throw new ValidationError('give a command to run.', 'argv');
    checkEnv(options.env ?? {});
    const user = options.user ?? 'user';
    const env = commandEnv({
      user,
      sandboxId: this.id,
      gateway: this.gateway,
      sandboxEnv: this.saved.env,
      execEnv: options.env,
    });
    const root = user === 'root';
    let execId: string;
    try {
      ({ Id: execId } = await this.host.api.call<{ Id: string }>(
        'POST',
        `/containers/${this.id}/exec`,
        {
          AttachStdin: options.stdin !== undefined,
          AttachStdout: true,
          AttachStderr: true,
          Tty: false,
          Env: Object.entries(env).map(([name, value]) => `${name}=${value}`),
          WorkingDir: options.cwd ?? (root ? '/root' : SANDBOX_USER.home),
          User: root ? '0:0' : `${DOCKER_USER.uid}:${DOCKER_USER.gid}`,
          Cmd: argv,
        },
      ));
    } catch (error) {
      if (error instanceof DockerApiError && error.engineStatus === 409) {
        this.lastState = 'stopped';
        throw new ConflictError(`Sandbox ${this.id} is stopped: start it first.`);
      }
      throw error;
    }
    const { socket, head } = await this.host.api.hijack(`/exec/${execId}/start`, {
      Detach: false,
      Tty: false,
    });
    const feed = demultiplexer(options.stdout, options.stderr);
    if (head.length > 0) feed(head);
    socket.on('data', feed);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => socket.destroy());
    const { stdin } = options;
    if (stdin === undefined) {
      // Nothing to send: half-close, the output still comes back.
    } else if (typeof stdin === 'string' || Buffer.isBuffer(stdin)) {
      socket.end(stdin);
    } else {
      stdin.on('error', () => socket.end());
      stdin.pipe(socket);
    }
    const abort = () => void this.killExec(execId);
    options.signal?.addEventListener('abort', abort, { once: true });
    if (options.signal?.aborted) abort();
    try {
      await closed;
    } finally {
      options.signal?.removeEventListener('abort', abort);
    }
    return this.exitOf(execId);
  }

  /** The exec's exit code once the engine has it; 128 + n is read as signal n. */
  private async exitOf(execId: string): Promise<ExecResult> {
    const deadline = Date.now() + EXIT_WAIT_MS;
    for (;;) {
      const info = await this.host.api.call<{ Running: boolean; ExitCode: number | null }>(
        'GET',
        `/exec/${execId}/json`,
      );
      if (!info.Running && info.ExitCode !== null) {
        const code = info.ExitCode;
        return { exitCode: code, signal: code > 128 ? signalName(code - 128) : null };
      }
      if (Date.now() > deadline) return { exitCode: 137, signal: 'SIGKILL' };
      await sleep(20);
    }
  }

  /** Kills an exec's process and everything it started (found on the host by parentage). */
  private async killExec(execId: string): Promise<void> {
    let pid = 0;
    let container = '';
    for (let tries = 0; tries < 50 && pid === 0; tries++) {
      const info = await this.host.api
        .call<{
          Pid?: number;
          Running?: boolean;
          ContainerID?: string;
        }>('GET', `/exec/${execId}/json`)
        .catch(() => undefined);
      // Ended: nothing to kill, and the pid the engine still reports may be another
      // process's by now.
      if (info?.Running === false) return;
      pid = info?.Pid ?? 0;
      container = info?.ContainerID ?? '';
      if (pid === 0) await sleep(20);
    }
    if (pid === 0 || !/^[0-9a-f]{64}$/.test(container)) return;
    // Twice: a child forked while the first round was sent is caught by the second.
    // Only processes in this container's cgroup: host pids are reused (pid_max may be
    // 32768), and a pid read a moment ago may name a process of the host or of another
    // sandbox by now.
    for (let round = 0; round < 2; round++) {
      for (const target of [pid, ...descendants(pid)].filter((p) => inContainer(p, container))) {
        try {
          process.kill(target, 'SIGKILL');
        } catch {
          // Gone.
        }
      }
    }
  }

  async stop(): Promise<void> {
    this.host.listeners.get(this.id)?.close();
    this.host.listeners.delete(this.id);
    try {
      // t=0: SIGKILL at once; pid 1 going takes every process in the sandbox with it.
      await this.host.api.call('POST', `/containers/${this.id}/stop?t=0`);
    } catch (error) {
      if (!(error instanceof DockerApiError) || error.engineStatus !== 304) throw error;
    }
    this.lastState = 'stopped';
  }

  async destroy(): Promise<void> {
    this.host.listeners.get(this.id)?.close();
    this.host.listeners.delete(this.id);
    try {
      await this.host.api.call('DELETE', `/containers/${this.id}?force=true&v=true`);
    } catch (error) {
      if (!(error instanceof DockerApiError) || error.engineStatus !== 404) throw error;
    }
    this.lastState = 'stopped';
  }

  stats(): Promise<SandboxStats> {
    return this.readStats();
  }

  private async readStats(): Promise<SandboxStats> {
    const info = await this.host.inspect(this.id);
    const running = info.State?.Running === true;
    this.lastState = running ? 'running' : 'stopped';
    let usage = { memoryBytes: 0, cpuSeconds: 0, pids: 0 };
    if (running) {
      const stats = await this.host.api.call<EngineStats>(
        'GET',
        `/containers/${this.id}/stats?stream=false`,
      );
      usage = {
        memoryBytes: stats.memory_stats?.usage ?? 0,
        cpuSeconds: (stats.cpu_stats?.cpu_usage?.total_usage ?? 0) / 1e9,
        pids: stats.pids_stats?.current ?? 0,
      };
    }
    return {
      state: this.lastState,
      ...usage,
      diskUsedBytes: info.SizeRw ?? 0,
      oomKills: running ? oomKills(info.Id, info.HostConfig?.CgroupParent) : 0,
      limits: this.limits,
    };
  }

  snapshot(): Promise<void> {
    return Promise.reject(
      new HangarError(
        'sandbox_snapshot_unsupported',
        409,
        'Snapshots (the setup cache) are not supported by the Docker driver.',
      ),
    );
  }
}

interface EngineStats {
  memory_stats?: { usage?: number };
  cpu_stats?: { cpu_usage?: { total_usage?: number } };
  pids_stats?: { current?: number };
}

/** Pipes a connection made inside the sandbox to the gateway's unix socket. */
function relay(inside: Socket, socketPath: string): void {
  const gateway = connect(socketPath);
  const close = () => {
    inside.destroy();
    gateway.destroy();
  };
  inside.on('error', close);
  gateway.on('error', close);
  inside.pipe(gateway);
  gateway.pipe(inside);
}

/** The OOM kills in a container's memory cgroup (v1 memory.oom_control, v2 memory.events). */
function oomKills(id: string, parent: string | undefined): number {
  const group = parent || 'docker';
  const candidates = [
    `/sys/fs/cgroup/memory/${group}/${id}/memory.oom_control`,
    `/sys/fs/cgroup/${group}/${id}/memory.events`,
    `/sys/fs/cgroup/system.slice/docker-${id}.scope/memory.events`,
  ];
  for (const path of candidates) {
    try {
      const match = /^oom_kill ([0-9]+)$/m.exec(readFileSync(path, 'utf8'));
      if (match) return Number(match[1]);
    } catch {
      // Not this layout.
    }
  }
  return 0;
}

/** Whether host pid `pid` runs in the container `id` (its cgroup path names the id). */
function inContainer(pid: number, id: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cgroup`, 'utf8').includes(id);
  } catch {
    return false;
  }
}

/** Host pids whose parent chain leads to `pid`. */
function descendants(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // The fields after the command name, which may itself hold spaces and parentheses.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const children = parents.get(ppid) ?? [];
      children.push(Number(name));
      parents.set(ppid, children);
    } catch {
      // Exited while we looked.
    }
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of parents.get(queue.shift() ?? 0) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

function signalName(number: number): NodeJS.Signals | null {
  const entry = Object.entries(osConstants.signals).find(([, n]) => n === number);
  return entry ? (entry[0] as NodeJS.Signals) : null;
}
