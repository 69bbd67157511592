import { ImageBuilds } from '../images/builds.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { pino } from 'pino';
import type { AgentStatus } from '../agents/readiness.js';
import { DEFAULT_USER_LIMITS } from '../config.js';
import { loadTrustedDomains } from '../environments/trusted-domains.js';
import { startGitHubStandIn, type GitHubStandIn } from '../../fixtures/github/stand-in.js';
import { createGateway } from '../gateway/gateway.js';
import { DEFAULT_MODEL_LIMITS, type ModelLimits } from '../gateway/model-usage.js';
import { githubConfigFrom } from '../github/config.js';
import { createGitHub } from '../github/github.js';
import { sessionPullRequests, type PullRequests } from '../github/pull-requests.js';
import { loadSecretKey } from '../github/secret-box.js';
import type { SandboxDriver } from '../sandbox/driver.js';
import { EventLog } from '../sessions/event-log.js';
import { Runner } from '../sessions/runner.js';
import { CommandRouter } from '../sessions/commands.js';
import { Scheduler } from '../schedules/scheduler.js';
import { scheduledSessionStarter } from '../schedules/start-session.js';
import { AGENT_NAMES } from '../agents/catalog.js';
import type { Schedule } from '../store/schedules.js';
import type { Store } from '../store/store.js';
import { openTestStore } from '../store/test-store.js';
import { createApp, type AppLimits } from './app.js';
import { ADMIN_TOKEN_FILE } from '../data-dir.js';
import { bootstrapAdmin } from './bootstrap.js';

