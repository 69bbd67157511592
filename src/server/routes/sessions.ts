import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { streamSSE, type SSEStreamingApi } from 'hono/streaming';
import { AGENT_NAMES, agentLabel, DEFAULT_AGENT_NAME } from '../../agents/catalog.js';
import { requireUsableAgent, type AgentStatus } from '../../agents/readiness.js';
import { isAgentSessionId } from '../../ids.js';
import { checkTokenBudget, createSession } from '../../sessions/create.js';
import type { WindowLimits } from '../../sessions/usage-limits.js';
import type { EventLog, SessionChange } from '../../sessions/event-log.js';
import type { SessionCommands } from '../../sessions/commands.js';
import { removeKeptRepoCopies } from '../../sessions/kept-repo.js';
import {
  getSession,
  listSessions,
  loadSession,
  updateSession,
  type ListedSession,
  type OpenedSession,
  type Session,
} from '../../store/sessions.js';
import { sessionVisibilities } from '../../store/schema.js';
import { teamsOf, type TeamWithMembers } from '../../store/teams.js';
import { githubRepoOf, type SessionAccess } from '../session-access.js';
import type { Source } from '../../sessions/source.js';
import { HangarError } from '../../errors.js';
import type { GitHub } from '../../github/github.js';
import { PullRequestSummarySchema, type PullRequestSummary } from '../../github/pr-status.js';
import { toSummary, type PullRequests } from '../../github/pull-requests.js';
import { pullRequestOf, pullRequestsOf } from '../../store/pull-requests.js';
import type { UpstreamRules } from '../../gateway/resolver.js';
import { DEFAULT_MODEL_LIMITS, type ModelLimits } from '../../gateway/model-usage.js';
import { sessionModelUsage, userModelUsage, utcDay } from '../../store/model-usage.js';
import { sessionStatuses } from '../../sessions/status.js';
import type { Db } from '../../store/store.js';
import type { StreamLimit } from '../stream-limit.js';
import {
  ArchivedQuery,
  errorResponses,
  ErrorSchema,
  Id,
  IdParams,
  jsonBody,
  jsonResponse,
  MAX_SEQ,
  router,
  windowLimitResponse,
} from '../context.js';

const Visibility = z
  .enum(sessionVisibilities, { error: `must be one of ${sessionVisibilities.join(', ')}` })
  .describe(
    'Who else may open the session, read-only: `private` nobody, `team` the members of any team its owner is in, `public` every signed-in user of this server',
  );

const HideOwner = z.boolean().describe("Viewers are not shown the owner's name");

const GitSource = z.strictObject({
  type: z.literal('git'),
  url: z.string().max(2000).describe('Smart-HTTP URL of the repository'),
  branch: z
    .string()
    .min(1)
    .max(255)
    .optional()
    .describe("Branch to start from; default the remote's HEAD"),
});

const BundleSource = z.strictObject({
  type: z.literal('bundle'),
  bundleId: Id.describe('From POST /api/v1/bundles'),
  branch: z.string().min(1).max(255).optional(),
  name: z.string().min(1).max(100).optional().describe('Directory name of the repo in the sandbox'),
});

const CreateSession = z
  .strictObject({
    prompt: z.string().trim().min(1, 'must not be empty').max(100_000),
    source: z.discriminatedUnion('type', [GitSource, BundleSource]),
    environmentId: Id.optional().describe('Default: your default environment'),
    agent: z
      .enum(AGENT_NAMES, { error: `must be one of ${AGENT_NAMES.join(', ')}` })
      .optional()
      .describe(
        `Default: the environment's \`defaultAgent\`, else ${DEFAULT_AGENT_NAME}; an agent whose model key the server lacks is 422 \`agent_not_configured\``,
      ),
    model: z.string().min(1).max(100).optional(),
    title: z.string().trim().min(1).max(200).optional(),
    visibility: Visibility.optional().describe('Default `private`'),
    hideOwner: HideOwner.optional(),
  })
  .openapi('CreateSession');

const UpdateSession = z
  .strictObject({
    visibility: Visibility.optional(),
    hideOwner: HideOwner.optional(),
  })
  .openapi('UpdateSession');

/** Where a session's repo came from, as stored: the branch is always resolved. */
const SessionSource = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('git'), url: z.string(), branch: z.string() }),
    z.object({
      type: z.literal('bundle'),
      bundleId: z.string(),
      branch: z.string(),
      name: z.string(),
    }),
  ])
  .describe('A git URL at a branch, or an uploaded bundle (teleport fetches it from Hangar)')
  .openapi('SessionSource');

const SessionSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    status: z.enum(sessionStatuses),
    subStep: z.string().nullable(),
    statusDetail: z
      .string()
      .nullable()
      .describe(
        'Why a queued session waits, e.g. `waiting: 3 of 3 concurrent sessions in use`; null otherwise',
      ),
    archived: z.boolean(),
    agent: z.string(),
    agentLabel: z.string().describe("The agent's product name, shown to people (e.g. `Codex`)"),
    model: z.string().nullable(),
    environmentId: z.string(),
    source: SessionSource,
    repo: z.string(),
    branch: z.string().nullable(),
    baseCommit: z.string().nullable(),
    agentSessionId: z.string().nullable(),
    failureReason: z.string().nullable(),
    diffStats: z.object({ files: z.number(), additions: z.number(), deletions: z.number() }),
    pullRequest: PullRequestSummarySchema.nullable().describe(
      "The PR made from the session's branch (POST /sessions/{id}/pull-request), kept current from GitHub's webhooks or by polling; null when none",
    ),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    version: z
      .number()
      .int()
      .describe(
        'Grows with every change to the session: of two copies, the one with the higher version is current',
      ),
    visibility: Visibility,
    hideOwner: HideOwner,
    owner: z
      .object({ id: z.string(), name: z.string() })
      .nullable()
      .describe('Who owns the session; null when they hide their name from you'),
    readOnly: z
      .boolean()
      .describe('True: the session is shared with you; you may watch it, not change it'),
  })
  .openapi('Session');

const ShareSchema = z
  .object({
    url: z.string().describe("The session's link"),
    visibility: Visibility,
    hideOwner: HideOwner,
    audience: z.string().describe('Who can open the link, in words'),
    teams: z
      .array(
        z.object({
          id: z.string(),
          name: z.string(),
          members: z.array(z.object({ id: z.string(), name: z.string() })),
        }),
      )
      .describe("The owner's teams: with `team`, their members can open it"),
    repoCheck: z
      .boolean()
      .describe(
        "True: a viewer must be able to read the session's GitHub repository with their own GitHub connection",
      ),
  })
  .openapi('SessionShare');

const EventSchema = z
  .object({ seq: z.number(), type: z.string(), data: z.unknown(), createdAt: z.iso.datetime() })
  .openapi('Event');

/** A whole number in a query string, within PostgreSQL's `integer`. */
const Count = (what: string) =>
  z
    .string()
    .regex(/^[0-9]{1,10}$/, `must be ${what}`)
    .transform(Number)
    .refine((n) => n <= MAX_SEQ, `must be at most ${MAX_SEQ}`);

const EventsQuery = z.object({
  after: Count('a sequence number')
    .optional()
    .transform((v) => v ?? 0),
  limit: Count('a number')
    .optional()
    .transform((v) => Math.min(v ?? 500, 1000)),
  before: Count('a sequence number')
    .optional()
    .describe('Only events before this seq: the newest `limit` of them (a page further back)'),
  tail: Count('a number')
    .optional()
    .transform((v) => (v === undefined ? undefined : Math.min(v, 1000)))
    .describe(
      'Start with the last `tail` stored events (at most 1000) rather than after `after`: how a viewer opens a long session at its end',
    ),
});

/** Whose eyes a session is shown to: its owner, or a viewer it is shared with. */
interface View {
  readOnly: boolean;
  ownerName: string;
}

function toJson(
  session: ListedSession,
  pullRequest: PullRequestSummary | null,
  view: View,
): z.infer<typeof SessionSchema> {
  return {
    id: session.id,
    title: session.title,
    status: session.status,
    subStep: session.subStep,
    statusDetail: session.status === 'queued' ? session.statusDetail : null,
    archived: session.archivedAt !== null,
    agent: session.agent,
    agentLabel: agentLabel(session.agent),
    model: session.model,
    environmentId: session.environmentId,
    source: session.source as Source,
    repo: session.repoName,
    branch: session.branch,
    baseCommit: session.baseCommit,
    agentSessionId:
      session.agentSessionId && isAgentSessionId(session.agentSessionId)
        ? session.agentSessionId
        : null,
    failureReason: session.failureReason,
    diffStats: {
      files: session.diffFiles,
      additions: session.additions,
      deletions: session.deletions,
    },
    pullRequest,
    createdAt: session.createdAt.toISOString(),
    updatedAt: session.updatedAt.toISOString(),
    version: session.version,
    visibility: session.visibility,
    hideOwner: session.hideOwner,
    owner: view.readOnly && session.hideOwner ? null : { id: session.userId, name: view.ownerName },
    readOnly: view.readOnly,
  };
}

