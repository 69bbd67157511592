import { createRoute, z } from '@hono/zod-openapi';
import { AGENT_NAMES, DEFAULT_AGENT_NAME } from '../../agents/catalog.js';
import { requireUsableAgent, type AgentStatus } from '../../agents/readiness.js';
import { ConflictError, HangarError, ValidationError } from '../../errors.js';
import { AutofixSummarySchema } from '../../github/autofix-events.js';
import { githubClient, statusOf, unexpected } from '../../github/client.js';
import type { GitHub } from '../../github/github.js';
import { pullRequestState } from '../../github/pr-status.js';
import type { PullRequests } from '../../github/pull-requests.js';
import { parseGitHubRepo } from '../../github/repo-ref.js';
import type { CreateSessionDeps } from '../../sessions/create.js';
import { createSession } from '../../sessions/create.js';
import { sessionStatuses } from '../../sessions/status.js';
import { pullRequestOf, savePullRequest } from '../../store/pull-requests.js';
import type { SessionAccess } from '../session-access.js';
import {
  errorResponses,
  Id,
  IdParams,
  jsonBody,
  jsonResponse,
  router,
  windowLimitResponse,
} from '../context.js';

const tags = ['Auto-fix'];
const security = [{ bearer: [] }];

/** The server has no GitHub (or no auto-fix): nothing to watch. */
class AutofixOffError extends HangarError {
  constructor() {
    super('autofix_off', 404, 'This server has no GitHub set up, so it has no auto-fix.');
  }
}

/** Auto-fix watches a PR: a session without one has nothing to watch yet. */
class NoPullRequestError extends HangarError {
  constructor(id: string) {
    super(
      'no_pull_request',
      409,
      `Session ${id} has no pull request to watch: open one first (hangar pr ${id}, or Create PR on its page).`,
    );
  }
}

const PR_URL = /^(.+)\/pull\/([0-9]{1,9})\/?$/;

