import { execFile } from 'node:child_process';
import type { Command } from 'commander';
import { ApiClient, type Schemas } from '../client.js';
import { resolveCredentials } from '../credentials.js';
import { CliError } from '../errors.js';
import type { Io } from '../io.js';

type GitHubStatus = Schemas['GitHubStatus'];

/** How the server reaches GitHub for you, in a sentence. */
export function describeGitHub(status: GitHubStatus): string {
  if (status.via === 'token') return `GitHub: connected as ${status.login ?? '?'} (your token).`;
  if (status.via === 'app') {
    return "GitHub: through the server's GitHub App (repos it is installed on).";
  }
  return status.tokenLogin
    ? 'GitHub: not connected. Connect with `gh auth token | hangar github login`.'
    : 'GitHub: not connected, and this server takes no personal tokens: ask its operator to install the GitHub App.';
}

export function registerGitHub(program: Command, io: Io): void {
  const github = program.command('github').description('connect your GitHub account for sessions');
  const client = () => new ApiClient(resolveCredentials(io.env));

  github
    .command('login')
    .description(
      'give the server a GitHub token: from stdin (default), from `gh auth token`, or --token',
    )
    .option('--from-gh', 'take the token of the GitHub CLI (`gh auth token`)')
    .option('--token <token>', 'the token itself (visible to every user in ps: prefer stdin)')
    .action(async (options: { fromGh?: boolean; token?: string }) => {
      if (options.fromGh && options.token !== undefined) {
        throw new CliError('Give either --from-gh or --token, not both.');
      }
      const token = options.fromGh ? await ghAuthToken() : (options.token ?? (await readStdin(io)));
      if (!token) {
        throw new CliError('No token given.', [
          'Pipe one in (`gh auth token | hangar github login`), or use --from-gh.',
        ]);
      }
      const api = client();
      const status = await api.data(api.http.POST('/api/v1/github/token', { body: { token } }));
      io.out(`Connected GitHub as ${status.login ?? '?'}.`);
    });

  github
    .command('status')
    .description('how the server reaches GitHub for you')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const api = client();
      const status = await api.data(api.http.GET('/api/v1/github'));
      io.out(options.json ? JSON.stringify(status, null, 2) : describeGitHub(status));
    });

  github
    .command('logout')
    .description('make the server forget your GitHub token')
    .action(async () => {
      const api = client();
      const status = await api.data(api.http.DELETE('/api/v1/github/token'));
      io.out(`Your GitHub token is forgotten. ${describeGitHub(status)}`);
    });
}

/** The GitHub CLI's token (it honours GH_HOST for an Enterprise Server). */
function ghAuthToken(): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('gh', ['auth', 'token'], { timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) {
        const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
        reject(
          new CliError(
            missing
              ? 'The GitHub CLI (`gh`) is not installed here.'
              : `\`gh auth token\` failed: ${stderr.trim() || error.message}`,
            [
              missing
                ? 'Pipe a token in instead: `hangar github login < token-file`.'
                : 'Run `gh auth login` first.',
            ],
          ),
        );
        return;
      }
      resolve(stdout.trim());
    });
  });
}

/** The token piped in; on a terminal, say what is awaited. */
async function readStdin(io: Io): Promise<string> {
  if (process.stdin.isTTY) io.err('Paste a GitHub token, then press Enter and Ctrl-D:');
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return text.trim();
}
