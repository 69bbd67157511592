import { createRoute, z } from '@hono/zod-openapi';
import { AGENT_NAMES, DEFAULT_AGENT_NAME } from '../../agents/catalog.js';
import { requireUsableAgent, type AgentStatus } from '../../agents/readiness.js';
import { HangarError, UserLimitError, ValidationError } from '../../errors.js';
import type { UpstreamRules } from '../../gateway/resolver.js';
import type { GitHub } from '../../github/github.js';
import { checkGitHubSource } from '../../github/session-source.js';
import { newId } from '../../ids.js';
import { checkTiming, nextRun, nextRuns } from '../../schedules/cron.js';
import type { Scheduler } from '../../schedules/scheduler.js';
import { titleFromPrompt } from '../../sessions/branch-name.js';
import { resolveSource } from '../../sessions/source.js';
import { sessionStatuses } from '../../sessions/status.js';
import { getEnvironment } from '../../store/environments.js';
import { scheduleRunStatuses } from '../../store/schema.js';
import {
  countSchedules,
  deleteSchedule,
  getSchedule,
  insertSchedule,
  listRuns,
  listSchedules,
  updateSchedule,
  type Schedule,
  type ScheduleRun,
} from '../../store/schedules.js';
import { loadSession } from '../../store/sessions.js';
import type { Db } from '../../store/store.js';
import type { User } from '../../store/users.js';
import {
  errorResponses,
  ErrorSchema,
  Id,
  IdParams,
  jsonBody,
  jsonResponse,
  router,
} from '../context.js';

/** How many upcoming times a schedule shows. */
const NEXT_RUNS = 5;

const Cron = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(200)
  .describe('Five fields: minute hour day-of-month month day-of-week, e.g. `0 9 * * 1-5`');
const TimeZone = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(100)
  .describe('IANA time zone the cron is read in, e.g. `Europe/Berlin` (default `UTC`)');
const Prompt = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(100_000)
  .describe("The task: each run's first message");
const RepoUrl = z.string().trim().min(1, 'must not be empty').max(2000);
const Branch = z.string().trim().min(1).max(255);
const Title = z.string().trim().min(1).max(200);
const Model = z.string().min(1).max(100);

const CreateSchedule = z
  .strictObject({
    cron: Cron,
    timezone: TimeZone.optional(),
    repoUrl: RepoUrl.describe("The repository's git URL"),
    branch: Branch.optional().describe("Default: the remote's HEAD at each run"),
    environmentId: Id.optional().describe('Default: your default environment, pinned now'),
    agent: z
      .enum(AGENT_NAMES)
      .optional()
      .describe("Default: the environment's default agent, else claude-code; pinned now"),
    model: Model.optional(),
    prompt: Prompt,
    title: Title.optional().describe('Default: from the task'),
  })
  .openapi('CreateSchedule');

const UpdateSchedule = z
  .strictObject({
    cron: Cron.optional(),
    timezone: TimeZone.optional(),
    repoUrl: RepoUrl.optional(),
    branch: Branch.nullable().optional().describe("null: the remote's HEAD at each run"),
    environmentId: Id.optional(),
    agent: z.enum(AGENT_NAMES).optional(),
    model: Model.nullable().optional(),
    prompt: Prompt.optional(),
    title: Title.optional(),
  })
  .openapi('UpdateSchedule');

const RunObject = z.object({
  id: z.string(),
  dueAt: z.iso.datetime(),
  trigger: z.enum(['cron', 'manual']).describe('manual: `hangar schedule run`'),
  status: z
    .enum(scheduleRunStatuses)
    .describe('started: its session was made; skipped: the previous run still ran; failed'),
  sessionId: z.string().nullable(),
  sessionStatus: z
    .enum(sessionStatuses)
    .nullable()
    .describe("The run's session's status now; null when it has none or it was deleted"),
  reason: z.string().nullable().describe('Why it was skipped or could not start'),
});
const ScheduleRunSchema = RunObject.openapi('ScheduleRun');

const ScheduleSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    prompt: z.string(),
    repoUrl: z.string(),
    branch: z.string().nullable(),
    environmentId: z.string(),
    agent: z.string(),
    model: z.string().nullable(),
    cron: z.string(),
    timezone: z.string(),
    paused: z.boolean(),
    nextRuns: z
      .array(z.iso.datetime())
      .describe('The next times it is due (none while paused), soonest first'),
    lastRun: RunObject.nullable().describe('Its latest run; null before the first'),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .openapi('Schedule');

const ScheduleDetail = ScheduleSchema.extend({
  runs: z.array(ScheduleRunSchema).describe('Its runs, newest first (at most 50)'),
}).openapi('ScheduleDetail');

const tags = ['Schedules'];
const security = [{ bearer: [] }];

export interface ScheduleRouteOptions {
  scheduler: Scheduler;
  /** HANGAR_MAX_SCHEDULES_PER_USER */
  maxPerUser: number;
  clock: () => Date;
  agents: readonly AgentStatus[];
  github?: GitHub | undefined;
  upstreams?: UpstreamRules | undefined;
}

