import { ImageBuilds } from '../images/builds.js';
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve, type ServerType } from '@hono/node-server';
import { pino, type Logger } from 'pino';
import { runInBackground } from '../background.js';
import type { ServerConfig } from '../config.js';
import { storeDir } from '../data-dir.js';
import { HangarError } from '../errors.js';
import { loadTrustedDomains } from '../environments/trusted-domains.js';
import { storeModelMeter } from '../store/model-usage.js';
import { openStore, type Store } from '../store/store.js';
import { createGitHub } from '../github/github.js';
import { sessionPullRequests } from '../github/pull-requests.js';
import { loadSecretKey } from '../github/secret-box.js';
import { createApp } from './app.js';
import { SetupCache } from '../sessions/setup-cache.js';
import { AGENTS } from '../agents/index.js';
import { agentStatuses, type AgentStatus } from '../agents/readiness.js';
import { createGateway, gatewayOptionsFrom } from '../gateway/gateway.js';
import { createGitMirrors, mirrorsEnabled } from '../gateway/git-mirror.js';
import { systemLookup, type UpstreamRules } from '../gateway/resolver.js';
import type { SandboxDriver } from '../sandbox/driver.js';
import { driverNameFrom } from '../sandbox/docker-driver.js';
import { driverFrom, type HostDriver } from '../sandbox/drivers.js';
import { EventLog } from '../sessions/event-log.js';
import { Runner, runnerIdFor } from '../sessions/runner.js';
import { CommandRouter, COMMANDS_CHANNEL } from '../sessions/commands.js';
import { CommandWorker } from '../sessions/command-worker.js';
import { EVENTS_CHANNEL, PgEventBus } from '../sessions/pg-event-bus.js';
import { PgListener } from '../store/listener.js';
import { Scheduler } from '../schedules/scheduler.js';
import { scheduledSessionStarter } from '../schedules/start-session.js';
import { sessionGitHubApi } from '../github/session-tools.js';
import { ADMIN_TOKEN_FILE } from '../data-dir.js';
import { packageVersion } from '../version.js';
import { bootstrapAdmin } from './bootstrap.js';
import { lockDataDir } from './data-dir-lock.js';

export interface RunningServer {
  url: string;
  adminTokenFile: string;
  /** True on the very first start, when the admin token was just written. */
  firstStart: boolean;
  store: Store;
  /** The sessions' event log, as the runner appends to it (e.g. for a bench). */
  log: EventLog;
  /** Which agents can run here; an unusable one has a reason. */
  agents: AgentStatus[];
  /** This process's runner's id (absent on an API node without one). */
  runnerId: string | undefined;
  close(): Promise<void>;
}

/** The built web app: `dist/web` in the package, beside the compiled server. */
export function packageWebDir(): string {
  return fileURLToPath(new URL('../../dist/web', import.meta.url));
}

/**
 * Fields no log line may carry (a GitHub token in a request body, an Authorization
 * header in an error's request): pino writes `[redacted]` in their place.
 */
export const LOG_REDACT = {
  paths: [
    'token',
    '*.token',
    'authorization',
    '*.authorization',
    '*.headers.authorization',
    '*.*.headers.authorization',
  ],
  censor: '[redacted]',
};

/** What a server can be given instead of what it makes itself. */
export interface ServerDeps {
  /** The sandbox driver (default: the local bubblewrap driver, made on first use). */
  driver?: SandboxDriver;
}

/** Which parts a process runs: the API and web app, a runner, or both (the default). */
export interface Roles {
  /** Serve the API and the web app over HTTP. */
  api: boolean;
  /** Claim and run sessions (sandboxes, gateway, agents). */
  runner: boolean;
}

/**
 * Opens the store, creates the admin on first start and listens for HTTP; with
 * `roles.runner` (the default) it runs sessions too, as one machine's Hangar does.
 * `hangar serve --no-runner` (API only) needs PostgreSQL: runners elsewhere share it.
 */
