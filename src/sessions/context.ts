import { availableParallelism, totalmem } from 'node:os';
import type { Logger } from 'pino';
import type { Agent } from '../agents/agent.js';
import type { InstalledAgent } from '../agents/install.js';
import { DEFAULT_OUTPUT_LIMITS, type OutputLimits } from '../config.js';
import type { Gateway } from '../gateway/gateway.js';
import type { GitHubApi } from '../gateway/github-api.js';
import type { GitHub } from '../github/github.js';
import type { ModelMeter } from '../gateway/model-gateway.js';
import type { OutputBound } from '../sandbox/bounded-output.js';
import type { SandboxDriver } from '../sandbox/driver.js';
import { UNUSED_BUNDLE_TTL_MS } from '../store/bundles.js';
import type { Session } from '../store/sessions.js';
import type { Db } from '../store/store.js';
import type { EventLog } from './event-log.js';
import type { SetupCache } from './setup-cache.js';

export interface RunnerOptions {
  /** Idle time before a session's sandbox is stopped (status `hibernated`). */
  hibernateAfterMs: number;
  /** How long a setup script may run. */
  setupTimeoutMs: number;
  /** Row lease length; renewed at a third of it. */
  leaseMs: number;
  /** How often to look for queued sessions when nothing wakes the runner. */
  pollMs: number;
  /** Sessions of one user provisioning or running at once; more wait `queued`. */
  maxSessionsPerUser: number;
  /** How long an uploaded bundle that no session uses is kept. */
  unusedBundleTtlMs: number;
  /** How much of what a sandbox controls the host reads (config's HANGAR_MAX_*_MB). */
  outputLimits: OutputLimits;
  /**
   * Sessions this runner sets up or runs turns for at once (HANGAR_RUNNER_CAPACITY);
   * more stay queued for another runner, or until one ends.
   */
  capacity: number;
}

export const DEFAULT_RUNNER_OPTIONS: RunnerOptions = {
  hibernateAfterMs: 30 * 60_000,
  setupTimeoutMs: 10 * 60_000,
  leaseMs: 30_000,
  pollMs: 2_000,
  maxSessionsPerUser: 5,
  unusedBundleTtlMs: UNUSED_BUNDLE_TTL_MS,
  outputLimits: DEFAULT_OUTPUT_LIMITS,
  capacity: defaultRunnerCapacity(),
};

/**
 * A host's capacity when HANGAR_RUNNER_CAPACITY is not set: four sessions per CPU, at
 * most one per GiB of memory, at least two. A session's turn mostly waits for the model;
 * what runs in it (builds, tests) is what uses the host.
 */
export function defaultRunnerCapacity(): number {
  const gib = Math.floor(totalmem() / 1024 ** 3);
  return Math.max(2, Math.min(4 * availableParallelism(), gib));
}

export interface RunnerDeps {
  db: Db;
  log: EventLog;
  driver: SandboxDriver;
  gateway: Gateway;
  /** Sessions' repos and gateway sockets live under `<dataDir>/sessions`. */
  dataDir: string;
  /** Installs a session's agent if needed; its directory is bound read-only into sandboxes. */
  installAgent: (agent: Agent) => Promise<InstalledAgent>;
  /** The agent a session names (default: the registry's). */
  agentFor?: (name: string) => Agent;
  /** The trusted default list, for the `trusted` level and `includeDefaults`. */
  trustedPatterns: readonly string[];
  /**
   * The session's repo on GitHub, for the gateway's `/github/` route and the agent's
   * GitHub tools; omitted or undefined: the session has neither.
   */
  github?: (session: Session) => GitHubApi | undefined;
  /**
   * GitHub's accounts: a session on a repo there reaches it with the App's or the user's
   * credential, added by the git proxy on the host. Omitted: such a repo is fetched
   * without one.
   */
  githubAccounts?: GitHub | undefined;
  /** Counts a session's model use and applies the limits; omitted: not counted. */
  modelMeter?: (session: Session) => ModelMeter;
  logger: Logger;
  /** Keeps environments' setup results for their next new sessions; omitted: none kept. */
  setupCache?: SetupCache;
  /** The lease owner name; one server per data dir, so derive it from that (runnerIdFor). */
  runnerId?: string;
  options?: Partial<RunnerOptions>;
}

/** What a live session needs of the runner that holds it. */
export interface SessionContext {
  deps: RunnerDeps;
  options: RunnerOptions;
  /** The lease owner name of this runner. */
  runnerId: string;
  /** True once the runner is stopping: nothing new is started then. */
  stopping(): boolean;
  /** Looks for queued sessions now: a slot may have freed. */
  kick(): void;
  /** The agent `session` names. */
  agentOf(session: Session): Agent;
}

/** The setting behind each output limit, named in failure messages. */
const LIMIT_SETTINGS: Record<keyof OutputLimits, string> = {
  lineBytes: 'HANGAR_MAX_OUTPUT_LINE_MB',
  turnBytes: 'HANGAR_MAX_TURN_OUTPUT_MB',
  setupBytes: 'HANGAR_MAX_SETUP_OUTPUT_MB',
  conversationBytes: 'HANGAR_MAX_CONVERSATION_MB',
  diffBytes: 'HANGAR_MAX_DIFF_MB',
  repoBytes: 'HANGAR_MAX_REPO_MB',
};

/** A bound from the operator's limits, named for the failure message. */
export function outputBound(
  limits: OutputLimits,
  limit: keyof OutputLimits,
  what: string,
): OutputBound {
  return { what, maxBytes: limits[limit], setting: LIMIT_SETTINGS[limit] };
}
