import type { Command } from 'commander';
import { ApiClient } from '../client.js';
import { resolveCredentials } from '../credentials.js';
import { table, type Io } from '../io.js';

/** `hangar runners`: the processes that run sessions, and whether each is alive (admins). */
export function registerRunners(program: Command, io: Io): void {
  program
    .command('runners')
    .description(
      'the runners that run sessions: host, version, capacity, sessions held, last heartbeat, up or gone (admins)',
    )
    .option('--json', 'print the API answer as JSON')
    .action(async (options: { json?: boolean }) => {
      const api = new ApiClient(resolveCredentials(io.env));
      const { runners } = await api.data(api.http.GET('/api/v1/runners'));
      if (options.json) {
        io.out(JSON.stringify(runners, null, 2));
        return;
      }
      if (runners.length === 0) {
        io.out('No runners: start `hangar serve` or `hangar runner` on DATABASE_URL.');
        return;
      }
      const now = Date.now();
      io.out(
        table(
          ['ID', 'HOST', 'VERSION', 'ACTIVE/CAPACITY', 'HELD', 'LAST HEARTBEAT', 'STATE'],
          runners.map((runner) => [
            runner.id,
            runner.host,
            runner.version,
            `${runner.active}/${runner.capacity}`,
            String(runner.held),
            ago(now - Date.parse(runner.heartbeatAt)),
            runner.state,
          ]),
        ),
      );
    });
}

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s ago`;
  if (s < 7200) return `${Math.round(s / 60)}m ago`;
  return `${Math.round(s / 3600)}h ago`;
}
