import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Server, Socket } from 'node:net';
import { pino, type Logger } from 'pino';
import { runInBackground } from '../background.js';
import { ConflictError, ValidationError } from '../errors.js';
import type { EgressPolicy } from './egress-policy.js';
import {
  CONNECT_TIMEOUT_MS,
  dialDirect,
  handleConnect,
  handleForward,
  TUNNEL_BUFFER_BYTES,
  type Denial,
  type Dial,
  type EgressContext,
  type EgressDeps,
} from './egress-proxy.js';
import type { GitMirrors } from './git-mirror.js';
import { handleGit, type GitContext, type GitUpstream } from './git-proxy.js';
import { handleGitHub, type GitHubApi, type GitHubContext } from './github-api.js';
import { refuse } from './http-util.js';
import {
  handleModel,
  modelUpstreamsFrom,
  type ModelMeter,
  type ModelUpstream,
} from './model-gateway.js';
import { isValidBranchName } from './push-rule.js';
import {
  coalesceLookups,
  originKey,
  parseGitHosts,
  parsePins,
  systemLookup,
  type GitHosts,
  type Lookup,
  type Pins,
  type UpstreamRules,
} from './resolver.js';
import { DEFAULT_GATEWAY_LIMITS, Limiter, type GatewayLimits } from './sandbox-limits.js';

/** What the gateway holds for every sandbox on this host. */
export interface GatewayOptions {
  /** Operator-pinned names (HANGAR_EGRESS_RESOLVE). */
  pins?: Pins;
  /** DNS for the egress proxy (default getaddrinfo). */
  lookup?: Lookup;
  /** How the egress proxy opens a connection to a checked address. */
  dial?: Dial;
  /** How long the egress proxy waits for a dial (default 30 s). */
  connectTimeoutMs?: number;
  /** Model providers by path name: `{ anthropic: …, openai: … }` serves `/model/anthropic/…` and `/model/openai/…`. */
  models?: Readonly<Record<string, ModelUpstream | undefined>>;
  /** Git hosts the operator configured by URL (HANGAR_GIT_HOSTS): any address allowed. */
  gitHosts?: GitHosts;
  /**
   * Host-side mirrors that serve repeat clones from local disk (git-mirror.ts);
   * omitted (or HANGAR_GIT_MIRROR=0): every fetch goes to the upstream.
   */
  gitMirrors?: GitMirrors;
  /** Default per-sandbox limits. */
  limits?: Partial<GatewayLimits>;
  /** Where a request that failed unexpectedly is logged (default: nowhere). */
  logger?: Pick<Logger, 'error'>;
  /** Called for every refused egress request (later a `network.blocked` event). */
  onDenial?: (sandboxId: string, denial: Denial) => void;
}

/** One sandbox's view of the gateway, served on its own unix socket. */
export interface AttachOptions {
  /** Where to listen; the sandbox's relay connects here. */
  socketPath: string;
  policy: EgressPolicy;
  /** The only branch the sandbox may push; omitted: it may not push. */
  branch?: string;
  /**
   * The repos it may fetch from and push to, by key (`host/owner/repo`), each with
   * its real upstream and credential. Kept per attachment: another sandbox attached
   * to the same repo has its own entry and cannot change or remove this one.
   */
  repos?: Readonly<Record<string, GitUpstream>>;
  limits?: Partial<GatewayLimits>;
  /**
   * The session's repo on GitHub, for the `/github/` route the agent's tools call;
   * omitted: that route refuses everything.
   */
  github?: GitHubApi;
  /** Counts and limits this sandbox's model use; omitted: neither. */
  meter?: ModelMeter;
}

export interface Attachment {
  readonly sandboxId: string;
  readonly socketPath: string;
  /** Refused egress requests, oldest first (the most recent 1000). */
  denials(): readonly Denial[];
  usage(): { tunnels: number; bytes: number };
  /** Stops listening, cuts every connection and removes the socket. */
  detach(): Promise<void>;
}

export interface Gateway {
  attach(sandboxId: string, options: AttachOptions): Promise<Attachment>;
  /**
   * Serves the sandbox attached at `socketPath` on `listener` too: a socket listening
   * inside the sandbox's own network namespace (gateway-netns.ts), so its connections
   * are accepted here with no relay between. False when nothing is attached there.
   * The listener is closed on detach.
   */
  serve(socketPath: string, listener: Server): boolean;
  /** Detaches every sandbox. */
  close(): Promise<void>;
}

const MAX_DENIALS = 1000;

/** Gateway options from the server's environment (HANGAR_EGRESS_RESOLVE, ANTHROPIC_*, OPENAI_*). */
export function gatewayOptionsFrom(
  env: NodeJS.ProcessEnv,
): Pick<GatewayOptions, 'pins' | 'models' | 'gitHosts'> {
  return {
    pins: parsePins(env.HANGAR_EGRESS_RESOLVE),
    gitHosts: new Set([...parseGitHosts(env.HANGAR_GIT_HOSTS), ...configuredGitHub(env)]),
    models: modelUpstreamsFrom(env),
  };
}

/**
 * The GitHub the operator named (HANGAR_GITHUB_URL), trusted as a HANGAR_GIT_HOSTS entry
 * is: a GitHub Enterprise Server may live on a private address. github.com, the
 * default, is held to the usual rules.
 */
function configuredGitHub(env: NodeJS.ProcessEnv): string[] {
  const url = env.HANGAR_GITHUB_URL;
  return url && URL.canParse(url) ? [originKey(new URL(url))] : [];
}

/**
 * The gateway: one unix socket per sandbox, and on each the egress proxy, the model
 * gateway and the git proxy. A connection's sandbox is the socket it arrived on;
 * nothing in a request names or changes it.
 */
