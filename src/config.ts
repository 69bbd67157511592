import { resolve } from 'node:path';
import { z } from 'zod';
import { DEFAULT_SETUP_CACHE_DAYS } from './sessions/setup-cache.js';
import { dataDirFrom, defaultAgentsDir } from './data-dir.js';
import { parseEnvVars } from './env-vars.js';
import { DEFAULT_MODEL_LIMITS, type ModelLimits } from './gateway/model-usage.js';
import { githubConfigFrom, type GitHubConfig } from './github/config.js';

/** How `hangar serve` is configured: every field comes from an environment variable. */
export interface ServerConfig {
  /** HANGAR_DATA_DIR: the store, admin token and sandboxes live here. */
  dataDir: string;
  /** HANGAR_HOST: the address to listen on (loopback unless exposed on purpose). */
  host: string;
  /** HANGAR_PORT */
  port: number;
  /** DATABASE_URL: use this Postgres instead of the embedded PGlite store. */
  databaseUrl: string | undefined;
  /** HANGAR_LOG_LEVEL */
  logLevel: string;
  /** HANGAR_MAX_BUNDLE_MB: the largest git bundle a session can start from. */
  maxBundleBytes: number;
  /** HANGAR_HIBERNATE_SECONDS: idle time before a session's sandbox is stopped. */
  hibernateAfterMs: number;
  /**
   * HANGAR_LEASE_SECONDS: a runner's hold on its sessions, renewed at a third of it; a
   * runner that dies has its sessions taken over by another once it runs out.
   */
  leaseMs: number;
  /** HANGAR_SETUP_TIMEOUT_SECONDS: how long an environment's setup script may run. */
  setupTimeoutMs: number;
  /** HANGAR_SETUP_CACHE_DAYS: how long a kept setup result is used before setup runs again. */
  setupCacheMs: number;
  /** HANGAR_AGENTS_DIR: where agent CLIs are installed (default `<dataDir>/agents`). */
  agentsDir: string;
  /** HANGAR_PUBLIC_URL: the URL people reach the server at, for links. */
  publicUrl: string | undefined;
  /** Per-user limits: what one user may hold at once (see `UserLimits`). */
  limits: UserLimits;
  /** How much the host reads of what a sandbox controls (HANGAR_MAX_*_MB). */
  outputLimits: OutputLimits;
  /** Model use counted by the gateway, and its limits (undefined: none). */
  modelLimits: ModelLimits;
  /** GitHub (HANGAR_GITHUB_*): where it is, the App, whether users may connect tokens. */
  github: GitHubConfig;
  /**
   * HANGAR_RUNNER_CAPACITY: sessions this process's runner sets up or runs turns for at
   * once (undefined: `defaultRunnerCapacity()`, from the host's CPUs and memory).
   */
  runnerCapacity: number | undefined;
}

/** What one user may hold at once, so no user can exhaust the server for the others. */
export interface UserLimits {
  /**
   * HANGAR_MAX_SESSIONS_PER_USER: sessions provisioning or running a turn at once;
   * more stay `queued` until one of them finishes its turn.
   */
  sessionsPerUser: number;
  /**
   * HANGAR_MAX_SESSIONS_PER_USER_PER_HOUR: sessions a user may start in any hour (deleted
   * ones count); one more is a 429 until the oldest of them is an hour old.
   */
  sessionsPerHour: number;
  /** HANGAR_MAX_BUNDLE_MB_PER_USER: bytes of uploaded git bundles kept at once. */
  bundleBytesPerUser: number;
  /** HANGAR_MAX_STREAMS_PER_USER: live SSE streams (event streams, session feeds) open at once. */
  streamsPerUser: number;
  /** HANGAR_MAX_SCHEDULES_PER_USER: schedules a user keeps (paused ones count). */
  schedulesPerUser: number;
}

/** The limits `hangar serve` uses when no variable sets them. */
export const DEFAULT_USER_LIMITS: UserLimits = {
  sessionsPerUser: 5,
  sessionsPerHour: 60,
  bundleBytesPerUser: 1024 * 1024 * 1024,
  streamsPerUser: 20,
  schedulesPerUser: 20,
};

