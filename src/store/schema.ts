import { sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  bigint,
  customType,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { DEFAULT_AGENT_NAME } from '../agents/catalog.js';
import { networkLevels } from '../environments/network-level.js';
import { sessionStatuses } from '../sessions/status.js';

/** Who may open a session besides its owner (read-only). */
export const sessionVisibilities = ['private', 'team', 'public'] as const;

/** Timestamps are always with time zone and read back as Date. */
const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const users = pgTable('users', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  isAdmin: boolean('is_admin').notNull().default(false),
  /** The environment used when a session names none. */
  defaultEnvironmentId: text('default_environment_id').references(
    (): AnyPgColumn => environments.id,
    { onDelete: 'set null' },
  ),
  createdAt: ts('created_at').notNull().defaultNow(),
});

export const apiTokens = pgTable(
  'api_tokens',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** SHA-256 of the token; the token itself is shown once and never stored. */
    tokenHash: text('token_hash').notNull(),
    /** The token's first characters, so a person can tell tokens apart. */
    prefix: text('prefix').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
    lastUsedAt: ts('last_used_at'),
    expiresAt: ts('expires_at'),
    revokedAt: ts('revoked_at'),
  },
  (t) => [uniqueIndex('api_tokens_hash').on(t.tokenHash), index('api_tokens_user').on(t.userId)],
);

/** A one-time sign-in link (`hangar open`): redeemed once for a browser token. */
export const loginLinks = pgTable(
  'login_links',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** SHA-256 of the code; the code itself travels only in the link's fragment. */
    codeHash: text('code_hash').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
    expiresAt: ts('expires_at').notNull(),
    usedAt: ts('used_at'),
  },
  (t) => [uniqueIndex('login_links_hash').on(t.codeHash)],
);

/** A team (`hangar team create`): its members see each other's Team sessions and share environments. */
export const teams = pgTable(
  'teams',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('teams_name').on(sql`lower(${t.name})`)],
);

export const teamMembers = pgTable(
  'team_members',
  {
    teamId: text('team_id')
      .notNull()
      .references(() => teams.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    addedAt: ts('added_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.userId] }), index('team_members_user').on(t.userId)],
);

export const environments = pgTable(
  'environments',
  {
    id: text('id').primaryKey(),
    /** Who made it; for a personal environment, the only one who sees it. */
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** A team environment: every member sees, edits and uses it; null: personal. */
    teamId: text('team_id').references(() => teams.id, { onDelete: 'set null' }),
    name: text('name').notNull(),
    networkLevel: text('network_level', { enum: networkLevels }).notNull().default('trusted'),
    /** Normalised host patterns; used at the `custom` level. */
    allowlist: jsonb('allowlist').$type<string[]>().notNull().default([]),
    /** At the `custom` level, also allow the trusted default list. */
    includeDefaults: boolean('include_defaults').notNull().default(false),
    /** .env text exactly as the user wrote it (values keep their quotes). */
    envVars: text('env_vars').notNull().default(''),
    setupScript: text('setup_script').notNull().default(''),
    /** The sandbox image sessions run on; null: `universal` once built, else the host's view. */
    image: text('image'),
    /** The agent of a session started here that names none; null: the server's default. */
    defaultAgent: text('default_agent'),
    archivedAt: ts('archived_at'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    // Names are unique among a user's live environments; archived ones free their name.
    uniqueIndex('environments_live_name')
      .on(t.userId, sql`lower(${t.name})`)
      .where(sql`${t.archivedAt} is null`),
  ],
);

/** One task on one repo and branch, in one sandbox, with one agent conversation. */
export const sessions = pgTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    environmentId: text('environment_id')
      .notNull()
      .references(() => environments.id),
    title: text('title').notNull(),
    /** The task as the user gave it: the first message of the conversation. */
    prompt: text('prompt').notNull().default(''),
    /** The repo's directory name in the sandbox: `/home/user/<repoName>`. */
    repoName: text('repo_name').notNull().default('repo'),
    status: text('status', { enum: sessionStatuses }).notNull().default('queued'),
    /** During `provisioning`: sandbox, clone, setup or agent. */
    subStep: text('sub_step'),
    /** Why a `queued` session waits, e.g. `waiting: 3 of 3 concurrent sessions in use`. */
    statusDetail: text('status_detail'),
    agent: text('agent').notNull().default(DEFAULT_AGENT_NAME),
    model: text('model'),
    /** Where the repo comes from: a git URL at a branch, or an uploaded bundle. */
    source: jsonb('source').$type<Record<string, unknown>>().notNull(),
    branch: text('branch'),
    baseCommit: text('base_commit'),
    /** The sandbox the session runs in, once made; kept while hibernated. */
    sandboxId: text('sandbox_id'),
    agentSessionId: text('agent_session_id'),
    failureReason: text('failure_reason'),
    /** Unified diff of the work tree against the base commit, as of the last turn. */
    diff: text('diff').notNull().default(''),
    diffFiles: integer('diff_files').notNull().default(0),
    additions: integer('additions').notNull().default(0),
    deletions: integer('deletions').notNull().default(0),
    /** The runner holding this session and until when (row lease with heartbeat). */
    leaseOwner: text('lease_owner'),
    leaseExpiresAt: ts('lease_expires_at'),
    lastSeq: integer('last_seq').notNull().default(0),
    /** Who else may open it, read-only: nobody, the owner's teams, or every signed-in user. */
    visibility: text('visibility', { enum: sessionVisibilities }).notNull().default('private'),
    /** Viewers are not shown the owner's name. */
    hideOwner: boolean('hide_owner').notNull().default(false),
    /**
     * Bumped by every change to the row, so a reader holding two copies of a session
     * (the live list's frame and a fetched list) keeps the newer one; the clock-based
     * `updatedAt` cannot tell two changes in one millisecond apart.
     */
    version: integer('version').notNull().default(1),
    archivedAt: ts('archived_at'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    index('sessions_user_updated').on(t.userId, t.updatedAt),
    index('sessions_claimable').on(t.status, t.leaseExpiresAt),
  ],
);

/** The append-only session log; (session_id, seq) makes ingest idempotent. */
export const events = pgTable(
  'events',
  {
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    type: text('type').notNull(),
    data: jsonb('data').$type<Record<string, unknown>>().notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.sessionId, t.seq] })],
);