/** `/sessions/{id}/autofix` and `/autofix` (a session on an existing PR, auto-fix on). */
export function autofixRoutes(options: {
  createDeps: Omit<CreateSessionDeps, 'github'>;
  github: GitHub | undefined;
  pullRequests: PullRequests | undefined;
  agents: readonly AgentStatus[];
  publicUrl: () => string;
  /** Who may read or change a session. */
  access: SessionAccess;
}) {
  const { db } = options.createDeps;
  const app = router();
  const autofixOf = () => {
    const autofix = options.pullRequests?.autofix;
    if (!autofix || !options.pullRequests || !options.github) throw new AutofixOffError();
    return { autofix, pullRequests: options.pullRequests, github: options.github };
  };

  app.openapi(
    createRoute({
      method: 'get',
      path: '/sessions/{id}/autofix',
      tags,
      security,
      request: { params: IdParams },
      responses: {
        200: jsonResponse(AutofixSummarySchema, "The session's auto-fix"),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { session } = await options.access.read(c.get('user').id, c.req.valid('param').id);
      return c.json(await autofixOf().autofix.summary(session.id), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/sessions/{id}/autofix',
      tags,
      security,
      description:
        "Turns auto-fix on or off. On, Hangar watches the session's PR and wakes its agent with a follow-up when CI fails on the head (`github.ci`), someone other than Hangar comments (`github.review`), or the PR stops merging into its base (`github.conflict`), at most HANGAR_AUTOFIX_MAX_PER_HOUR times an hour. A merged, closed or deleted PR ends the watch.",
      request: {
        params: IdParams,
        body: jsonBody(z.strictObject({ enabled: z.boolean() }), 'On or off'),
      },
      responses: {
        200: jsonResponse(AutofixSummarySchema, "The session's auto-fix"),
        ...errorResponses,
      },
    }),
    async (c) => {
      const session = await options.access.write(
        c.get('user').id,
        c.req.valid('param').id,
        'turn auto-fix on or off',
      );
      const { autofix } = autofixOf();
      const { enabled } = c.req.valid('json');
      const pr = await pullRequestOf(db, session.id);
      if (enabled && !pr) throw new NoPullRequestError(session.id);
      if (enabled && pr && (pr.state === 'merged' || pr.state === 'closed')) {
        throw new ConflictError(
          `The pull request of session ${session.id} is ${pr.state}: there is nothing to watch.`,
        );
      }
      return c.json(await autofix.set(session.id, enabled), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/autofix',
      tags,
      security,
      description:
        "Starts a session on an existing pull request's branch with auto-fix on (`hangar autofix --pr URL`): its agent pushes to the PR's head branch. A PR from a fork is refused.",
      request: {
        body: jsonBody(
          z.strictObject({
            pr: z
              .string()
              .min(1)
              .max(2000)
              .describe('The pull request on GitHub: …/owner/repo/pull/N'),
            prompt: z
              .string()
              .trim()
              .min(1)
              .max(100_000)
              .optional()
              .describe("The agent's first message; default: read the PR and wait"),
            agent: z.enum(AGENT_NAMES).optional(),
            environmentId: Id.optional(),
          }),
          'The pull request to watch',
        ),
      },
      responses: {
        201: jsonResponse(
          z.object({
            id: z.string(),
            url: z.string(),
            status: z.enum(sessionStatuses),
            branch: z.string(),
          }),
          'The queued session, watching the PR',
        ),
        ...errorResponses,
        ...windowLimitResponse,
      },
    }),
    async (c) => {
      const user = c.get('user');
      const body = c.req.valid('json');
      const { autofix, github } = autofixOf();
      const agent = body.agent ?? DEFAULT_AGENT_NAME;
      requireUsableAgent(options.agents, agent);
      const match = PR_URL.exec(body.pr.trim());
      const ref = match && parseGitHubRepo(match[1] ?? '', github.config, 'pr');
      if (!match || !ref) {
        throw new ValidationError(
          `must be a pull request on ${github.config.webUrl}: ${github.config.webUrl}/owner/repo/pull/N`,
          'pr',
        );
      }
      const number = Number(match[2]);
      const access = await github.resolveRepoAccess(user.id, ref);
      const client = githubClient(github.config, await access.credential.token());
      let pull;
      try {
        ({ data: pull } = await client.rest.pulls.get({
          owner: ref.owner,
          repo: ref.repo,
          pull_number: number,
        }));
      } catch (error) {
        if (statusOf(error) === 404) {
          throw new HangarError(
            'pull_request_not_found',
            404,
            `${ref.owner}/${ref.repo} has no pull request #${number}.`,
          );
        }
        throw unexpected(error, `reading ${ref.owner}/${ref.repo}#${number}`);
      }
      const state = pullRequestState(pull);
      if (state === 'merged' || state === 'closed') {
        throw new ConflictError(`${body.pr} is ${state}: there is nothing to fix.`);
      }
      // GitHub answers a null head repo once a fork is deleted.
      const headRepo = (pull.head as { repo: { full_name: string } | null }).repo?.full_name;
      if (headRepo !== `${ref.owner}/${ref.repo}`) {
        throw new HangarError(
          'pull_request_from_fork',
          422,
          `${body.pr} comes from another repository (${headRepo ?? 'since deleted'}): auto-fix pushes to the PR's branch, so it needs one in ${ref.owner}/${ref.repo}.`,
        );
      }
      const prompt =
        body.prompt ??
        `This session watches pull request #${number} (${pull.title}) on the branch ${pull.head.ref}. Look over what the branch changes against ${pull.base.ref} and say in a few lines what it does; change nothing yet. Hangar will wake you when its CI fails, someone comments, or it conflicts with ${pull.base.ref}.`;
      const { id, branch } = await createSession({ ...options.createDeps, github }, user, {
        prompt,
        source: {
          type: 'git',
          url: `${github.config.webUrl}/${ref.owner}/${ref.repo}`,
          branch: pull.head.ref,
        },
        environmentId: body.environmentId,
        agent,
        title: pull.title,
        branch: pull.head.ref,
      });
      await savePullRequest(db, {
        sessionId: id,
        repo: `${ref.owner}/${ref.repo}`,
        number,
        url: pull.html_url,
        state,
        headSha: pull.head.sha,
      });
      await autofix.set(id, true);
      return c.json(
        { id, url: `${options.publicUrl()}/sessions/${id}`, status: 'queued' as const, branch },
        201,
      );
    },
  );

  return app;
}
