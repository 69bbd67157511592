import { createRoute, z } from '@hono/zod-openapi';
import { AGENT_NAMES } from '../../agents/catalog.js';
import type { AgentStatus } from '../../agents/readiness.js';
import { errorResponses, jsonResponse, router } from '../context.js';

export const AgentStatusSchema = z
  .object({
    name: z.enum(AGENT_NAMES),
    usable: z.boolean().describe('Whether this server can run sessions of this agent now'),
    reason: z
      .string()
      .optional()
      .describe('Why it cannot, and what to do (e.g. the model key the server lacks)'),
  })
  .openapi('AgentStatus');

/** `/agents`: which agents this server can run, and why not. */
export function agentRoutes(agents: readonly AgentStatus[]) {
  const app = router();
  app.openapi(
    createRoute({
      method: 'get',
      path: '/agents',
      tags: ['Sessions'],
      security: [{ bearer: [] }],
      responses: {
        200: jsonResponse(
          z.object({ agents: z.array(AgentStatusSchema) }),
          'The agents and whether each can run here',
        ),
        ...errorResponses,
      },
    }),
    (c) => c.json({ agents: [...agents] }, 200),
  );
  return app;
}