export function createGateway(options: GatewayOptions = {}): Gateway {
  const deps: EgressDeps = {
    pins: options.pins ?? new Map(),
    lookup: coalesceLookups(options.lookup ?? systemLookup),
    dial: options.dial ?? dialDirect,
    connectTimeoutMs: options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
  };
  const models = options.models ?? {};
  const logger = options.logger ?? pino({ level: 'silent' });
  const upstreams: UpstreamRules = {
    pins: deps.pins,
    lookup: deps.lookup,
    gitHosts: options.gitHosts ?? new Set(),
  };
  const attached = new Map<string, Attachment>();
  /** By socket path: hands a listener's connections to that attachment's server. */
  const adopters = new Map<string, (listener: Server) => void>();

  async function attach(sandboxId: string, attach: AttachOptions): Promise<Attachment> {
    if (attached.has(sandboxId))
      throw new ConflictError(`Sandbox ${sandboxId} is already attached.`);
    if (attach.branch !== undefined && !isValidBranchName(attach.branch)) {
      throw new ValidationError(`"${attach.branch}" is not a valid branch name`, 'branch');
    }
    const denials: Denial[] = [];
    const limiter = new Limiter({ ...DEFAULT_GATEWAY_LIMITS, ...options.limits, ...attach.limits });
    const egress: EgressContext = {
      policy: attach.policy,
      limiter,
      recordDenial(denial) {
        denials.push(denial);
        if (denials.length > MAX_DENIALS) denials.shift();
        options.onDenial?.(sandboxId, denial);
      },
    };
    const git: GitContext = {
      sandboxId,
      repos: new Map(Object.entries(attach.repos ?? {})),
      upstreams,
      branch: attach.branch,
      mirrors: options.gitMirrors,
    };

    const github: GitHubContext = { api: attach.github, upstreams };

    const route = (req: IncomingMessage, res: ServerResponse) => {
      const url = req.url ?? '';
      if (url.startsWith('/model/')) {
        return handleModel(models, attach.meter, req, res);
      }
      const isGit = url.startsWith('/git/');
      if (isGit || url.startsWith('/github/')) {
        if (!limiter.takeRequest()) {
          req.resume();
          refuse(res, {
            status: 429,
            code: 'requests-per-second',
            message: 'Hangar: too many requests from this sandbox; slow down and retry.',
          });
          return;
        }
        return isGit ? handleGit(git, req, res) : handleGitHub(github, req, res);
      }
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return handleForward(egress, deps, req, res);
      egress.recordDenial({
        at: new Date(),
        host: url,
        port: 0,
        code: 'bad-target',
        reason: 'origin-form request',
      });
      refuse(res, {
        status: 403,
        code: 'bad-target',
        message: `Hangar: "${url}" is not a proxy request; send absolute-form (http://host/path) or CONNECT host:port.`,
      });
    };

    const server = createServer({ requestTimeout: 0, highWaterMark: TUNNEL_BUFFER_BYTES });
    const sockets = new Set<Socket>();
    server.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      runInBackground('a gateway request', Promise.resolve(route(req, res)), {
        logger,
        context: { sandbox: sandboxId, url: req.url },
        onFailure: () => res.destroy(),
      });
    });
    server.on('connect', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      runInBackground('a gateway CONNECT', handleConnect(egress, deps, req, socket, head), {
        logger,
        context: { sandbox: sandboxId, target: req.url },
        onFailure: () => socket.destroy(),
      });
    });
    server.on('clientError', (_error, socket: Socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else socket.destroy();
    });

    // sun_path holds 108 bytes with its NUL; a longer path cannot be bound.
    if (Buffer.byteLength(attach.socketPath) > 107) {
      throw new ValidationError(
        `${attach.socketPath} is longer than a unix socket path may be (107 bytes); use a shorter data dir`,
        'socketPath',
      );
    }
    removeStaleSocket(attach.socketPath);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(attach.socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
    chmodSync(attach.socketPath, 0o600);

    const listeners = new Set<Server>();
    const adopt = (listener: Server) => {
      listeners.add(listener);
      // Its sockets behave as the unix socket's (it was made by another process): a
      // client's half-close does not end our side (the answer may still flow), small
      // writes go out at once, and a tunnel buffers a whole read.
      Object.assign(listener, {
        allowHalfOpen: true,
        noDelay: true,
        highWaterMark: TUNNEL_BUFFER_BYTES,
      });
      listener.on('connection', (socket: Socket) => server.emit('connection', socket));
      listener.once('close', () => listeners.delete(listener));
    };
    adopters.set(attach.socketPath, adopt);

    const attachment: Attachment = {
      sandboxId,
      socketPath: attach.socketPath,
      denials: () => [...denials],
      usage: () => limiter.usage(),
      detach: async () => {
        if (attached.get(sandboxId) !== attachment) return;
        attached.delete(sandboxId);
        if (adopters.get(attach.socketPath) === adopt) adopters.delete(attach.socketPath);
        for (const listener of listeners) listener.close();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const socket of sockets) socket.destroy();
        await closed;
      },
    };
    attached.set(sandboxId, attachment);
    return attachment;
  }

  return {
    attach,
    serve: (socketPath, listener) => {
      const adopt = adopters.get(socketPath);
      if (!adopt) return false;
      adopt(listener);
      return true;
    },
    close: async () => {
      await Promise.all([...attached.values()].map((a) => a.detach()));
    },
  };
}

/** A socket file left by a process that died; anything else at that path is an error. */
function removeStaleSocket(path: string): void {
  try {
    if (!lstatSync(path).isSocket()) {
      throw new ConflictError(
        `${path} exists and is not a socket; choose another gateway socket path.`,
      );
    }
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
