import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { ulid } from 'ulid';
import { findImage, imageRoot } from '../images/images.js';
import { ConflictError, HangarError, NotFoundError, ValidationError } from '../errors.js';
import { DockerApi, DockerApiError, dockerSocketFrom } from './docker-api.js';
import { importRootfs, imageTag } from './docker-image.js';
import { DockerSandbox, type DockerHost, type DockerSaved } from './docker-sandbox.js';
import type { Sandbox, SandboxDriver, SandboxSpec } from './driver.js';
import type { GatewayNetns } from './gateway-netns.js';
import type { GatewayAcceptor } from './local-driver.js';
import { findTool } from './host-tools.js';
import { resolveLimits, specLimits, type HostCapacity } from './limits.js';
import { checkBinds, checkSpec, SANDBOX_ID } from './spec-checks.js';

export interface DockerDriverOptions {
  /** Hangar's data dir: its images, and the scope its sandboxes are labelled with. */
  dataDir: string;
  /** The engine's unix socket (DOCKER_HOST; default /var/run/docker.sock). */
  socketPath?: string;
  /** A runtime registered with dockerd, e.g. `runsc` (HANGAR_DOCKER_RUNTIME). */
  runtime?: string | undefined;
  /** The root filesystem of sandboxes whose spec names none (HANGAR_SANDBOX_ROOTFS). */
  rootfs?: string | undefined;
  /** The gateway, when it runs in this process (see LocalDriverOptions.gateway). */
  gateway?: GatewayAcceptor;
  /** PATH to find host tools (nsenter) on. */
  env?: NodeJS.ProcessEnv;
  /** Told once when the engine cannot hold sandboxes to their disk limit. */
  onWarning?: (message: string) => void;
}

/** Docker driver options from the environment: DOCKER_HOST, HANGAR_DOCKER_RUNTIME, HANGAR_SANDBOX_ROOTFS. */
export function dockerDriverOptionsFrom(
  env: NodeJS.ProcessEnv,
  dataDir: string,
): DockerDriverOptions {
  return {
    dataDir,
    socketPath: dockerSocketFrom(env),
    runtime: env.HANGAR_DOCKER_RUNTIME || undefined,
    rootfs: env.HANGAR_SANDBOX_ROOTFS || undefined,
    env,
  };
}

/** The sandbox drivers HANGAR_SANDBOX_DRIVER names. */
export type DriverName = 'local' | 'docker';

/** HANGAR_SANDBOX_DRIVER: `local` (the default) or `docker`. */
export function driverNameFrom(env: NodeJS.ProcessEnv): DriverName {
  const name = (env.HANGAR_SANDBOX_DRIVER ?? '').trim();
  if (name === '' || name === 'local') return 'local';
  if (name === 'docker') return 'docker';
  throw new ValidationError(
    `"${name}" is not a sandbox driver: use local (bubblewrap, the default) or docker.`,
    'HANGAR_SANDBOX_DRIVER',
  );
}

/** The built-in image a Docker sandbox runs on when neither its spec nor the operator names one. */
export const DOCKER_DEFAULT_IMAGE = 'minimal';

/** Labels every Docker sandbox carries; `hangar.scope` says which data dir's it is. */
export const LABEL = {
  sandbox: 'hangar.sandbox',
  scope: 'hangar.scope',
  saved: 'hangar.saved',
} as const;

/**
 * Sandboxes as Docker containers, one each, made through the Engine API on this host's
 * engine. A sandbox is a container from an imported Hangar image (docker-image.ts),
 * with no network (`NetworkMode: none`) but a listener on 127.0.0.1:<port> created in
 * its network namespace and served by the gateway (as the local driver does), cgroup
 * limits, no capabilities for `user` (uid 1000), Docker's default seccomp profile and
 * no-new-privileges. Its disk is the container's writable layer: stop/start keeps it.
 * What a sandbox is lives in its container's labels, so any process finds it.
 * See docker-sandbox.ts for one sandbox's lifecycle.
 */