export interface TestApp {
  store: Store;
  /** The sessions' event log (served with the `sessions` option). */
  log: EventLog;
  dataDir: string;
  /** The admin's token, as `hangar serve` writes it on first start. */
  token: string;
  /** The GitHub the app talks to: a stand-in, unless the test gave its own settings. */
  github: GitHubStandIn | undefined;
  /** Sessions' pull requests (with `sessions`), e.g. to start polling. */
  pullRequests: PullRequests | undefined;
  /** Schedules' runs (with `sessions`), on the app's clock: `tick()` starts what is due. */
  scheduler: Scheduler | undefined;
  /** How a schedule's run makes its session here, for a second scheduler on the same store. */
  startScheduledSession: (schedule: Schedule, sessionId: string) => Promise<void>;
  /** Moves the server's clock, e.g. past a token's expiry. */
  setNow(date: Date): void;
  request(
    method: string,
    path: string,
    options?: {
      body?: unknown;
      token?: string | null;
      raw?: string | Uint8Array;
      contentType?: string;
      headers?: Record<string, string>;
    },
  ): Promise<Response>;
  /** Serves the app over HTTP on 127.0.0.1 (for a browser); answers its URL. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

/** Why sessions fail at once in in-process tests: there is no agent (nor sandbox) here. */
export const NO_AGENT = 'no agent in in-process tests';

/**
 * The real app over a fresh store with a bootstrapped admin, called in-process. With
 * `sessions`, the sessions API is served by a real runner that has no agent to
 * install, so each session goes from queued to provisioning to failed (NO_AGENT).
 */
export async function openTestApp(
  options: {
    maxBundleBytes?: number;
    limits?: Partial<AppLimits>;
    /** The model gateway's limits (default DEFAULT_MODEL_LIMITS); tokens per day also bound new turns. */
    modelLimits?: ModelLimits;
    sessions?: boolean;
    keepAliveMs?: number;
    webDir?: string;
    /** Which agents can run (default: all). */
    agents?: AgentStatus[];
    /** HANGAR_GITHUB_* settings; by default a GitHub stand-in of its own on loopback. */
    githubEnv?: NodeJS.ProcessEnv;
  } = {},
): Promise<TestApp> {
  const store = await openTestStore();
  const dataDir = mkdtempSync(join(tmpdir(), 'hangar-app-'));
  await bootstrapAdmin(store, dataDir);
  const token = readFileSync(join(dataDir, ADMIN_TOKEN_FILE), 'utf8').trim();
  let now: Date | undefined;
  const logger = pino({ level: 'silent' });
  const trustedDomains = loadTrustedDomains();
  const log = new EventLog(store.db);
  const standIn = options.githubEnv ? undefined : await startGitHubStandIn();
  const github = createGitHub({
    config: githubConfigFrom(
      options.githubEnv ?? {
        HANGAR_GITHUB_URL: standIn?.webUrl,
        HANGAR_GITHUB_API_URL: standIn?.apiUrl,
      },
    ),
    db: store.db,
    secretKey: () => loadSecretKey(dataDir, {}),
  });
  const runner = options.sessions
    ? new Runner({
        db: store.db,
        log,
        driver: noSandboxes,
        gateway: createGateway(),
        dataDir,
        installAgent: () => Promise.reject(new Error(NO_AGENT)),
        trustedPatterns: trustedDomains.flatMap((group) => group.patterns),
        logger,
      })
    : undefined;
  const commands = runner && new CommandRouter(store.db, runner);
  const pullRequests =
    commands &&
    sessionPullRequests({
      db: store.db,
      github,
      log,
      runner: commands,
      publicUrl: () => 'http://hangar.test',
      logger,
    });
  const clock = () => now ?? new Date();
  const limits = { ...DEFAULT_USER_LIMITS, ...options.limits };
  const modelLimits = options.modelLimits ?? DEFAULT_MODEL_LIMITS;
  const startScheduledSession = scheduledSessionStarter({
    db: store.db,
    log,
    github,
    agents: options.agents ?? AGENT_NAMES.map((name) => ({ name, usable: true })),
    kick: () => runner?.kick(),
    limits: {
      sessionsPerHour: limits.sessionsPerHour,
      tokensPerUserPerDay: modelLimits.tokensPerUserPerDay,
    },
    clock,
  });
  const scheduler =
    runner &&
    new Scheduler({
      db: store.db,
      logger,
      owner: runner.id,
      clock,
      startSession: startScheduledSession,
    });
  const imageBuilds = new ImageBuilds(dataDir, logger);
  const app = createApp({
    store,
    dataDir,
    imageBuilds,
    maxBundleBytes: options.maxBundleBytes,
    limits,
    logger,
    trustedDomains,
    version: 'test',
    clock,
    sessions: runner &&
      pullRequests && { log, runner: commands, pullRequests, scheduler, modelLimits },
    keepAliveMs: options.keepAliveMs,
    webDir: options.webDir,
    agents: options.agents,
    github,
  });
  let server: ServerType | undefined;
  return {
    store,
    log,
    dataDir,
    token,
    github: standIn,
    pullRequests,
    scheduler,
    startScheduledSession,
    setNow: (date) => {
      now = date;
    },
    request: (method, path, options = {}) => {
      const headers: Record<string, string> = { ...options.headers };
      const presented = options.token === undefined ? token : options.token;
      if (presented !== null && !headers.authorization)
        headers.authorization = `Bearer ${presented}`;
      let body: string | Uint8Array | undefined = options.raw;
      if (options.body !== undefined) body = JSON.stringify(options.body);
      if (body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
      // `duplex` lets a test stream a body of unknown length, as curl does with chunks.
      const init = { method, headers, body, duplex: 'half' } as RequestInit;
      return Promise.resolve(app.request(path, init));
    },
    listen: () =>
      new Promise((resolve) => {
        server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) =>
          resolve(`http://127.0.0.1:${info.port}`),
        );
      }),
    close: async () => {
      if (server) {
        const closing = server;
        // Live feeds never end on their own.
        if ('closeAllConnections' in closing) closing.closeAllConnections();
        await new Promise((resolve) => closing.close(resolve));
      }
      await scheduler?.stop();
      await pullRequests?.stop();
      await runner?.stop();
      // A build the fuzzer started would write on into the data dir removed below.
      await imageBuilds.stop();
      await store.close();
      await standIn?.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const noSandboxes: SandboxDriver = {
  create: () => Promise.reject(new Error('no sandboxes in in-process tests')),
  get: (id) => Promise.reject(new Error(`no sandbox ${id} in in-process tests`)),
  list: () => Promise.resolve([]),
};