const tags = ['Sessions'];

/** The answer when the server cannot run the agent (no model key): said at once. */
const agentNotConfigured = {
  422: {
    description: '`agent_not_configured`: this server cannot run the agent; the message says why',
    content: { 'application/json': { schema: ErrorSchema } },
  },
} as const;
const security = [{ bearer: [] }];
const one = jsonResponse(SessionSchema, 'The session');

/** Event types that change what the session list shows; the rest only add to the transcript. */
const LISTED_CHANGES = new Set<string>(['session.status', 'diff.updated', 'pull_request.updated']);

/** A session as the API shows it, with its pull request. */
async function sessionJson(db: Db, session: Session, view: View) {
  const pr = await pullRequestOf(db, session.id);
  return toJson(session, pr ? toSummary(pr) : null, view);
}

function viewOf(opened: OpenedSession): View {
  return { readOnly: opened.role === 'viewer', ownerName: opened.ownerName };
}

/** Who can open a session's link, in words. */
function audienceOf(visibility: Session['visibility'], teams: TeamWithMembers[]): string {
  switch (visibility) {
    case 'private':
      return 'Only you.';
    case 'public':
      return 'Every signed-in user of this server, read-only.';
    case 'team': {
      if (teams.length === 0) return 'Only you: you are in no team yet (an admin adds you).';
      const names = teams.map((t) => `${t.name} (${t.members.length})`).join(', ');
      return `You, and the members of your teams, read-only: ${names}.`;
    }
  }
}

/** Comments on a quiet stream, so proxies do not close it; returns the stop. */
function keepAlive(stream: SSEStreamingApi, everyMs: number): () => void {
  const timer = setInterval(() => void stream.write(': keep-alive\n\n'), everyMs);
  return () => clearInterval(timer);
}

/**
 * The live session list: each change to one of the user's sessions as `session` (the
 * row as the list shows it, read after the change) or `deleted`. Changes are sent in
 * the order they happened, so the last frame for a session is its current state.
 */
function sessionFeed(
  c: Context,
  db: Db,
  log: EventLog,
  user: { id: string; name: string },
  keepAliveMs: number,
  release: () => void,
) {
  const userId = user.id;
  return streamSSE(c, async (stream) => {
    let sending = Promise.resolve();
    const send = (change: SessionChange) => {
      if (change.userId !== userId) return;
      if (change.type === 'appended' && !change.events.some((e) => LISTED_CHANGES.has(e.type))) {
        return;
      }
      sending = sending.then(async () => {
        if (change.type === 'deleted') {
          await stream.writeSSE({
            event: 'deleted',
            data: JSON.stringify({ id: change.sessionId }),
          });
          return;
        }
        const session = await loadSession(db, change.sessionId);
        // Deleted since: its own `deleted` frame follows.
        if (!session) return;
        await stream.writeSSE({
          event: 'session',
          data: JSON.stringify(
            await sessionJson(db, session, { readOnly: false, ownerName: user.name }),
          ),
        });
      });
      // The store failed: end the stream; the client reconnects and fetches the list again.
      sending = sending.catch(() => stream.abort());
    };
    // Before any await, so before the client sees the answer: a list it fetches then
    // misses nothing that no frame brings.
    const unwatch = log.watch(send);
    const stopKeepAlive = keepAlive(stream, keepAliveMs);
    const closed = new Promise<void>((resolve) => stream.onAbort(resolve));
    try {
      await closed;
    } finally {
      stopKeepAlive();
      unwatch();
      release();
    }
  });
}

/** What the session routes need besides the store, the log and the runner. */
export interface SessionRouteOptions {
  /** The URL people reach this server at, for links. */
  publicUrl: () => string;
  /** Each user's open SSE streams (both the event streams and the session feed). */
  streams: StreamLimit;
  /** How often a quiet stream gets a keep-alive comment. */
  keepAliveMs?: number;
  /** How a git source's host is checked before `git ls-remote` (pins, HANGAR_GIT_HOSTS). */
  upstreams?: UpstreamRules;
  /** The model limits, shown beside a session's usage. */
  modelLimits?: ModelLimits;
  /** Sessions per hour and tokens per day: a new session or a follow-up past them is a 429. */
  windowLimits: WindowLimits;
  clock?: () => Date;
  /** Which agents can run here: a session or a follow-up for another is refused at once. */
  agents?: readonly AgentStatus[];
  /** GitHub: a source on it is checked at creation (repo, push access). */
  github?: GitHub | undefined;
  /** Sessions' pull requests (Create PR); without it that route answers 404. */
  pullRequests?: PullRequests | undefined;
  /** Who may read or change a session (owner, viewer of a shared one). */
  access: SessionAccess;
  /** This node's data dir: copies of a session's repo made here go when it is deleted. */
  dataDir: string;
}