/** Bounds on what the host reads from sandboxes, in bytes; past one the session fails. */
export interface OutputLimits {
  /** HANGAR_MAX_OUTPUT_LINE_MB: one line of the agent's output (stream-json). */
  lineBytes: number;
  /** HANGAR_MAX_TURN_OUTPUT_MB: all the agent's output (stdout and stderr) in one turn. */
  turnBytes: number;
  /** HANGAR_MAX_SETUP_OUTPUT_MB: the setup script's output (and the clone's). */
  setupBytes: number;
  /** HANGAR_MAX_CONVERSATION_MB: the agent's conversation file, copied out after each turn. */
  conversationBytes: number;
  /** HANGAR_MAX_DIFF_MB: the diff kept after each turn; a longer one is cut, not failed. */
  diffBytes: number;
  /** HANGAR_MAX_REPO_MB: a bundle session's repo that Hangar keeps; pushes past it are refused. */
  repoBytes: number;
}

const MB = 1024 * 1024;

/** The defaults: generous for real agents, small next to a server's memory and disk. */
export const DEFAULT_OUTPUT_LIMITS: OutputLimits = {
  lineBytes: 16 * MB,
  turnBytes: 512 * MB,
  setupBytes: 32 * MB,
  conversationBytes: 100 * MB,
  diffBytes: 5 * MB,
  repoBytes: 1024 * MB,
};

function count(fallback: number, unit: string) {
  return z
    .string()
    .regex(/^[0-9]+$/, `must be a whole number of ${unit}`)
    .transform(Number)
    .refine((n) => n >= 1 && n <= 1_000_000, 'must be from 1 to 1000000')
    .default(fallback);
}

function megabytes(fallbackBytes: number) {
  return z
    .string()
    .regex(/^[0-9]+$/, 'must be a whole number of megabytes')
    .transform(Number)
    .refine((mb) => mb >= 1 && mb <= 1_048_576, 'must be from 1 to 1048576')
    .default(fallbackBytes / MB);
}

/** A model limit: a whole number, `0` for none; unset, the default. */
function modelLimit(unit: string) {
  return z
    .string()
    .regex(/^[0-9]{1,15}$/, `must be a whole number of ${unit} (0 for no limit)`)
    .transform(Number)
    .optional();
}

const limitOrNone = (value: number | undefined, fallback: number | undefined) =>
  value === undefined ? fallback : value === 0 ? undefined : value;

function seconds(fallback: number) {
  return z
    .string()
    .regex(/^[0-9]+$/, 'must be a whole number of seconds')
    .transform(Number)
    .refine((n) => n >= 1, 'must be at least 1')
    .default(fallback);
}

const Env = z.object({
  HANGAR_DATA_DIR: z.string().min(1).optional(),
  HANGAR_HOST: z.string().min(1).default('127.0.0.1'),
  HANGAR_PORT: z
    .string()
    .regex(/^[0-9]+$/, 'must be a port number')
    .transform(Number)
    .refine((port) => port >= 0 && port <= 65_535, 'must be from 0 to 65535')
    .default(8080),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  HANGAR_MAX_BUNDLE_MB: z
    .string()
    .regex(/^[0-9]+$/, 'must be a whole number of megabytes')
    .transform(Number)
    .refine((mb) => mb >= 1 && mb <= 2047, 'must be from 1 to 2047')
    .default(100),
  HANGAR_HIBERNATE_SECONDS: seconds(1800),
  HANGAR_LEASE_SECONDS: seconds(30).refine((s) => s >= 3, 'must be at least 3 seconds'),
  HANGAR_MAX_SESSIONS_PER_USER: count(DEFAULT_USER_LIMITS.sessionsPerUser, 'sessions'),
  HANGAR_MAX_SESSIONS_PER_USER_PER_HOUR: count(DEFAULT_USER_LIMITS.sessionsPerHour, 'sessions'),
  HANGAR_MAX_BUNDLE_MB_PER_USER: count(
    DEFAULT_USER_LIMITS.bundleBytesPerUser / (1024 * 1024),
    'megabytes',
  ),
  HANGAR_MAX_STREAMS_PER_USER: count(DEFAULT_USER_LIMITS.streamsPerUser, 'streams'),
  HANGAR_MAX_SCHEDULES_PER_USER: count(DEFAULT_USER_LIMITS.schedulesPerUser, 'schedules'),
  HANGAR_MAX_MODEL_REQUESTS_PER_SESSION: modelLimit('requests'),
  HANGAR_MAX_MODEL_TOKENS_PER_USER_PER_DAY: modelLimit('tokens'),
  HANGAR_SETUP_TIMEOUT_SECONDS: seconds(600),
  HANGAR_SETUP_CACHE_DAYS: z
    .string()
    .regex(/^[0-9]+$/, 'must be a whole number of days (0: never use the cache)')
    .transform(Number)
    .default(DEFAULT_SETUP_CACHE_DAYS),
  HANGAR_AGENTS_DIR: z.string().min(1).optional(),
  HANGAR_PUBLIC_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  HANGAR_MAX_OUTPUT_LINE_MB: megabytes(DEFAULT_OUTPUT_LIMITS.lineBytes),
  HANGAR_MAX_TURN_OUTPUT_MB: megabytes(DEFAULT_OUTPUT_LIMITS.turnBytes),
  HANGAR_MAX_SETUP_OUTPUT_MB: megabytes(DEFAULT_OUTPUT_LIMITS.setupBytes),
  HANGAR_MAX_CONVERSATION_MB: megabytes(DEFAULT_OUTPUT_LIMITS.conversationBytes),
  HANGAR_MAX_DIFF_MB: megabytes(DEFAULT_OUTPUT_LIMITS.diffBytes),
  HANGAR_MAX_REPO_MB: megabytes(DEFAULT_OUTPUT_LIMITS.repoBytes),
  HANGAR_RUNNER_CAPACITY: z
    .string()
    .regex(/^[0-9]+$/, 'must be a whole number of sessions')
    .transform(Number)
    .refine((n) => n >= 1 && n <= 10_000, 'must be from 1 to 10000')
    .optional(),
  HANGAR_LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info'),
});