/** An uploaded git bundle: the source of a session whose repo has no reachable remote. */
export const bundles = pgTable(
  'bundles',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    sizeBytes: integer('size_bytes').notNull(),
    /** Branch and tag names to commit ids, as `git bundle list-heads` prints them. */
    refs: jsonb('refs').$type<Record<string, string>>().notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  // A user's stored bytes are summed on every upload (the per-user quota).
  (t) => [index('bundles_user').on(t.userId)],
);

/** The agent's raw output lines, kept beside the canonical events they were mapped to. */
export const agentOutput = pgTable(
  'agent_output',
  {
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    line: jsonb('line').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.sessionId, t.seq] })],
);

/**
 * Model requests and tokens the gateway counted, per session and UTC day. Kept after
 * the session is deleted (no foreign key to it), so deleting a session does not give
 * its user back a day's tokens; gone with the user.
 */
export const modelUsage = pgTable(
  'model_usage',
  {
    sessionId: text('session_id').notNull(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** The UTC day, `YYYY-MM-DD`. */
    day: text('day').notNull(),
    requests: integer('requests').notNull().default(0),
    inputTokens: bigint('input_tokens', { mode: 'number' }).notNull().default(0),
    outputTokens: bigint('output_tokens', { mode: 'number' }).notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.sessionId, t.day] }),
    index('model_usage_user_day').on(t.userId, t.day),
  ],
);

/**
 * A user's own GitHub token (`hangar github login`), sealed with AES-256-GCM under the
 * server's secret key (HANGAR_SECRET_KEY or `<data dir>/secret.key`); it is opened on
 * the host only, for the git proxy and GitHub API calls, and never sent back.
 */
export const githubTokens = pgTable('github_tokens', {
  userId: text('user_id')
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  /** The GitHub login the token belonged to when it was checked. */
  login: text('login').notNull(),
  sealedToken: text('sealed_token').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
});

/** A pull request's state as Hangar shows it (GitHub's `open` with `draft`, and `merged`, told apart). */
export const pullRequestStates = ['open', 'draft', 'merged', 'closed'] as const;
/** The summary of a pull request's CI: its check runs and commit statuses together. */
export const checksStates = ['pending', 'success', 'failure'] as const;

/**
 * The pull request made from a session's branch (`hangar pr`), with its last known
 * state and CI, kept current from webhooks or by polling GitHub (conditional requests,
 * their ETags kept in memory).
 */
