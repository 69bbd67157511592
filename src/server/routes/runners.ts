import { createRoute, z } from '@hono/zod-openapi';
import { HangarError } from '../../errors.js';
import { listRunners, RUNNER_GONE_AFTER_MS } from '../../store/runners.js';
import type { Db } from '../../store/store.js';
import { errorResponses, jsonResponse, router } from '../context.js';

const RunnerSchema = z
  .object({
    id: z.string().describe('The runner, as session leases name it'),
    host: z.string().describe('The host name it runs on'),
    version: z.string().describe("Hangar's version there"),
    capacity: z
      .number()
      .describe('Sessions it sets up or runs turns for at once (HANGAR_RUNNER_CAPACITY)'),
    held: z.number().describe('Sessions it held at its last heartbeat (a sandbox up or starting)'),
    active: z.number().describe('Of those, being set up or running a turn'),
    startedAt: z.string().describe('When it started (ISO 8601)'),
    heartbeatAt: z.string().describe('Its last heartbeat (ISO 8601)'),
    state: z
      .enum(['up', 'gone'])
      .describe(
        `\`gone\`: not heard from for ${RUNNER_GONE_AFTER_MS / 1000} s (its sessions are taken over once their leases run out)`,
      ),
  })
  .openapi('Runner');

/** `/runners`: the processes that run sessions, for the admin who runs them. */
export function runnerRoutes(db: Db) {
  const app = router();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/runners',
      tags: ['Account'],
      security: [{ bearer: [] }],
      responses: {
        200: jsonResponse(
          z.object({ runners: z.array(RunnerSchema) }),
          'Every runner, most recently heard from first',
        ),
        403: errorResponses[401],
        ...errorResponses,
      },
    }),
    async (c) => {
      // Host names and loads are the operator's business, as adding users is.
      if (!c.get('user').isAdmin)
        throw new HangarError('forbidden', 403, 'Only an admin can list runners.');
      const runners = (await listRunners(db)).map((runner) => ({
        ...runner,
        startedAt: runner.startedAt.toISOString(),
        heartbeatAt: runner.heartbeatAt.toISOString(),
      }));
      return c.json({ runners }, 200);
    },
  );

  return app;
}
