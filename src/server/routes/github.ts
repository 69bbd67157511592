import { createRoute, z } from '@hono/zod-openapi';
import type { GitHub } from '../../github/github.js';
import { ErrorSchema, errorResponses, jsonBody, jsonResponse, router } from '../context.js';

const GitHubStatusSchema = z
  .object({
    connected: z.boolean().describe('Whether sessions can reach GitHub for you'),
    login: z.string().nullable().describe('The GitHub login of your token; null with the App'),
    via: z
      .enum(['app', 'token'])
      .nullable()
      .describe("How: the server's GitHub App, your own token, or not at all"),
    tokenLogin: z
      .boolean()
      .describe('Whether this server lets you connect your own token (HANGAR_GITHUB_TOKEN_LOGIN)'),
  })
  .openapi('GitHubStatus');

const ConnectToken = z
  .strictObject({
    token: z
      .string()
      .min(1, 'must not be empty')
      .max(1000, 'must be at most 1000 characters')
      .regex(/^[\x21-\x7e]+$/, 'must be a GitHub token: printable characters, no spaces')
      .describe(
        'A GitHub token (classic, fine-grained, or `gh auth token`); checked, then stored encrypted',
      ),
  })
  .openapi('ConnectGitHubToken');

const RepoSchema = z
  .object({
    fullName: z.string().describe('owner/repo, usable as a session source'),
    private: z.boolean(),
    defaultBranch: z.string(),
    url: z.string(),
    via: z.enum(['app', 'token']).describe('The credential a session on it would use'),
  })
  .openapi('GitHubRepo');

const ReposQuery = z.object({
  q: z
    .string()
    .max(100, 'must be at most 100 characters')
    .optional()
    .openapi({ description: 'Part of owner/repo to search for (no case)' }),
});

const githubErrors = {
  ...errorResponses,
  403: {
    description: 'GitHub refused, or no credential reaches it',
    content: { 'application/json': { schema: ErrorSchema } },
  },
  503: {
    description: 'GitHub could not be reached, or the App is misconfigured',
    content: { 'application/json': { schema: ErrorSchema } },
  },
} as const;

const tags = ['GitHub'];
const security = [{ bearer: [] }];

/**
 * `/github`: connecting a user's GitHub token (checked, stored sealed, never sent
 * back) and the repos they can start a session on.
 */
export function githubRoutes(github: GitHub) {
  const app = router();
  const statusOf = async (userId: string) => ({
    ...(await github.status(userId)),
    tokenLogin: github.config.tokenLogin,
  });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/github',
      tags,
      security,
      responses: { 200: jsonResponse(GitHubStatusSchema, 'How you reach GitHub'), ...githubErrors },
    }),
    async (c) => c.json(await statusOf(c.get('user').id), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/github/token',
      tags,
      security,
      request: { body: jsonBody(ConnectToken, 'Your GitHub token') },
      responses: {
        200: jsonResponse(GitHubStatusSchema, 'Connected: the token is stored'),
        ...githubErrors,
      },
    }),
    async (c) => {
      const userId = c.get('user').id;
      await github.connectToken(userId, c.req.valid('json').token);
      return c.json(await statusOf(userId), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/github/token',
      tags,
      security,
      responses: {
        200: jsonResponse(GitHubStatusSchema, 'Your token is forgotten'),
        ...githubErrors,
      },
    }),
    async (c) => {
      const userId = c.get('user').id;
      await github.disconnect(userId);
      return c.json(await statusOf(userId), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/github/repos',
      tags,
      security,
      request: { query: ReposQuery },
      responses: {
        200: jsonResponse(
          z.object({ repos: z.array(RepoSchema) }),
          'Repos you can start a session on (at most 50), by name',
        ),
        ...githubErrors,
      },
    }),
    async (c) => {
      const repos = await github.listRepos(c.get('user').id, c.req.valid('query').q ?? '');
      return c.json({ repos }, 200);
    },
  );

  return app;
}