export const pullRequests = pgTable(
  'pull_requests',
  {
    sessionId: text('session_id')
      .primaryKey()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    /** `owner/repo` on the configured GitHub. */
    repo: text('repo').notNull(),
    number: integer('number').notNull(),
    url: text('url').notNull(),
    state: text('state', { enum: pullRequestStates }).notNull(),
    headSha: text('head_sha').notNull(),
    checksState: text('checks_state', { enum: checksStates }).notNull().default('pending'),
    checksPassed: integer('checks_passed').notNull().default(0),
    checksFailed: integer('checks_failed').notNull().default(0),
    checksPending: integer('checks_pending').notNull().default(0),
    checkedAt: ts('checked_at').notNull().defaultNow(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('pull_requests_repo').on(t.repo, t.number)],
);

/** Webhook deliveries already handled (GitHub's X-GitHub-Delivery), so a redelivery is handled once. */
export const githubDeliveries = pgTable('github_deliveries', {
  id: text('id').primaryKey(),
  event: text('event').notNull(),
  receivedAt: ts('received_at').notNull().defaultNow(),
});

/**
 * A schedule (`hangar schedule create`): a task started as a new session on a cron, in
 * its time zone, pinned to one environment and agent. `nextRunAt` is when it is next
 * due (null while paused); a runner takes a due schedule under a row lock and moves it
 * to its next time in the same transaction, so two servers never start one run twice.
 */
export const schedules = pgTable(
  'schedules',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    /** The task: each run's first message. */
    prompt: text('prompt').notNull(),
    /** The repository's git URL, and its branch (null: the remote's HEAD at each run). */
    repoUrl: text('repo_url').notNull(),
    branch: text('branch'),
    environmentId: text('environment_id')
      .notNull()
      .references(() => environments.id),
    agent: text('agent').notNull(),
    model: text('model'),
    /** Five-field cron (minute hour day month weekday), as croner reads it. */
    cron: text('cron').notNull(),
    /** An IANA time zone, e.g. `Europe/Berlin`. */
    timezone: text('timezone').notNull().default('UTC'),
    paused: boolean('paused').notNull().default(false),
    nextRunAt: ts('next_run_at'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [index('schedules_user').on(t.userId), index('schedules_due').on(t.nextRunAt)],
);

/** What became of a schedule's run: a session started, skipped (overlap) or failed to start. */
export const scheduleRunStatuses = ['starting', 'started', 'skipped', 'failed'] as const;

/**
 * One due time of a schedule, recorded once: (schedule_id, due_at) is unique for the
 * cron's runs. A run is
 * `starting` under a lease until its session exists, so a server that dies between the
 * two leaves it for the next one to finish, never to start twice.
 */
export const scheduleRuns = pgTable(
  'schedule_runs',
  {
    id: text('id').primaryKey(),
    scheduleId: text('schedule_id')
      .notNull()
      .references(() => schedules.id, { onDelete: 'cascade' }),
    dueAt: ts('due_at').notNull(),
    /** `manual` for `hangar schedule run`, `cron` otherwise. */
    trigger: text('trigger', { enum: ['cron', 'manual'] }).notNull(),
    status: text('status', { enum: scheduleRunStatuses }).notNull(),
    /** The session this run is (its id chosen before it is made, so a retry finds it); none when skipped. */
    sessionId: text('session_id'),
    /** Why a run was skipped or failed to start. */
    reason: text('reason'),
    leaseOwner: text('lease_owner'),
    leaseExpiresAt: ts('lease_expires_at'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [
    // A cron's due time runs once; runs by hand are not bound to the cron's times.
    uniqueIndex('schedule_runs_due')
      .on(t.scheduleId, t.dueAt)
      .where(sql`${t.trigger} = 'cron'`),
    index('schedule_runs_starting').on(t.status, t.leaseExpiresAt),
  ],
);

/**
 * A session's auto-fix watch on its pull request: whether it is on, and what it has
 * already woken the agent for (a failing head, a conflicting head, the last comment ids),
 * so neither a redelivered webhook nor the next poll wakes it twice for the same thing.
 */
export const autofixWatches = pgTable('autofix_watches', {
  sessionId: text('session_id')
    .primaryKey()
    .references(() => sessions.id, { onDelete: 'cascade' }),
  enabled: boolean('enabled').notNull().default(true),
  /** When it was turned on: comments older than this are not the agent's to answer. */
  since: ts('since').notNull().defaultNow(),
  /** The head commit whose CI failure the agent was woken for. */
  ciSha: text('ci_sha'),
  /** The head commit whose merge conflict the agent was woken for. */
  conflictSha: text('conflict_sha'),
  /** The highest review comment id and conversation comment id handled (separate sequences on GitHub). */
  reviewCommentSeen: bigint('review_comment_seen', { mode: 'number' }).notNull().default(0),
  issueCommentSeen: bigint('issue_comment_seen', { mode: 'number' }).notNull().default(0),
  /** The PR's mergeable state as last read: `mergeable`, `conflicting`, or `unknown` while GitHub computes it. */
  mergeable: text('mergeable', { enum: ['mergeable', 'conflicting', 'unknown'] })
    .notNull()
    .default('unknown'),
  /** Why the watch ended by itself (the PR was merged, closed or deleted). */
  stoppedReason: text('stopped_reason'),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

/**
 * When each session was started, for the sessions-per-hour limit. Kept after the
 * session is deleted (no foreign key to it), so deleting sessions does not give a user
 * back their hour; gone with the user.
 */
export const sessionStarts = pgTable(
  'session_starts',
  {
    sessionId: text('session_id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    startedAt: ts('started_at').notNull(),
  },
  (t) => [index('session_starts_user_started').on(t.userId, t.startedAt)],
);

/**
 * The runners of a cluster, one row each, upserted on start and on every lease tick;
 * a row not heard from for a while is a runner gone (see `runnerState`).
 */
export const runners = pgTable('runners', {
  id: text('id').primaryKey(),
  host: text('host').notNull(),
  version: text('version').notNull(),
  /** How many sessions it holds at most (`HANGAR_RUNNER_CAPACITY`). */
  capacity: integer('capacity').notNull(),
  /** How many sessions it held at its last heartbeat (a sandbox up or starting). */
  held: integer('held').notNull().default(0),
  /** How many of those were being set up or running a turn: what capacity bounds. */
  active: integer('active').notNull().default(0),
  startedAt: ts('started_at').notNull(),
  heartbeatAt: ts('heartbeat_at').notNull(),
});

/**
 * A command for the runner that holds a session (a follow-up, an interrupt, archive,
 * delete, git in its sandbox), sent by an API node that does not hold it. `runnerId`
 * names the runner meant (null: any runner may take it); `takenBy` the one that took
 * it; `result` or `error` its answer, read by the API node waiting for it.
 */
export const sessionCommands = pgTable(
  'session_commands',
  {
    id: text('id').primaryKey(),
    sessionId: text('session_id').notNull(),
    kind: text('kind').notNull(),
    args: jsonb('args').$type<Record<string, unknown>>().notNull(),
    runnerId: text('runner_id'),
    takenBy: text('taken_by'),
    result: jsonb('result').$type<unknown>(),
    error: jsonb('error').$type<{ code: string; status: number; message: string }>(),
    createdAt: ts('created_at').notNull().defaultNow(),
    doneAt: ts('done_at'),
  },
  (t) => [index('session_commands_open').on(t.doneAt, t.createdAt)],
);

/** Binary data as a Node Buffer (PostgreSQL `bytea`). */
const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => 'bytea',
  fromDriver: (value) => (Buffer.isBuffer(value) ? value : Buffer.from(value)),
});

/**
 * An uploaded bundle's bytes, kept in the store so a runner on any host can clone
 * from it (the file in the API node's data dir is only that node's copy).
 */
export const bundleData = pgTable('bundle_data', {
  bundleId: text('bundle_id')
    .primaryKey()
    .references(() => bundles.id, { onDelete: 'cascade' }),
  data: bytea('data').notNull(),
});

/** What a session needs to be rebuilt on another runner, saved after each turn. */
export const sessionFileNames = ['conversation', 'kept-repo', 'git-status'] as const;

/**
 * A session's durable files: the agent's conversation, the Hangar-kept repo of a
 * bundle-sourced session (as a git bundle) and the work tree's last `git status`.
 * Each is bounded by the operator's limits before it is stored.
 */
export const sessionFiles = pgTable(
  'session_files',
  {
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    name: text('name', { enum: sessionFileNames }).notNull(),
    data: bytea('data').notNull(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.sessionId, t.name] })],
);
