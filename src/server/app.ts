import { OpenAPIHono } from '@hono/zod-openapi';
import { sql } from 'drizzle-orm';
import { bodyLimit } from 'hono/body-limit';
import type { Logger } from 'pino';
import { AGENT_NAMES } from '../agents/catalog.js';
import type { AgentStatus } from '../agents/readiness.js';
import { DEFAULT_USER_LIMITS, type UserLimits } from '../config.js';
import { HangarError } from '../errors.js';
import type { TrustedGroup } from '../environments/trusted-domains.js';
import type { GitHub } from '../github/github.js';
import type { PullRequests } from '../github/pull-requests.js';
import type { EventLog } from '../sessions/event-log.js';
import type { SessionCommands } from '../sessions/commands.js';
import type { Scheduler } from '../schedules/scheduler.js';
import type { UpstreamRules } from '../gateway/resolver.js';
import { DEFAULT_MODEL_LIMITS, type ModelLimits } from '../gateway/model-usage.js';
import type { Store } from '../store/store.js';
import { requireToken } from './auth.js';
import type { AppEnv } from './context.js';
import { errorResponse } from './errors.js';
import { StreamLimit } from './stream-limit.js';
import { accountRoutes } from './routes/account.js';
import { agentRoutes } from './routes/agents.js';
import { bundleRoutes } from './routes/bundles.js';
import { autofixRoutes } from './routes/autofix.js';
import { githubWebhookRoutes, WEBHOOK_PATH } from './routes/github-webhooks.js';
import { sessionGitRoutes } from './routes/session-git.js';
import { scheduleRoutes } from './routes/schedules.js';
import { sessionRoutes } from './routes/sessions.js';
import { environmentRoutes } from './routes/environments.js';
import { imageRoutes } from './routes/images.js';
import { ImageBuilds } from '../images/builds.js';
import { DEFAULT_SETUP_CACHE_DAYS, SetupCache } from '../sessions/setup-cache.js';
import { githubRoutes } from './routes/github.js';
import { loginLinkRoutes, REDEEM_PATH } from './routes/login-links.js';
import { teamRoutes } from './routes/teams.js';
import { tokenRoutes } from './routes/tokens.js';
import { sessionAccess } from './session-access.js';
import { usageRoutes } from './routes/usage.js';
import { runnerRoutes } from './routes/runners.js';
import { userRoutes } from './routes/users.js';
import { webApp } from './web-app.js';

/** The per-user limits the API enforces itself (the model gateway has its own). */
export type AppLimits = Pick<
  UserLimits,
  | 'sessionsPerUser'
  | 'sessionsPerHour'
  | 'bundleBytesPerUser'
  | 'streamsPerUser'
  | 'schedulesPerUser'
>;

export interface AppOptions {
  store: Store;
  /** Where uploaded bundles (and later sandboxes) are kept. */
  dataDir: string;
  /** Environments' setup cache (the runner's); default: one over the data dir, kept 7 days. */
  setupCache?: SetupCache;
  /** The image builds `POST /images` starts; the owner stops them when it stops. */
  imageBuilds?: ImageBuilds;
  /** The largest git bundle accepted, in bytes. */
  maxBundleBytes?: number;
  /** What one user may hold at once (default DEFAULT_USER_LIMITS). */
  limits?: AppLimits;
  logger: Logger;
  trustedDomains: TrustedGroup[];
  version: string;
  clock?: () => Date;
  /** The session runner and its log; without them the sessions API is not served. */
  sessions?: {
    log: EventLog;
    /** What reaches the runner holding a session: this process's, or another's (CommandRouter). */
    runner: SessionCommands;
    /** How a git source's host is checked before `git ls-remote` (pins, HANGAR_GIT_HOSTS). */
    upstreams?: UpstreamRules;
    /** The model limits, shown with a session's usage. */
    modelLimits?: ModelLimits;
    /** Sessions' pull requests: Create PR, and the webhook route that keeps them current. */
    pullRequests?: PullRequests;
    /** Schedules' runs; without it `/schedules` is not served. */
    scheduler?: Scheduler;
  };
  /** The URL people reach this server at, for links (default: the request's origin). */
  publicUrl?: () => string;
  /** How often the live session list sends a keep-alive comment (default 15 s). */
  keepAliveMs?: number;
  /** The built web app (`dist/web`), served at `/`; without it only the API is served. */
  webDir?: string;
  /** Which agents can run here (a session for another is refused); default: all of them. */
  agents?: readonly AgentStatus[];
  /** GitHub: users' tokens and their repos (`/github`); without it those routes are not served. */
  github?: GitHub;
}

export const DEFAULT_MAX_BUNDLE_BYTES = 100 * 1024 * 1024;

/** Largest JSON body the API reads; bigger uploads (bundles) get their own routes. */
const MAX_JSON_BODY = 1024 * 1024;