/** `/schedules`: tasks started as new sessions on a cron. */
export function scheduleRoutes(db: Db, options: ScheduleRouteOptions) {
  const { scheduler, clock, agents } = options;
  const app = router();

  const runJson = async (run: ScheduleRun) => {
    const session = run.sessionId ? await loadSession(db, run.sessionId) : undefined;
    return {
      id: run.id,
      dueAt: run.dueAt.toISOString(),
      trigger: run.trigger,
      status: run.status,
      sessionId: run.sessionId,
      sessionStatus: session?.status ?? null,
      reason: run.reason,
    };
  };

  const scheduleJson = async (schedule: Schedule) => {
    const [last] = await listRuns(db, schedule.id, 1);
    const upcoming = schedule.nextRunAt
      ? [schedule.nextRunAt, ...nextRuns(schedule, schedule.nextRunAt, NEXT_RUNS - 1)]
      : [];
    return {
      id: schedule.id,
      title: schedule.title,
      prompt: schedule.prompt,
      repoUrl: schedule.repoUrl,
      branch: schedule.branch,
      environmentId: schedule.environmentId,
      agent: schedule.agent,
      model: schedule.model,
      cron: schedule.cron,
      timezone: schedule.timezone,
      paused: schedule.paused,
      nextRuns: upcoming.map((d) => d.toISOString()),
      lastRun: last ? await runJson(last) : null,
      createdAt: schedule.createdAt.toISOString(),
      updatedAt: schedule.updatedAt.toISOString(),
    };
  };

  const detailJson = async (schedule: Schedule) => ({
    ...(await scheduleJson(schedule)),
    runs: await Promise.all((await listRuns(db, schedule.id, 50)).map(runJson)),
  });

  /** The environment a schedule pins: the user's own, live. */
  const checkEnvironment = async (user: User, id: string | undefined) => {
    const envId = id ?? user.defaultEnvironmentId;
    if (!envId)
      throw new ValidationError('you have no default environment: name one', 'environmentId');
    const env = await getEnvironment(db, user.id, envId).catch(() => {
      throw new ValidationError(`no environment with id "${envId}"`, 'environmentId');
    });
    if (env.archivedAt) {
      throw new ValidationError(
        `the environment "${env.name}" is archived: choose another`,
        'environmentId',
      );
    }
    return env;
  };

  /** The repo and branch are readable now, as a session's source is checked (a 400 naming the field). */
  const checkRepo = async (user: User, repoUrl: string, branch: string | null | undefined) => {
    const input = { type: 'git' as const, url: repoUrl, branch: branch ?? undefined };
    try {
      const checked = await checkGitHubSource(options.github, user.id, input, options.upstreams);
      await resolveSource(db, user.id, checked.input, checked.upstreams, checked.authorization);
    } catch (error) {
      if (error instanceof ValidationError && error.field?.startsWith('source.')) {
        const field = error.field === 'source.branch' ? 'branch' : 'repoUrl';
        throw new ValidationError(error.message.replace(/^source\.\w+: /, ''), field);
      }
      // GitHub's "no such repository" is about this field, not this route.
      if (error instanceof HangarError && error.status === 404) {
        throw new ValidationError(error.message, 'repoUrl');
      }
      throw error;
    }
  };

  app.openapi(
    createRoute({
      method: 'get',
      path: '/schedules',
      tags,
      security,
      responses: {
        200: jsonResponse(z.object({ schedules: z.array(ScheduleSchema) }), 'Your schedules'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const all = await listSchedules(db, c.get('user').id);
      return c.json({ schedules: await Promise.all(all.map(scheduleJson)) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/schedules',
      tags,
      security,
      request: { body: jsonBody(CreateSchedule, 'The schedule') },
      responses: {
        201: jsonResponse(ScheduleSchema, 'The schedule, with its next runs'),
        ...errorResponses,
        422: {
          description: '`agent_not_configured`: this server cannot run the agent',
          content: { 'application/json': { schema: ErrorSchema } },
        },
        429: {
          description: '`too_many_schedules`: you have HANGAR_MAX_SCHEDULES_PER_USER schedules',
          content: { 'application/json': { schema: ErrorSchema } },
        },
      },
    }),
    async (c) => {
      const user = c.get('user');
      const body = c.req.valid('json');
      const used = await countSchedules(db, user.id);
      if (used >= options.maxPerUser) {
        throw new UserLimitError({
          code: 'too_many_schedules',
          status: 429,
          message: `You have ${used} of ${options.maxPerUser} schedules (HANGAR_MAX_SCHEDULES_PER_USER): delete one (hangar schedule rm) to make another.`,
          details: { limit: options.maxPerUser, used, variable: 'HANGAR_MAX_SCHEDULES_PER_USER' },
        });
      }
      const timing = { cron: body.cron, timezone: body.timezone ?? 'UTC' };
      checkTiming(timing);
      const env = await checkEnvironment(user, body.environmentId);
      const environmentId = env.id;
      const agent = body.agent ?? env.defaultAgent ?? DEFAULT_AGENT_NAME;
      requireUsableAgent(agents, agent);
      await checkRepo(user, body.repoUrl, body.branch);
      const now = clock();
      const schedule = await insertSchedule(db, {
        id: newId('sch'),
        userId: user.id,
        title: body.title ?? titleFromPrompt(body.prompt),
        prompt: body.prompt,
        repoUrl: body.repoUrl,
        branch: body.branch ?? null,
        environmentId,
        agent,
        model: body.model ?? null,
        ...timing,
        nextRunAt: nextRun(timing, now),
        createdAt: now,
        updatedAt: now,
      });
      scheduler.kick();
      return c.json(await scheduleJson(schedule), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/schedules/{id}',
      tags,
      security,
      request: { params: IdParams },
      responses: {
        200: jsonResponse(ScheduleDetail, 'The schedule and its runs'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const schedule = await getSchedule(db, c.get('user').id, c.req.valid('param').id);
      return c.json(await detailJson(schedule), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/schedules/{id}',
      tags,
      security,
      request: { params: IdParams, body: jsonBody(UpdateSchedule, 'The fields to change') },
      responses: {
        200: jsonResponse(ScheduleDetail, 'The schedule as changed, with its next runs'),
        ...errorResponses,
        422: {
          description: '`agent_not_configured`: this server cannot run the agent',
          content: { 'application/json': { schema: ErrorSchema } },
        },
      },
    }),
    async (c) => {
      const user = c.get('user');
      const schedule = await getSchedule(db, user.id, c.req.valid('param').id);
      const body = c.req.valid('json');
      const timing = {
        cron: body.cron ?? schedule.cron,
        timezone: body.timezone ?? schedule.timezone,
      };
      checkTiming(timing);
      if (body.agent) requireUsableAgent(agents, body.agent);
      const environmentId =
        body.environmentId === undefined
          ? undefined
          : (await checkEnvironment(user, body.environmentId)).id;
      if (body.repoUrl !== undefined || body.branch !== undefined) {
        await checkRepo(
          user,
          body.repoUrl ?? schedule.repoUrl,
          body.branch === undefined ? schedule.branch : body.branch,
        );
      }
      const now = clock();
      const retimed = timing.cron !== schedule.cron || timing.timezone !== schedule.timezone;
      const updated = await updateSchedule(
        db,
        schedule.id,
        {
          ...timing,
          ...(body.repoUrl === undefined ? {} : { repoUrl: body.repoUrl }),
          ...(body.branch === undefined ? {} : { branch: body.branch }),
          ...(environmentId === undefined ? {} : { environmentId }),
          ...(body.agent === undefined ? {} : { agent: body.agent }),
          ...(body.model === undefined ? {} : { model: body.model }),
          ...(body.prompt === undefined ? {} : { prompt: body.prompt }),
          ...(body.title === undefined ? {} : { title: body.title }),
          ...(retimed && !schedule.paused ? { nextRunAt: nextRun(timing, now) } : {}),
        },
        now,
      );
      scheduler.kick();
      return c.json(await detailJson(updated), 200);
    },
  );

  for (const action of ['pause', 'resume'] as const) {
    app.openapi(
      createRoute({
        method: 'post',
        path: `/schedules/{id}/${action}`,
        tags,
        security,
        request: { params: IdParams },
        responses: {
          200: jsonResponse(
            ScheduleDetail,
            action === 'pause'
              ? 'Paused: no run starts until it is resumed'
              : 'Resumed: its next run is the next time the cron names from now (missed ones are not made up)',
          ),
          ...errorResponses,
        },
      }),
      async (c) => {
        const schedule = await getSchedule(db, c.get('user').id, c.req.valid('param').id);
        const now = clock();
        const updated = await updateSchedule(
          db,
          schedule.id,
          action === 'pause'
            ? { paused: true, nextRunAt: null }
            : {
                paused: false,
                nextRunAt: schedule.paused ? nextRun(schedule, now) : schedule.nextRunAt,
              },
          now,
        );
        scheduler.kick();
        return c.json(await detailJson(updated), 200);
      },
    );
  }

  app.openapi(
    createRoute({
      method: 'post',
      path: '/schedules/{id}/run',
      tags,
      security,
      description:
        'Starts a run now, outside the cron (its next time stays). 409 while the previous run is still running.',
      request: { params: IdParams },
      responses: {
        201: jsonResponse(ScheduleRunSchema, "The run, with its session's id"),
        ...errorResponses,
        422: {
          description: '`agent_not_configured`: this server cannot run the agent',
          content: { 'application/json': { schema: ErrorSchema } },
        },
      },
    }),
    async (c) => {
      const schedule = await getSchedule(db, c.get('user').id, c.req.valid('param').id);
      const run = await scheduler.runNow(schedule);
      return c.json(await runJson(run), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/schedules/{id}',
      tags,
      security,
      request: { params: IdParams },
      responses: {
        200: jsonResponse(
          z.object({ deleted: z.string() }),
          'Gone; the sessions it started are kept',
        ),
        ...errorResponses,
      },
    }),
    async (c) => {
      const schedule = await getSchedule(db, c.get('user').id, c.req.valid('param').id);
      await deleteSchedule(db, schedule.id);
      return c.json({ deleted: schedule.id }, 200);
    },
  );

  return app;
}
