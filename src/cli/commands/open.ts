import type { Command } from 'commander';
import { browserCommand, launchBrowser } from '../browser.js';
import { ApiClient } from '../client.js';
import { resolveCredentials } from '../credentials.js';
import type { Io } from '../io.js';

/**
 * The web app's sign-in URL. The code rides in the fragment, which browsers never
 * send, so it stays out of server and proxy logs.
 */
export function signInUrl(server: string, code: string, sessionId?: string): string {
  const next = sessionId ? `&next=/sessions/${encodeURIComponent(sessionId)}` : '';
  return `${server}/login#code=${code}${next}`;
}

export function registerOpen(program: Command, io: Io): void {
  program
    .command('open')
    .description('open the web app in your browser, signed in (optionally at a session)')
    .argument('[session-id]', 'a session to open')
    .option('--print', 'only print the sign-in URL (it works once, within 5 minutes)')
    .action(async (sessionId: string | undefined, options: { print?: boolean }) => {
      const api = new ApiClient(resolveCredentials(io.env));
      // A typo'd id fails here, before a link is made for a page that would 404.
      if (sessionId)
        await api.data(
          api.http.GET('/api/v1/sessions/{id}', { params: { path: { id: sessionId } } }),
        );
      const { code } = await api.data(api.http.POST('/api/v1/login-links', { body: {} }));
      const url = signInUrl(api.server, code, sessionId);
      if (options.print) {
        io.out(url);
        return;
      }
      const launch = await launchBrowser(browserCommand(io.env, process.platform), url);
      if (launch.ok) {
        io.out(`Opened ${url}`);
        return;
      }
      io.err(`Could not open a browser (${launch.reason}).`);
      io.err('Open this link by hand; it signs you in once, within 5 minutes:');
      io.out(url);
    });
}