export class DockerDriver implements SandboxDriver, DockerHost {
  readonly api: DockerApi;
  readonly dataDir: string;
  readonly scope: string;
  private readonly options: DockerDriverOptions;
  private nsenterPath: string | undefined;
  /** Gateway listeners this process holds, by sandbox id. */
  readonly listeners = new Map<string, GatewayNetns>();
  private readonly imports = new Map<string, Promise<void>>();
  private checked: Promise<EngineFacts> | undefined;
  /** Set once a create learnt the engine cannot limit a container's disk. */
  diskLimited: boolean | undefined;

  constructor(options: DockerDriverOptions) {
    if (process.platform !== 'linux') {
      throw new HangarError('sandbox_unavailable', 503, 'The Docker driver runs on Linux only.');
    }
    this.options = options;
    this.dataDir = resolve(options.dataDir);
    this.scope = createHash('sha256').update(this.dataDir).digest('hex').slice(0, 16);
    this.api = new DockerApi(options.socketPath ?? '/var/run/docker.sock');
  }

  get gateway(): GatewayAcceptor | undefined {
    return this.options.gateway;
  }

  get runtime(): string | undefined {
    return this.options.runtime;
  }

  /** nsenter, to make gateway listeners in containers' network namespaces. */
  nsenter(): string {
    this.nsenterPath ??= findTool('nsenter', this.options.env ?? process.env);
    return this.nsenterPath;
  }

  warn(message: string): void {
    this.options.onWarning?.(message);
  }

  /** The engine's capacity and runtimes, asked once; an unknown runtime is refused here. */
  engine(): Promise<EngineFacts> {
    this.checked ??= this.api.call<EngineInfo>('GET', '/info').then((info) => {
      const runtime = this.options.runtime;
      const runtimes = Object.keys(info.Runtimes ?? {});
      if (runtime !== undefined && !runtimes.includes(runtime)) {
        throw new ValidationError(
          `the Docker engine has no runtime "${runtime}" (it has ${runtimes.join(', ') || 'none'}): register it with dockerd (e.g. runsc install) or unset HANGAR_DOCKER_RUNTIME.`,
          'HANGAR_DOCKER_RUNTIME',
        );
      }
      return {
        capacity: {
          cpus: info.NCPU ?? 1,
          memoryBytes: info.MemTotal ?? 0,
          // The engine does not say; its storage driver enforces what it can (see create).
          diskFreeBytes: Number.MAX_SAFE_INTEGER,
        },
        cgroupVersion: info.CgroupVersion === '2' ? 2 : 1,
      };
    });
    this.checked.catch(() => (this.checked = undefined));
    return this.checked;
  }

  async hostCapacity(): Promise<HostCapacity> {
    return (await this.engine()).capacity;
  }

  async create(spec: SandboxSpec = {}): Promise<Sandbox> {
    const facts = await this.engine();
    const limits = specLimits(spec.limits ?? {}, resolveLimits({}, facts.capacity));
    const gatewayPort = checkSpec(spec);
    const binds = checkBinds(spec.binds ?? []);
    if ((spec.layers ?? []).length > 0) {
      throw new ValidationError(
        'setup-cache layers are not supported by the Docker driver.',
        'layers',
      );
    }
    if (spec.gatewaySocket !== undefined && this.options.runtime === 'runsc') {
      throw new HangarError(
        'sandbox_unavailable',
        503,
        'The gateway cannot reach a runsc (gVisor) sandbox: gVisor has a network stack of its own, which a listener made outside it does not join. Use runc for sandboxes with a gateway.',
      );
    }
    const image = await this.imageFor(spec.rootfs);
    const saved: DockerSaved = {
      id: `sbx_${ulid().toLowerCase()}`,
      limits,
      env: spec.env ?? {},
      gatewaySocket: spec.gatewaySocket,
      gatewayPort,
    };
    const sandbox = new DockerSandbox(this, saved, 'stopped');
    await sandbox.make(image, binds);
    return sandbox;
  }

