import type { Command } from 'commander';
import { ApiClient } from '../client.js';
import { resolveCredentials } from '../credentials.js';
import type { Io } from '../io.js';

export function registerUser(program: Command, io: Io): void {
  const user = program.command('user').description('add the people of your team (admins only)');

  user
    .command('create')
    .description('add a user; prints their login token once, on stdout')
    .requiredOption('--name <name>', 'who it is')
    .option('--admin', 'they may add users too')
    .action(async (options: { name: string; admin?: boolean }) => {
      const api = new ApiClient(resolveCredentials(io.env));
      const created = await api.data(
        api.http.POST('/api/v1/users', {
          body: { name: options.name, admin: options.admin ?? false },
        }),
      );
      io.err(
        `Created user ${created.name} (${created.id}). Give them this token; it will not be shown again.`,
      );
      io.out(created.token);
    });
}
