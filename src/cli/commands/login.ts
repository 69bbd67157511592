import type { Command } from 'commander';
import { ApiClient } from '../client.js';
import { normalizeServerUrl, removeCredentials, saveCredentials } from '../credentials.js';
import { CliError } from '../errors.js';
import type { Io } from '../io.js';

export function registerLogin(program: Command, io: Io): void {
  program
    .command('login')
    .description('check a token against a server and save both for later commands')
    .requiredOption('--server <url>', 'the Hangar server, e.g. http://127.0.0.1:8080')
    .option(
      '--token <token>',
      'an API token, or - to read it from stdin (default: HANGAR_TOKEN); a token in argv is visible to every user in ps',
    )
    .action(async (options: { server: string; token?: string }) => {
      const token =
        options.token === '-' ? await readStdin() : (options.token ?? io.env.HANGAR_TOKEN);
      if (!token) throw new CliError('No token given: pass --token TOKEN (or set HANGAR_TOKEN).');
      const server = normalizeServerUrl(options.server);
      const api = new ApiClient({ server, token });
      const me = await api.data(api.http.GET('/api/v1/me'));
      const file = saveCredentials(io.env, server, token);
      io.out(`Logged in to ${server} as ${me.name}. Saved to ${file}.`);
    });

  program
    .command('logout')
    .description('forget the saved server and token')
    .action(() => {
      io.out(removeCredentials(io.env) ? 'Logged out.' : 'Not logged in.');
    });
}

/** The token piped in (`--token - < file`), so it never sits in this process's argv. */
async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return text.trim();
}