export async function startServer(
  config: ServerConfig,
  logger?: Logger,
  deps: ServerDeps = {},
  roles: Roles = { api: true, runner: true },
): Promise<RunningServer> {
  const log = logger ?? pino({ level: config.logLevel, redact: LOG_REDACT });
  requireSharedStore(config, roles);
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  chmodSync(config.dataDir, 0o700);
  const unlock = lockDataDir(config.dataDir);

  let store: Store | undefined;
  const closers: (() => Promise<unknown>)[] = [];
  try {
    store = await openStore({
      databaseUrl: config.databaseUrl,
      pgliteDir: storeDir(config.dataDir),
    });
    const opened = store;
    const firstStart = roles.api ? await bootstrapAdmin(store, config.dataDir) : false;
    const trustedDomains = loadTrustedDomains();
    const cluster = await joinCluster(store, log);
    if (cluster) closers.push(() => cluster.close());
    const events = new EventLog(store.db, cluster?.bus);
    const github = createGitHub({
      config: config.github,
      db: store.db,
      secretKey: () => loadSecretKey(config.dataDir, process.env),
    });
    const gatewayOptions = gatewayOptionsFrom(process.env);
    const agents = agentStatuses(AGENTS.values(), process.env);
    for (const agent of agents) {
      if (!agent.usable) {
        log.warn(
          { agent: agent.name, reason: agent.reason },
          `${agent.name} cannot run: sessions for it are refused`,
        );
      }
    }
    const setupCache = new SetupCache(config.dataDir, config.setupCacheMs);
    const running = roles.runner
      ? makeRunner({ config, store, events, github, trustedDomains, setupCache, log, deps })
      : undefined;
    const runner = running?.runner;
    const commands = new CommandRouter(
      store.db,
      runner,
      cluster && { listener: cluster.listener, log: events, logger: log },
    );
    const worker =
      cluster && runner ? new CommandWorker(store.db, runner, cluster.listener, log) : undefined;
    const upstreams: UpstreamRules = {
      pins: gatewayOptions.pins ?? new Map(),
      gitHosts: gatewayOptions.gitHosts ?? new Set(),
      lookup: systemLookup,
    };
    let url = '';
    let stopHttp: (() => Promise<void>) | undefined;
    let scheduler: Scheduler | undefined;
    let pullRequests: ReturnType<typeof sessionPullRequests> | undefined;
    let imageBuilds: ImageBuilds | undefined;
    if (roles.api) {
      const publicUrl = () => config.publicUrl ?? url;
      pullRequests = sessionPullRequests({
        db: store.db,
        github,
        log: events,
        runner: commands,
        publicUrl,
        logger: log,
      });
      scheduler = new Scheduler({
        db: store.db,
        logger: log,
        owner: runner?.id ?? apiNodeIdFor(config.dataDir),
        startSession: scheduledSessionStarter({
          db: store.db,
          log: events,
          upstreams,
          github,
          agents,
          kick: () => commands.kick(),
          limits: {
            sessionsPerHour: config.limits.sessionsPerHour,
            tokensPerUserPerDay: config.modelLimits.tokensPerUserPerDay,
          },
        }),
      });
      imageBuilds = new ImageBuilds(config.dataDir, log);
      const app = createApp({
        store,
        dataDir: config.dataDir,
        setupCache,
        imageBuilds,
        maxBundleBytes: config.maxBundleBytes,
        limits: config.limits,
        logger: log,
        trustedDomains,
        version: packageVersion(),
        sessions: {
          log: events,
          runner: commands,
          upstreams,
          modelLimits: config.modelLimits,
          pullRequests,
          scheduler,
        },
        github,
        publicUrl,
        webDir: packageWebDir(),
        agents,
      });
      const server = await listen(app.fetch, config.host, config.port);
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : config.port;
      url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
      stopHttp = async () => {
        const closed = new Promise<void>((done) => server.close(() => done()));
        // Keep-alive and streaming connections would hold close() open.
        if ('closeAllConnections' in server) server.closeAllConnections();
        await closed;
        log.info('http server closed; stopping sessions');
      };
    }
    await runner?.start();
    worker?.start();
    pullRequests?.start();
    await scheduler?.start();
    if (roles.api) log.info({ url, store: store.kind, runner: runner?.id }, 'hangar listening');
    else log.info({ runner: runner?.id, store: store.kind }, 'hangar runner started');
    return {
      url,
      adminTokenFile: join(config.dataDir, ADMIN_TOKEN_FILE),
      firstStart,
      store,
      log: events,
      agents,
      runnerId: runner?.id,
      close: async () => {
        await stopHttp?.();
        await scheduler?.stop();
        await pullRequests?.stop();
        await worker?.stop();
        await running?.stop();
        await imageBuilds?.stop();
        log.info('sessions stopped');
        for (const close of closers) await close();
        await opened.close();
        unlock();
        log.info('shut down');
      },
    };
  } catch (error) {
    for (const close of closers) await close().catch(() => undefined);
    await store?.close();
    unlock();
    throw error;
  }
}

/**
 * An API node without a runner, or a runner without the API, is one part of a Hangar
 * whose other parts share its store: the embedded PGlite store is one process's.
 */
function requireSharedStore(config: ServerConfig, roles: Roles): void {
  if (roles.api && roles.runner) return;
  if (config.databaseUrl) return;
  const what = roles.runner ? '`hangar runner`' : '`hangar serve --no-runner`';
  throw new HangarError(
    'database_url_required',
    400,
    `${what} needs DATABASE_URL: API nodes and runners share one PostgreSQL database ` +
      '(the embedded store serves one process only). Set DATABASE_URL=postgres://…, or run `hangar serve` on its own.',
  );
}

/** A name for an API node without a runner, in schedule run leases. */
function apiNodeIdFor(dataDir: string): string {
  return runnerIdFor(dataDir).replace(/^runner-/, 'api-');
}

/** What a process needs to be one of several on one PostgreSQL database. */
interface ClusterLinks {
  listener: PgListener;
  bus: PgEventBus;
  close(): Promise<void>;
}