/** `/sessions`: tasks for an agent, their live event log, follow-ups and diff. */
export function sessionRoutes(
  db: Db,
  log: EventLog,
  runner: SessionCommands,
  options: SessionRouteOptions,
) {
  const {
    publicUrl,
    streams,
    keepAliveMs = 15_000,
    upstreams,
    modelLimits = DEFAULT_MODEL_LIMITS,
    agents = [],
    access,
  } = options;
  const app = router();
  const owned = (c: { get(key: 'user'): { id: string } }, id: string, what: string) =>
    access.write(c.get('user').id, id, what);

  app.openapi(
    createRoute({
      method: 'post',
      path: '/sessions',
      tags,
      security,
      request: { body: jsonBody(CreateSession, 'The task') },
      responses: {
        201: jsonResponse(
          z.object({
            id: z.string(),
            url: z.string(),
            status: z.enum(sessionStatuses),
            branch: z.string(),
          }),
          'The queued session',
        ),
        ...errorResponses,
        ...agentNotConfigured,
        ...windowLimitResponse,
      },
    }),
    async (c) => {
      const user = c.get('user');
      const { id, branch } = await createSession(
        {
          db,
          log,
          upstreams,
          agents,
          github: options.github,
          kick: () => runner.kick(),
          limits: options.windowLimits,
          clock: options.clock,
        },
        user,
        c.req.valid('json'),
      );
      return c.json(
        { id, url: `${publicUrl()}/sessions/${id}`, status: 'queued' as const, branch },
        201,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/sessions',
      tags,
      security,
      description:
        'With `Accept: text/event-stream`, a live SSE feed of changes to your sessions instead: `event: session` (data: a Session) when one is created, changes status or sub-step, gets a new diff or is archived; `event: deleted` (data: `{"id"}`) when one is deleted; a `: keep-alive` comment every 15 s. Fetch the list once the stream has answered, and of two copies of a session keep the one with the higher `version`.',
      request: { query: ArchivedQuery },
      responses: {
        200: jsonResponse(
          z.object({ sessions: z.array(SessionSchema) }),
          'Your sessions, most recent first',
        ),
        ...errorResponses,
      },
    }),
    async (c) => {
      const user = c.get('user');
      if ((c.req.header('accept') ?? '').includes('text/event-stream')) {
        const release = streams.acquire(user.id);
        return sessionFeed(c, db, log, user, keepAliveMs, release) as never;
      }
      const list = await listSessions(db, user.id, { archived: c.req.valid('query').archived });
      const prs = await pullRequestsOf(
        db,
        list.map((s) => s.id),
      );
      return c.json(
        {
          sessions: list.map((s) => {
            const pr = prs.get(s.id);
            return toJson(s, pr ? toSummary(pr) : null, { readOnly: false, ownerName: user.name });
          }),
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/sessions/{id}',
      tags,
      security,
      request: { params: IdParams },
      responses: { 200: one, ...errorResponses },
    }),
    async (c) => {
      const opened = await access.read(c.get('user').id, c.req.valid('param').id);
      return c.json(await sessionJson(db, opened.session, viewOf(opened)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/sessions/{id}',
      tags,
      security,
      description:
        "Shares the session (`visibility`) or stops sharing it, and shows or hides the owner's name to viewers. Only the owner may.",
      request: { params: IdParams, body: jsonBody(UpdateSession, 'The fields to change') },
      responses: { 200: one, 403: jsonResponse(ErrorSchema, 'Not yours'), ...errorResponses },
    }),
    async (c) => {
      const user = c.get('user');
      const session = await owned(c, c.req.valid('param').id, 'share it');
      const body = c.req.valid('json');
      await updateSession(db, session.id, {
        ...(body.visibility !== undefined ? { visibility: body.visibility } : {}),
        ...(body.hideOwner !== undefined ? { hideOwner: body.hideOwner } : {}),
      });
      const updated = await getSession(db, user.id, session.id);
      return c.json(await sessionJson(db, updated, { readOnly: false, ownerName: user.name }), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/sessions/{id}/share',
      tags,
      security,
      description: "The session's link and who can open it (its owner only).",
      request: { params: IdParams },
      responses: {
        200: jsonResponse(ShareSchema, 'How the session is shared'),
        403: jsonResponse(ErrorSchema, 'Not yours'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const user = c.get('user');
      const session = await owned(c, c.req.valid('param').id, 'see who it is shared with');
      const teams = await teamsOf(db, user.id);
      return c.json(
        {
          url: `${publicUrl() || new URL(c.req.url).origin}/sessions/${session.id}`,
          visibility: session.visibility,
          hideOwner: session.hideOwner,
          audience: audienceOf(session.visibility, teams),
          teams: teams.map((t) => ({ id: t.id, name: t.name, members: t.members })),
          repoCheck:
            options.github?.config.shareCheck === true &&
            githubRepoOf(session, options.github) !== undefined,
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/sessions/{id}/events',
      tags,
      security,
      description:
        'A page of events after `after` (or the newest `limit` before `before`, or the last `tail`); with `Accept: text/event-stream`, a live SSE stream from there (`id:` is the seq; resumes from `Last-Event-ID`).',
      request: { params: IdParams, query: EventsQuery },
      responses: {
        200: jsonResponse(
          z.object({ events: z.array(EventSchema), lastSeq: z.number() }),
          'Events, oldest first',
        ),
        ...errorResponses,
      },
    }),
    async (c) => {
      const user = c.get('user');
      const { session } = await access.read(user.id, c.req.valid('param').id);
      const { limit, before, tail, ...query } = c.req.valid('query');
      const after =
        tail === undefined ? query.after : Math.max(query.after, session.lastSeq - tail);
      if (!(c.req.header('accept') ?? '').includes('text/event-stream')) {
        const events =
          before === undefined
            ? await log.read(session.id, after, limit)
            : await log.readBefore(session.id, after, before, limit);
        const json = events.map((e) => ({
          seq: e.seq,
          type: e.type,
          data: e.data,
          createdAt: e.createdAt.toISOString(),
        }));
        return c.json({ events: json, lastSeq: session.lastSeq }, 200);
      }
      const lastEventId = Number(c.req.header('last-event-id') ?? NaN);
      const resumable = Number.isInteger(lastEventId) && lastEventId >= 0 && lastEventId <= MAX_SEQ;
      const from = resumable ? lastEventId : after;
      // The viewer's streams, not the owner's: watching must not use up another's limit.
      const release = streams.acquire(user.id);
      return streamSSE(c, async (stream) => {
        const abort = new AbortController();
        stream.onAbort(() => abort.abort());
        const stopKeepAlive = keepAlive(stream, keepAliveMs);
        try {
          for await (const event of log.follow(session.id, from, abort.signal)) {
            await stream.writeSSE({
              id: String(event.seq),
              event: event.type,
              data: JSON.stringify({
                seq: event.seq,
                type: event.type,
                data: event.data,
                createdAt: event.createdAt,
              }),
            });
          }
        } finally {
          stopKeepAlive();
          release();
        }
      }) as never;
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/sessions/{id}/messages',
      tags,
      security,
      request: {
        params: IdParams,
        body: jsonBody(
          z.strictObject({ text: z.string().trim().min(1, 'must not be empty').max(100_000) }),
          'A follow-up',
        ),
      },
      responses: {
        202: jsonResponse(
          z.object({
            queued: z.boolean().describe('True when a turn is running: delivered when it ends'),
          }),
          'Accepted',
        ),
        ...errorResponses,
        ...agentNotConfigured,
        ...windowLimitResponse,
      },
    }),
    async (c) => {
      const session = await owned(c, c.req.valid('param').id, 'send it messages');
      requireUsableAgent(agents, session.agent);
      await checkTokenBudget(
        { db, limits: options.windowLimits, clock: options.clock },
        session.userId,
      );
      return c.json(await runner.sendMessage(session, c.req.valid('json').text), 202);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/sessions/{id}/interrupt',
      tags,
      security,
      request: { params: IdParams },
      responses: {
        200: jsonResponse(z.object({ interrupted: z.boolean() }), 'Whether a turn was running'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const session = await owned(c, c.req.valid('param').id, 'interrupt it');
      return c.json({ interrupted: await runner.interrupt(session) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/sessions/{id}/archive',
      tags,
      security,
      request: { params: IdParams },
      responses: { 200: one, ...errorResponses },
    }),
    async (c) => {
      const user = c.get('user');
      const session = await owned(c, c.req.valid('param').id, 'archive it');
      await runner.archive(session);
      return c.json(
        await sessionJson(db, await getSession(db, user.id, session.id), {
          readOnly: false,
          ownerName: user.name,
        }),
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/sessions/{id}',
      tags,
      security,
      request: { params: IdParams },
      responses: {
        200: jsonResponse(z.object({ deleted: z.string() }), 'Gone for good'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const session = await owned(c, c.req.valid('param').id, 'delete it');
      await runner.delete(session);
      await removeKeptRepoCopies(options.dataDir, session.id);
      return c.json({ deleted: session.id }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/sessions/{id}/diff',
      tags,
      security,
      request: { params: IdParams },
      responses: {
        200: jsonResponse(
          z.object({
            diff: z.string(),
            files: z.number(),
            additions: z.number(),
            deletions: z.number(),
          }),
          'The session branch against its base commit, as of the last turn',
        ),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { session: s } = await access.read(c.get('user').id, c.req.valid('param').id);
      return c.json(
        { diff: s.diff, files: s.diffFiles, additions: s.additions, deletions: s.deletions },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/sessions/{id}/pull-request',
      tags,
      security,
      description:
        "Opens a pull request from the session's branch into the branch it started from, pushing the branch first if the sandbox has commits GitHub lacks. Uncommitted changes are a 409 naming the files (`details.files`). A session that has a PR answers it (200) rather than opening another.",
      request: {
        params: IdParams,
        body: jsonBody(
          z.strictObject({
            title: z
              .string()
              .trim()
              .min(1, 'must not be empty')
              .max(256)
              .optional()
              .describe("Default: the session's title"),
            body: z
              .string()
              .max(60_000)
              .optional()
              .describe('Default: what the agent last said it did, and a link to the session'),
            draft: z.boolean().optional().describe('Open it as a draft (default false)'),
          }),
          'The pull request',
        ),
      },
      responses: {
        201: jsonResponse(PullRequestSummarySchema, 'Opened'),
        200: jsonResponse(PullRequestSummarySchema, 'The PR the session already has'),
        403: jsonResponse(ErrorSchema, 'GitHub refused the credential (what to do is said)'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const session = await owned(c, c.req.valid('param').id, 'open a pull request from it');
      if (!options.pullRequests) {
        throw new HangarError('github_off', 404, 'This server does not open pull requests.');
      }
      const { pullRequest, created } = await options.pullRequests.create(
        session,
        c.req.valid('json'),
      );
      return created ? c.json(pullRequest, 201) : c.json(pullRequest, 200);
    },
  );

  const Usage = z.object({
    requests: z.number().describe('Model requests (POST /v1/messages) forwarded'),
    inputTokens: z.number().describe('Input tokens, cached ones included'),
    outputTokens: z.number(),
  });
  app.openapi(
    createRoute({
      method: 'get',
      path: '/sessions/{id}/usage',
      tags,
      security,
      request: { params: IdParams },
      responses: {
        200: jsonResponse(
          z.object({
            session: Usage.describe("What this session's agent used, as the gateway counted it"),
            userToday: Usage.describe('What you used today (UTC), over all your sessions'),
            limits: z.object({
              requestsPerSession: z
                .number()
                .nullable()
                .describe('HANGAR_MAX_MODEL_REQUESTS_PER_SESSION; null: no limit'),
              tokensPerUserPerDay: z
                .number()
                .nullable()
                .describe('HANGAR_MAX_MODEL_TOKENS_PER_USER_PER_DAY; null: no limit'),
            }),
          }),
          "The session's model use and the limits on it",
        ),
        ...errorResponses,
      },
    }),
    async (c) => {
      const user = c.get('user');
      const s = await owned(c, c.req.valid('param').id, "see its owner's model use");
      const [session, userToday] = await Promise.all([
        sessionModelUsage(db, s.id),
        userModelUsage(db, user.id, utcDay(options.clock?.() ?? new Date())),
      ]);
      return c.json(
        {
          session,
          userToday,
          limits: {
            requestsPerSession: modelLimits.requestsPerSession ?? null,
            tokensPerUserPerDay: modelLimits.tokensPerUserPerDay ?? null,
          },
        },
        200,
      );
    },
  );

  return app;
}
