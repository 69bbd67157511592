import type { Command } from 'commander';
import { ApiClient } from '../client.js';
import { resolveCredentials } from '../credentials.js';
import { table, type Io } from '../io.js';

/** `hangar usage`: each user's use of the per-user limits (an admin sees everyone). */
export function registerUsage(program: Command, io: Io): void {
  program
    .command('usage')
    .description(
      "each user's running sessions, sessions started in the last hour and model tokens today, against the limits (admins see every user, others themselves)",
    )
    .option('--json', 'print the API answer as JSON')
    .action(async (options: { json?: boolean }) => {
      const api = new ApiClient(resolveCredentials(io.env));
      const usage = await api.data(api.http.GET('/api/v1/usage'));
      if (options.json) {
        io.out(JSON.stringify(usage, null, 2));
        return;
      }
      const { limits } = usage;
      const of = (used: number, limit: number | null) =>
        limit === null ? String(used) : `${used}/${limit}`;
      io.out(
        table(
          ['USER', 'RUNNING', 'QUEUED', 'STARTED (1H)', `TOKENS TODAY (${usage.day} UTC)`],
          usage.users.map((user) => [
            user.name,
            of(user.running, limits.sessionsAtOnce),
            String(user.queued),
            of(user.sessionsLastHour, limits.sessionsPerHour),
            of(user.tokensToday, limits.tokensPerDay),
          ]),
        ),
      );
      io.out(
        `Limits per user: ${limits.sessionsAtOnce} sessions at once (more wait queued), ` +
          `${limits.sessionsPerHour} started per hour, ` +
          `${limits.tokensPerDay === null ? 'no limit on' : limits.tokensPerDay} model tokens per UTC day.`,
      );
    });
}
