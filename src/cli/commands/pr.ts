import type { Command } from 'commander';
import { ApiClient } from '../client.js';
import { resolveCredentials } from '../credentials.js';
import type { Io } from '../io.js';

/** `hangar pr ID`: opens (or shows) the pull request of a session's branch. */
export function registerPullRequest(program: Command, io: Io): void {
  program
    .command('pr')
    .description(
      "open a pull request from a session's branch (pushed first if needed); a session with a PR shows it",
    )
    .argument('<id>', 'session id')
    .option('--title <title>', "the PR's title (default: the session's)")
    .option('--body <body>', 'its description (default: what the agent said it did, and a link)')
    .option('--draft', 'open it as a draft')
    .action(async (id: string, options: { title?: string; body?: string; draft?: boolean }) => {
      const api = new ApiClient(resolveCredentials(io.env));
      const pr = await api.data(
        api.http.POST('/api/v1/sessions/{id}/pull-request', {
          params: { path: { id } },
          body: {
            ...(options.title === undefined ? {} : { title: options.title }),
            ...(options.body === undefined ? {} : { body: options.body }),
            ...(options.draft ? { draft: true } : {}),
          },
        }),
      );
      io.out(`#${pr.number} (${pr.state}): ${pr.url}`);
    });
}
