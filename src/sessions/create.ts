import { eq } from 'drizzle-orm';
import { DEFAULT_AGENT_NAME } from '../agents/catalog.js';
import { agentFor, checkMessage } from '../agents/index.js';
import { requireUsableAgent, type AgentStatus } from '../agents/readiness.js';
import { ValidationError } from '../errors.js';
import type { UpstreamRules } from '../gateway/resolver.js';
import { newId } from '../ids.js';
import { getEnvironment } from '../store/environments.js';
import { userModelUsage, utcDay } from '../store/model-usage.js';
import { insertSession } from '../store/sessions.js';
import type { sessionVisibilities } from '../store/schema.js';
import type { Db } from '../store/store.js';
import { users } from '../store/schema.js';
import { recordSessionStart, sessionStartWindow } from '../store/usage.js';
import { sessionBranch, titleFromPrompt } from './branch-name.js';
import type { EventLog } from './event-log.js';
import { resolveSource, type SourceInput } from './source.js';
import {
  checkSessionStarts,
  checkTokensToday,
  HOUR_MS,
  type WindowLimits,
} from './usage-limits.js';
import type { GitHub } from '../github/github.js';
import { checkGitHubSource } from '../github/session-source.js';

type SessionVisibility = (typeof sessionVisibilities)[number];

/** A new session as the API takes it (already checked for shape). */
export interface NewSessionInput {
  prompt: string;
  source: SourceInput;
  /** Default: the user's default environment. */
  environmentId?: string | undefined;
  /** Default: the environment's default agent, else the server's (`DEFAULT_AGENT_NAME`). */
  agent?: string | undefined;
  model?: string | undefined;
  /** Default: from the prompt. */
  title?: string | undefined;
  /** Default: a new one. A schedule's run chooses it first, so a retry finds the session. */
  id?: string | undefined;
  /** The branch the agent works on and pushes; default a new `hangar/…` one (an existing PR's: its head). */
  branch?: string | undefined;
  /** Who else may open it, read-only (default private). */
  visibility?: SessionVisibility | undefined;
  /** Viewers are not shown the owner's name. */
  hideOwner?: boolean | undefined;
}

/** What creating a session needs. */
export interface CreateSessionDeps {
  db: Db;
  log: EventLog;
  /** How a git source's host is checked before `git ls-remote`. */
  upstreams?: UpstreamRules | undefined;
  /** GitHub: a source on it must exist and be pushable by the App or the user's token. */
  github?: GitHub | undefined;
  /** Which agents can run here: a session for another is refused before anything is stored. */
  agents: readonly AgentStatus[];
  /** Tells the runner a session is queued. */
  kick: () => void;
  /** Sessions per hour and tokens per day: past either, a 429 saying when to retry. */
  limits: WindowLimits;
  clock?: (() => Date) | undefined;
}

/**
 * Refuses one more turn for `userId` once the day's model tokens are used up: the
 * gateway would refuse its first model request.
 */
export async function checkTokenBudget(
  deps: Pick<CreateSessionDeps, 'db' | 'limits' | 'clock'>,
  userId: string,
): Promise<void> {
  const limit = deps.limits.tokensPerUserPerDay;
  if (limit === undefined) return;
  const now = deps.clock?.() ?? new Date();
  const used = await userModelUsage(deps.db, userId, utcDay(now));
  const refused = checkTokensToday(limit, used.inputTokens + used.outputTokens, now);
  if (refused) throw refused;
}

/** Refuses a session past HANGAR_MAX_SESSIONS_PER_USER_PER_HOUR. */
async function checkStarts(
  db: Db,
  deps: Pick<CreateSessionDeps, 'limits' | 'clock'>,
  userId: string,
): Promise<Date> {
  const now = deps.clock?.() ?? new Date();
  const limit = deps.limits.sessionsPerHour;
  const window = await sessionStartWindow(db, userId, new Date(now.getTime() - HOUR_MS), limit);
  const refused = checkSessionStarts(limit, window, now);
  if (refused) throw refused;
  return now;
}

/**
 * Queues a session for `user`: checks its environment, its agent (named, else the
 * environment's default, else the server's; one without its model key here is a 422),
 * its prompt (the agent may refuse some), the user's window limits (sessions this hour,
 * tokens today: a 429 with when to retry) and its source (a bad one is a 400 now, not a
 * failed session later), names its branch, records it with its first two events and
 * wakes the runner.
 */
export async function createSession(
  deps: CreateSessionDeps,
  user: { id: string; defaultEnvironmentId: string | null },
  input: NewSessionInput,
): Promise<{ id: string; branch: string }> {
  const { db, log } = deps;
  const environmentId = input.environmentId ?? user.defaultEnvironmentId;
  if (!environmentId) {
    throw new ValidationError('you have no default environment: name one', 'environmentId');
  }
  const env = await getEnvironment(db, user.id, environmentId).catch(() => {
    throw new ValidationError(`no environment with id "${environmentId}"`, 'environmentId');
  });
  if (env.archivedAt) {
    throw new ValidationError(
      `the environment "${env.name}" is archived: choose another`,
      'environmentId',
    );
  }
  const agent = input.agent ?? env.defaultAgent ?? DEFAULT_AGENT_NAME;
  requireUsableAgent(
    deps.agents,
    agent,
    input.agent === undefined && env.defaultAgent !== null
      ? `the default agent of the environment "${env.name}"`
      : undefined,
  );
  checkMessage(agentFor(agent), input.prompt, 'prompt');
  // Before the source's checks (a network round trip): a refusal costs nothing.
  await checkTokenBudget(deps, user.id);
  await checkStarts(db, deps, user.id);
  // A repo on GitHub: the credential that reaches it, checked now (a 4xx saying what to do).
  const checked = await checkGitHubSource(deps.github, user.id, input.source, deps.upstreams);
  const resolved = await resolveSource(
    db,
    user.id,
    checked.input,
    checked.upstreams,
    checked.authorization,
  );
  const id = input.id ?? newId('ses');
  const title = input.title ?? titleFromPrompt(input.prompt);
  const branch = input.branch ?? sessionBranch(title, id);
  await db.transaction(async (tx) => {
    // The user's row lock makes the count and the insert one step: two requests at
    // once cannot both take the hour's last place (the claim query does the same).
    await tx.select({ id: users.id }).from(users).where(eq(users.id, user.id)).for('no key update');
    const startedAt = await checkStarts(tx, deps, user.id);
    await recordSessionStart(tx, { sessionId: id, userId: user.id, startedAt });
    await insertSession(tx, {
      id,
      userId: user.id,
      environmentId: env.id,
      title,
      prompt: input.prompt,
      repoName: resolved.repoName,
      agent,
      model: input.model ?? null,
      source: resolved.source,
      branch,
      baseCommit: resolved.baseCommit,
      visibility: input.visibility ?? 'private',
      hideOwner: input.hideOwner ?? false,
    });
  });
  await log.append(id, [
    { type: 'session.status', data: { status: 'queued' } },
    { type: 'message.user', data: { text: input.prompt } },
  ]);
  deps.kick();
  return { id, branch };
}