/** The HTTP API (`/healthz`, `/openapi.json`, the authenticated `/api/v1`) and the web app. */
export function createApp(options: AppOptions): OpenAPIHono<AppEnv> {
  const { store, logger, trustedDomains, version } = options;
  const clock = options.clock ?? (() => new Date());
  const agents = options.agents ?? AGENT_NAMES.map((name) => ({ name, usable: true }));
  const app = new OpenAPIHono<AppEnv>();

  app.use(async (c, next) => {
    const started = performance.now();
    await next();
    // Never the headers: they carry tokens.
    logger.info(
      {
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: Math.round(performance.now() - started),
      },
      'request',
    );
  });

  app.get('/healthz', async (c) => {
    try {
      await store.db.execute(sql`select 1`);
      return c.json({ status: 'ok', version, store: store.kind, agents });
    } catch (error) {
      logger.error({ err: error }, 'health check: store unreachable');
      return c.json({ status: 'unavailable', version, store: store.kind, agents }, 503);
    }
  });

  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'Hangar API', version },
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
  });

  const jsonLimit = bodyLimit({
    maxSize: MAX_JSON_BODY,
    onError: () => {
      throw new HangarError('too_large', 413, `The request body is over ${MAX_JSON_BODY} bytes.`);
    },
  });
  const auth = requireToken(store.db, clock);
  app.use(
    '/api/v1/*',
    // Redeeming a sign-in link is how a browser gets its first token; GitHub's webhook
    // deliveries carry a signature instead of a token.
    (c, next) =>
      c.req.method === 'POST' && (c.req.path === REDEEM_PATH || c.req.path === WEBHOOK_PATH)
        ? next()
        : auth(c, next),
    (c, next) =>
      // Bundle uploads stream to disk under their own, larger limit; so do deliveries.
      c.req.path === '/api/v1/bundles' ||
      c.req.path === WEBHOOK_PATH ||
      /^\/api\/v1\/sessions\/[^/]+\/git\//.test(c.req.path)
        ? next()
        : jsonLimit(c, next),
  );
  app.route('/api/v1', accountRoutes(trustedDomains));
  app.route('/api/v1', agentRoutes(agents));
  app.route('/api/v1', loginLinkRoutes(store.db, clock));
  app.route('/api/v1', tokenRoutes(store.db, clock));
  app.route('/api/v1', userRoutes(store.db));
  app.route('/api/v1', runnerRoutes(store.db));
  app.route(
    '/api/v1',
    environmentRoutes(
      store.db,
      clock,
      options.dataDir,
      options.setupCache ??
        new SetupCache(options.dataDir, DEFAULT_SETUP_CACHE_DAYS * 24 * 3600 * 1000),
    ),
  );
  const imageBuilds = options.imageBuilds ?? new ImageBuilds(options.dataDir, logger);
  app.route('/api/v1', imageRoutes(options.dataDir, imageBuilds));
  if (options.github) app.route('/api/v1', githubRoutes(options.github));
  const limits = { ...DEFAULT_USER_LIMITS, ...options.limits };
  app.route(
    '/api/v1',
    bundleRoutes(store.db, options.dataDir, {
      maxBytes: options.maxBundleBytes ?? DEFAULT_MAX_BUNDLE_BYTES,
      quotaBytes: limits.bundleBytesPerUser,
    }),
  );
  app.route('/api/v1', teamRoutes(store.db));
  if (options.sessions) {
    const { log, runner, upstreams, pullRequests } = options.sessions;
    const modelLimits = options.sessions.modelLimits ?? DEFAULT_MODEL_LIMITS;
    const { github } = options;
    const access = sessionAccess(store.db, github);
    const windowLimits = {
      sessionsPerHour: limits.sessionsPerHour,
      tokensPerUserPerDay: modelLimits.tokensPerUserPerDay,
    };
    if (pullRequests && github) {
      app.route('/', githubWebhookRoutes(github.config.app?.webhookSecret, pullRequests));
    }
    app.route(
      '/api/v1',
      sessionRoutes(store.db, log, runner, {
        publicUrl: () => options.publicUrl?.() ?? '',
        streams: new StreamLimit(limits.streamsPerUser),
        keepAliveMs: options.keepAliveMs,
        upstreams,
        modelLimits,
        windowLimits,
        clock,
        agents,
        github,
        pullRequests,
        access,
        dataDir: options.dataDir,
      }),
    );
    app.route(
      '/api/v1',
      autofixRoutes({
        createDeps: {
          db: store.db,
          log,
          upstreams,
          agents,
          kick: () => runner.kick(),
          limits: windowLimits,
          clock,
        },
        github,
        pullRequests,
        agents,
        publicUrl: () => options.publicUrl?.() ?? '',
        access,
      }),
    );
    app.route('/api/v1', sessionGitRoutes(access, options.dataDir, store.db));
    app.route(
      '/api/v1',
      usageRoutes(store.db, {
        limits: {
          sessionsAtOnce: limits.sessionsPerUser,
          sessionsPerHour: limits.sessionsPerHour,
          tokensPerDay: modelLimits.tokensPerUserPerDay ?? null,
        },
        clock,
      }),
    );
    if (options.sessions.scheduler) {
      app.route(
        '/api/v1',
        scheduleRoutes(store.db, {
          scheduler: options.sessions.scheduler,
          maxPerUser: limits.schedulesPerUser,
          clock,
          agents,
          github,
          upstreams,
        }),
      );
    }
  }

  if (options.webDir) app.get('*', webApp(options.webDir));

  app.notFound((c) =>
    c.json(
      { error: { code: 'not_found', message: `No route for ${c.req.method} ${c.req.path}.` } },
      404,
    ),
  );
  app.onError((error, c) => errorResponse(error, c, logger));
  return app;
}
