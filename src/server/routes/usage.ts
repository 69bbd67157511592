import { createRoute, z } from '@hono/zod-openapi';
import { HOUR_MS } from '../../sessions/usage-limits.js';
import { utcDay } from '../../store/model-usage.js';
import type { Db } from '../../store/store.js';
import { usageByUser } from '../../store/usage.js';
import { errorResponses, jsonResponse, router } from '../context.js';

const UserUsageSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    running: z
      .number()
      .describe(
        'Sessions provisioning or running a turn (HANGAR_MAX_SESSIONS_PER_USER counts these)',
      ),
    queued: z.number().describe('Sessions waiting to start'),
    sessionsLastHour: z
      .number()
      .describe('Sessions started in the last hour, deleted ones included'),
    tokensToday: z
      .number()
      .describe(
        'Model tokens (input, cached included, plus output) used today (UTC), as the gateway counted them',
      ),
  })
  .openapi('UserUsage');

const UsageSchema = z
  .object({
    day: z.string().describe('The UTC day `tokensToday` counts, `YYYY-MM-DD`'),
    users: z.array(UserUsageSchema).describe('Every user for an admin; yourself alone otherwise'),
    limits: z.object({
      sessionsAtOnce: z.number().describe('HANGAR_MAX_SESSIONS_PER_USER: more wait queued'),
      sessionsPerHour: z.number().describe('HANGAR_MAX_SESSIONS_PER_USER_PER_HOUR'),
      tokensPerDay: z
        .number()
        .nullable()
        .describe('HANGAR_MAX_MODEL_TOKENS_PER_USER_PER_DAY; null: no limit'),
    }),
  })
  .openapi('Usage');

/** `/usage`: what each user uses of the per-user limits; a non-admin sees their own. */
export function usageRoutes(
  db: Db,
  options: { limits: z.infer<typeof UsageSchema>['limits']; clock: () => Date },
) {
  const app = router();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/usage',
      tags: ['Account'],
      security: [{ bearer: [] }],
      responses: {
        200: jsonResponse(UsageSchema, "Users' use of the per-user limits, and the limits"),
        ...errorResponses,
      },
    }),
    async (c) => {
      const user = c.get('user');
      const now = options.clock();
      const day = utcDay(now);
      const users = await usageByUser(db, {
        since: new Date(now.getTime() - HOUR_MS),
        day,
        userId: user.isAdmin ? undefined : user.id,
      });
      return c.json({ day, users, limits: options.limits }, 200);
    },
  );

  return app;
}
