import type { Command } from 'commander';
import { ApiClient, type Schemas } from '../client.js';
import { resolveCredentials } from '../credentials.js';
import { CliError } from '../errors.js';
import type { Io } from '../io.js';

type AgentName = Schemas['CreateSession']['agent'];

/**
 * `hangar autofix ID on|off`: auto-fix for a session's PR; `hangar autofix --pr URL`:
 * a new session on an existing PR's branch, auto-fix on.
 */
export function registerAutofix(program: Command, io: Io): void {
  program
    .command('autofix')
    .description(
      "watch a session's pull request and wake its agent when CI fails, someone comments or it conflicts with its base (ID on|off); or start a session on an existing PR with it on (--pr URL)",
    )
    .argument('[id]', 'session id')
    .argument('[state]', 'on or off')
    .option('--pr <url>', 'a pull request on GitHub: start a session on its branch, auto-fix on')
    .option('--agent <name>', 'the agent for the --pr session (default: the server’s first)')
    .action(
      async (
        id: string | undefined,
        state: string | undefined,
        options: { pr?: string; agent?: string },
      ) => {
        const api = new ApiClient(resolveCredentials(io.env));
        if (options.pr !== undefined) {
          if (id !== undefined)
            throw new CliError('give either a session id with on|off, or --pr URL');
          const created = await api.data(
            api.http.POST('/api/v1/autofix', {
              body: {
                pr: options.pr,
                ...(options.agent === undefined
                  ? {}
                  : {
                      // The server checks the name and lists the agents it has.
                      agent: options.agent as NonNullable<AgentName>,
                    }),
              },
            }),
          );
          io.out(`${created.id} on ${created.branch}, auto-fix on: ${created.url}`);
          return;
        }
        if (id === undefined || (state !== 'on' && state !== 'off')) {
          throw new CliError('usage: hangar autofix ID on|off, or hangar autofix --pr URL');
        }
        const autofix = await api.data(
          api.http.POST('/api/v1/sessions/{id}/autofix', {
            params: { path: { id } },
            body: { enabled: state === 'on' },
          }),
        );
        io.out(
          autofix.enabled
            ? `auto-fix on for ${id} (${autofix.turnsThisHour}/${autofix.maxPerHour} automatic turns this hour; PR ${autofix.mergeable})`
            : `auto-fix off for ${id}`,
        );
      },
    );
}
