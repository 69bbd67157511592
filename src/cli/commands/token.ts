import type { Command } from 'commander';
import { ApiClient } from '../client.js';
import { resolveCredentials } from '../credentials.js';
import { CliError } from '../errors.js';
import { shortTime, table, type Io } from '../io.js';

export function registerToken(program: Command, io: Io): void {
  const token = program.command('token').description('create, list and revoke API tokens');
  const client = () => new ApiClient(resolveCredentials(io.env));

  token
    .command('create')
    .description('create a token; prints it once, on stdout')
    .requiredOption('--name <name>', 'what the token is for, e.g. "laptop" or "ci"')
    .option('--expires <days>', 'days until it stops working (default: never)')
    .action(async (options: { name: string; expires?: string }) => {
      const expiresInDays = options.expires === undefined ? undefined : wholeDays(options.expires);
      const api = client();
      const created = await api.data(
        api.http.POST('/api/v1/tokens', { body: { name: options.name, expiresInDays } }),
      );
      io.err(`Created token ${created.id} (${created.name}); it will not be shown again.`);
      io.out(created.token);
    });

  token
    .command('list')
    .description('list your tokens that are not revoked')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const api = client();
      const { tokens } = await api.data(api.http.GET('/api/v1/tokens'));
      if (options.json) {
        io.out(JSON.stringify(tokens, null, 2));
        return;
      }
      io.out(
        table(
          ['ID', 'NAME', 'PREFIX', 'CREATED', 'LAST USED', 'EXPIRES'],
          tokens.map((t) => [
            t.id,
            t.name,
            `${t.prefix}…`,
            shortTime(t.createdAt),
            shortTime(t.lastUsedAt),
            t.expiresAt ? shortTime(t.expiresAt) : 'never',
          ]),
        ),
      );
    });

  token
    .command('revoke')
    .description('revoke a token: it stops working at once')
    .argument('<id>', 'the token id, from `hangar token list`')
    .action(async (id: string) => {
      const api = client();
      const revoked = await api.data(
        api.http.DELETE('/api/v1/tokens/{id}', { params: { path: { id } } }),
      );
      io.out(`Revoked ${revoked.id} (${revoked.name}).`);
    });
}

function wholeDays(raw: string): number {
  const days = /^[0-9]+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(days) || days < 1) {
    throw new CliError(`--expires "${raw}" is not a number of days: use a whole number like 30.`);
  }
  return days;
}