/** Reads the server's configuration, naming the variable that is wrong. */
export function serverConfigFrom(env: NodeJS.ProcessEnv): ServerConfig {
  const vars = parseEnvVars(Env, env);
  return {
    dataDir: dataDirFrom(env),
    host: vars.HANGAR_HOST,
    port: vars.HANGAR_PORT,
    databaseUrl: vars.DATABASE_URL,
    logLevel: vars.HANGAR_LOG_LEVEL,
    maxBundleBytes: vars.HANGAR_MAX_BUNDLE_MB * 1024 * 1024,
    hibernateAfterMs: vars.HANGAR_HIBERNATE_SECONDS * 1000,
    leaseMs: vars.HANGAR_LEASE_SECONDS * 1000,
    setupTimeoutMs: vars.HANGAR_SETUP_TIMEOUT_SECONDS * 1000,
    setupCacheMs: vars.HANGAR_SETUP_CACHE_DAYS * 24 * 3600 * 1000,
    agentsDir: resolve(vars.HANGAR_AGENTS_DIR ?? defaultAgentsDir(dataDirFrom(env))),
    publicUrl: vars.HANGAR_PUBLIC_URL?.replace(/\/+$/, ''),
    limits: {
      sessionsPerUser: vars.HANGAR_MAX_SESSIONS_PER_USER,
      sessionsPerHour: vars.HANGAR_MAX_SESSIONS_PER_USER_PER_HOUR,
      bundleBytesPerUser: vars.HANGAR_MAX_BUNDLE_MB_PER_USER * 1024 * 1024,
      streamsPerUser: vars.HANGAR_MAX_STREAMS_PER_USER,
      schedulesPerUser: vars.HANGAR_MAX_SCHEDULES_PER_USER,
    },
    outputLimits: {
      lineBytes: vars.HANGAR_MAX_OUTPUT_LINE_MB * MB,
      turnBytes: vars.HANGAR_MAX_TURN_OUTPUT_MB * MB,
      setupBytes: vars.HANGAR_MAX_SETUP_OUTPUT_MB * MB,
      conversationBytes: vars.HANGAR_MAX_CONVERSATION_MB * MB,
      diffBytes: vars.HANGAR_MAX_DIFF_MB * MB,
      repoBytes: vars.HANGAR_MAX_REPO_MB * MB,
    },
    modelLimits: {
      requestsPerSession: limitOrNone(
        vars.HANGAR_MAX_MODEL_REQUESTS_PER_SESSION,
        DEFAULT_MODEL_LIMITS.requestsPerSession,
      ),
      tokensPerUserPerDay: limitOrNone(
        vars.HANGAR_MAX_MODEL_TOKENS_PER_USER_PER_DAY,
        DEFAULT_MODEL_LIMITS.tokensPerUserPerDay,
      ),
    },
    github: githubConfigFrom(env),
    runnerCapacity: vars.HANGAR_RUNNER_CAPACITY,
  };
}