  /** The Docker image for a root filesystem, imported on first use. */
  private async imageFor(rootfs: string | undefined): Promise<string> {
    const root = rootfs ?? this.options.rootfs ?? this.defaultRootfs();
    let tag: string;
    try {
      tag = imageTag(root);
    } catch (error) {
      throw new HangarError(
        'sandbox_unavailable',
        503,
        `${root} is not a root filesystem the Docker driver can import (${(error as Error).message}).`,
      );
    }
    let pending = this.imports.get(tag);
    if (!pending) {
      pending = importRootfs(this.api, root, tag);
      this.imports.set(tag, pending);
      pending.catch(() => this.imports.delete(tag));
    }
    await pending;
    return tag;
  }

  /** The data dir's `minimal` image: Docker cannot show the host's own /usr as the local driver does. */
  private defaultRootfs(): string {
    const info = findImage(this.dataDir, DOCKER_DEFAULT_IMAGE);
    if (!info) {
      throw new HangarError(
        'image_missing',
        409,
        `The Docker driver runs sandboxes on an image and none is set: build the default one (hangar image build ${DOCKER_DEFAULT_IMAGE}), give the environment an image, or set HANGAR_SANDBOX_ROOTFS.`,
      );
    }
    return imageRoot(this.dataDir, info);
  }

  async get(id: string): Promise<Sandbox> {
    if (!SANDBOX_ID.test(id)) throw new NotFoundError('sandbox', id);
    let info: ContainerInfo;
    try {
      info = await this.api.call<ContainerInfo>('GET', `/containers/${id}/json`);
    } catch (error) {
      if (error instanceof DockerApiError && error.engineStatus === 404) {
        throw new NotFoundError('sandbox', id);
      }
      throw error;
    }
    const labels = info.Config?.Labels ?? {};
    const saved = labels[LABEL.saved];
    if (labels[LABEL.scope] !== this.scope || labels[LABEL.sandbox] !== id || !saved) {
      throw new NotFoundError('sandbox', id);
    }
    const state = info.State?.Running ? 'running' : 'stopped';
    return new DockerSandbox(this, JSON.parse(saved) as DockerSaved, state);
  }

  async list(): Promise<string[]> {
    const filters = JSON.stringify({ label: [`${LABEL.scope}=${this.scope}`] });
    const containers = await this.api.call<{ Labels?: Record<string, string> }[]>(
      'GET',
      `/containers/json?all=true&filters=${encodeURIComponent(filters)}`,
    );
    return containers
      .map((c) => c.Labels?.[LABEL.sandbox] ?? '')
      .filter((id) => SANDBOX_ID.test(id))
      .sort();
  }

  /** Closes the gateway listeners this process holds (the containers run on). */
  close(): Promise<void> {
    for (const listener of this.listeners.values()) listener.close();
    this.listeners.clear();
    return Promise.resolve();
  }

  /** A running sandbox's state as of now (state() answers from the last look). */
  async inspect(id: string): Promise<ContainerInfo> {
    try {
      return await this.api.call<ContainerInfo>('GET', `/containers/${id}/json?size=true`);
    } catch (error) {
      if (error instanceof DockerApiError && error.engineStatus === 404) {
        throw new NotFoundError('sandbox', id);
      }
      throw error;
    }
  }

  /** Refuses a sandbox whose container was removed behind Hangar's back. */
  gone(id: string): never {
    throw new ConflictError(`Sandbox ${id}'s container is gone from the Docker engine.`);
  }
}

interface EngineInfo {
  NCPU?: number;
  MemTotal?: number;
  CgroupVersion?: string;
  Runtimes?: Record<string, unknown>;
}

interface EngineFacts {
  capacity: HostCapacity;
  cgroupVersion: 1 | 2;
}

/** What the driver reads of `GET /containers/<id>/json`. */
export interface ContainerInfo {
  Id: string;
  SizeRw?: number;
  Config?: { Labels?: Record<string, string> };
  State?: { Running?: boolean; Pid?: number; OOMKilled?: boolean };
  HostConfig?: { CgroupParent?: string };
}
