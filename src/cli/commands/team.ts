import type { Command } from 'commander';
import { ApiClient, type Schemas } from '../client.js';
import { resolveCredentials } from '../credentials.js';
import { CliError } from '../errors.js';
import { table, type Io } from '../io.js';

type Team = Schemas['Team'];
type Visibility = Schemas['Session']['visibility'];

const VISIBILITIES: readonly Visibility[] = ['private', 'team', 'public'];

export function registerTeam(program: Command, io: Io): void {
  const client = () => new ApiClient(resolveCredentials(io.env));
  const team = program
    .command('team')
    .description("teams: their members see each other's Team sessions and share environments");

  team
    .command('create')
    .description('make a team (admins only)')
    .argument('<name>', 'the team name')
    .action(async (name: string) => {
      const api = client();
      const created = await api.data(api.http.POST('/api/v1/teams', { body: { name } }));
      io.out(`Created team "${created.name}" (${created.id}).`);
    });

  team
    .command('add')
    .description('add users to a team (admins only)')
    .argument('<team>', 'team name or id')
    .argument('<users...>', 'user names or ids')
    .action(async (ref: string, users: string[]) => {
      const api = client();
      const found = await findTeam(api, ref);
      const updated = await api.data(
        api.http.POST('/api/v1/teams/{id}/members', {
          params: { path: { id: found.id } },
          body: { users },
        }),
      );
      io.out(`Team "${updated.name}": ${memberNames(updated)}.`);
    });

  team
    .command('remove')
    .description('remove users from a team (admins only)')
    .argument('<team>', 'team name or id')
    .argument('<users...>', 'user names or ids')
    .action(async (ref: string, users: string[]) => {
      const api = client();
      const found = await findTeam(api, ref);
      const updated = await api.data(
        api.http.POST('/api/v1/teams/{id}/members/remove', {
          params: { path: { id: found.id } },
          body: { users },
        }),
      );
      io.out(`Team "${updated.name}": ${memberNames(updated)}.`);
    });

  team
    .command('list')
    .description('teams and their members (an admin sees every team, others their own)')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const api = client();
      const { teams } = await api.data(api.http.GET('/api/v1/teams'));
      if (options.json) {
        io.out(JSON.stringify(teams, null, 2));
        return;
      }
      io.out(
        table(
          ['ID', 'NAME', 'MEMBERS'],
          teams.map((t) => [t.id, t.name, memberNames(t)]),
        ),
      );
    });

  program
    .command('share')
    .description('who else may open a session, read-only: private (only you), team or public')
    .argument('<id>', 'session id')
    .argument('<visibility>', VISIBILITIES.join(' | '))
    .option('--hide-owner', 'viewers are not shown your name')
    .option('--show-owner', 'viewers are shown your name again')
    .action(
      async (id: string, raw: string, options: { hideOwner?: boolean; showOwner?: boolean }) => {
        const visibility = VISIBILITIES.find((v) => v === raw);
        if (visibility === undefined) {
          throw new CliError(
            `"${raw}" is not a visibility: use one of ${VISIBILITIES.join(', ')}.`,
          );
        }
        if (options.hideOwner && options.showOwner) {
          throw new CliError('Give --hide-owner or --show-owner, not both.');
        }
        const hideOwner = options.hideOwner ? true : options.showOwner ? false : undefined;
        const api = client();
        await api.data(
          api.http.PATCH('/api/v1/sessions/{id}', {
            params: { path: { id } },
            body: { visibility, ...(hideOwner !== undefined ? { hideOwner } : {}) },
          }),
        );
        const shared = await api.data(
          api.http.GET('/api/v1/sessions/{id}/share', { params: { path: { id } } }),
        );
        io.out(`${shared.url}\n${shared.audience}`);
        if (shared.hideOwner) io.out('Viewers are not shown your name.');
        if (shared.repoCheck && shared.visibility !== 'private') {
          io.out(
            'A viewer must also be able to read its GitHub repository with their own connected GitHub account.',
          );
        }
      },
    );
}

function memberNames(team: Team): string {
  return team.members.map((m) => m.name).join(', ') || 'no members';
}

/** A team by id, or by name among those the user can see. */
export async function findTeam(api: ApiClient, ref: string): Promise<Team> {
  const { teams } = await api.data(api.http.GET('/api/v1/teams'));
  const found =
    teams.find((t) => t.id === ref) ??
    teams.find((t) => t.name.toLowerCase() === ref.toLowerCase());
  if (!found)
    throw new CliError(`No team named "${ref}" that you are in: see \`hangar team list\`.`);
  return found;
}