/** On PostgreSQL: LISTEN for other processes' changes and commands. Embedded: nothing. */
async function joinCluster(store: Store, log: Logger): Promise<ClusterLinks | undefined> {
  if (store.kind !== 'postgres' || !store.url) return undefined;
  const listener = new PgListener(store.url, [EVENTS_CHANNEL, COMMANDS_CHANNEL], log);
  await listener.start();
  const bus = new PgEventBus(store.db, listener, log);
  return {
    listener,
    bus,
    close: async () => {
      bus.close();
      await listener.close();
    },
  };
}

/** The runner and what it runs sessions with: gateway and sandbox driver. */
function makeRunner(options: {
  config: ServerConfig;
  store: Store;
  events: EventLog;
  github: ReturnType<typeof createGitHub>;
  trustedDomains: ReturnType<typeof loadTrustedDomains>;
  setupCache: SetupCache;
  log: Logger;
  deps: ServerDeps;
}): { runner: Runner; stop(): Promise<void> } {
  const { config, store, events, github, trustedDomains, setupCache, log, deps } = options;
  const gatewayOptions = gatewayOptionsFrom(process.env);
  const gateway = createGateway({
    ...gatewayOptions,
    // Repeat clones from a host-side mirror per upstream repo (HANGAR_GIT_MIRROR=0: off).
    ...(mirrorsEnabled(process.env)
      ? {
          gitMirrors: createGitMirrors({
            root: join(config.dataDir, 'git-mirrors'),
            maxBytes: config.outputLimits.repoBytes,
            logger: log,
          }),
        }
      : {}),
    logger: log,
    // The gateway knows sandboxes by the id they were attached with: the session's.
    onDenial: (sessionId, denial) => {
      const blocked = { host: denial.host, port: denial.port, reason: denial.reason };
      runInBackground(
        'recording a blocked request',
        events.append(sessionId, [{ type: 'network.blocked', data: blocked }]),
        { logger: log, context: { session: sessionId } },
      );
    },
  });
  let hostDriver: HostDriver | undefined;
  // HANGAR_SANDBOX_DRIVER: checked now, so a typo stops the server with its name.
  const driverName = deps.driver ? 'given' : driverNameFrom(process.env);
  const runner = new Runner({
    db: store.db,
    log: events,
    driver:
      deps.driver ??
      lazyDriver(
        () =>
          (hostDriver = driverFrom(process.env, config.dataDir, {
            // In this process: sandboxes' connections are accepted by it directly.
            gateway,
            warmPool: true,
            onWarning: (message) => log.warn(message),
          })),
      ),
    gateway,
    githubAccounts: github,
    dataDir: config.dataDir,
    installAgent: (agent) => agent.install(config.agentsDir),
    github: (session) => sessionGitHubApi(github, store.db, session),
    trustedPatterns: trustedDomains.flatMap((group) => group.patterns),
    modelMeter: (session) =>
      storeModelMeter(
        store.db,
        { sessionId: session.id, userId: session.userId },
        config.modelLimits,
        {
          onError: (error) =>
            log.warn({ err: error, session: session.id }, 'could not record model usage'),
        },
      ),
    logger: log,
    // The Docker driver takes no snapshots: its sessions run their setup each time.
    ...(driverName === 'docker' ? {} : { setupCache }),
    runnerId: runnerIdFor(config.dataDir),
    options: {
      hibernateAfterMs: config.hibernateAfterMs,
      leaseMs: config.leaseMs,
      setupTimeoutMs: config.setupTimeoutMs,
      maxSessionsPerUser: config.limits.sessionsPerUser,
      outputLimits: config.outputLimits,
      ...(config.runnerCapacity === undefined ? {} : { capacity: config.runnerCapacity }),
    },
  });
  return {
    runner,
    stop: async () => {
      await runner.stop();
      // The warm pool's sandboxes, which no session holds; the gateway's listeners.
      await hostDriver?.close();
      await gateway.close();
    },
  };
}

/**
 * The driver, made on first use: a host that cannot run sandboxes (not root, no
 * bubblewrap) still serves the API, and each session fails with the driver's reason.
 */
function lazyDriver(make: () => SandboxDriver): SandboxDriver {
  let driver: SandboxDriver | undefined;
  const get = () => (driver ??= make());
  return {
    create: async (spec) => get().create(spec),
    get: async (id) => get().get(id),
    list: async () => get().list(),
  };
}

function listen(
  fetch: (request: Request) => Response | Promise<Response>,
  hostname: string,
  port: number,
): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, hostname, port }, () => {
      resolve(server);
    });
    server.once('error', (error: NodeJS.ErrnoException) => {
      const hint =
        error.code === 'EADDRINUSE' ? ' (is another server using that port? set HANGAR_PORT)' : '';
      reject(
        new HangarError(
          'listen_failed',
          503,
          `Cannot listen on ${hostname}:${port}: ${error.code ?? error.message}${hint}`,
        ),
      );
    });
  });
}
