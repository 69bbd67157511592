import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { findTeam } from './team.js';
import { AGENT_NAMES, DEFAULT_AGENT_NAME } from '../../agents/catalog.js';
import { parseDotenv } from '../../environments/dotenv.js';
import { ApiClient, type Schemas } from '../client.js';
import { resolveCredentials } from '../credentials.js';
import { CliError } from '../errors.js';
import { table, type Io } from '../io.js';

type Environment = Schemas['Environment'];
type Settings = Schemas['UpdateEnvironment'];

interface SettingsFlags {
  name?: string;
  network?: string;
  allow?: string[];
  includeDefaults?: boolean;
  envFile?: string;
  setupScript?: string;
  image?: string;
  agent?: string;
}

const LEVELS: readonly NonNullable<Settings['networkLevel']>[] = [
  'none',
  'trusted',
  'full',
  'custom',
];

export function registerEnv(program: Command, io: Io): void {
  const env = program
    .command('env')
    .description('manage environments: network level, allowlist, env vars, setup script');
  const client = () => new ApiClient(resolveCredentials(io.env));

  env
    .command('list')
    .description('list environments (* marks the default)')
    .option('--archived', 'include archived environments')
    .option('--json', 'print JSON')
    .action(async (options: { archived?: boolean; json?: boolean }) => {
      const api = client();
      const { environments } = await api.data(
        api.http.GET('/api/v1/environments', {
          params: { query: options.archived ? { archived: 'true' } : {} },
        }),
      );
      if (options.json) {
        io.out(JSON.stringify(environments, null, 2));
        return;
      }
      io.out(
        table(
          ['', 'NAME', 'NETWORK', 'AGENT', 'ID', 'STATE'],
          environments.map((e) => [
            e.isDefault ? '*' : '',
            e.name,
            describeNetwork(e),
            describeAgent(e),
            e.id,
            e.archived ? 'archived' : 'active',
          ]),
        ),
      );
    });

  env
    .command('show')
    .description('show one environment in full')
    .argument('<env>', 'environment name or id')
    .option('--json', 'print JSON')
    .action(async (ref: string, options: { json?: boolean }) => {
      const api = client();
      const found = await findEnvironment(api, ref);
      if (options.json) {
        io.out(JSON.stringify(found, null, 2));
        return;
      }
      io.out(describe(found));
    });

  settingsFlags(
    env
      .command('create')
      .description('create an environment')
      .requiredOption('--name <name>', 'environment name')
      .option('--default', 'make it the default for new sessions')
      .option('--team <team>', 'owned by a team you are in: its members see, edit and use it'),
  ).action(async (options: SettingsFlags & { name: string; default?: boolean; team?: string }) => {
    const api = client();
    const teamId = options.team === undefined ? undefined : (await findTeam(api, options.team)).id;
    let created = await api.data(
      api.http.POST('/api/v1/environments', {
        body: { ...settingsBody(options), name: options.name, ...(teamId ? { teamId } : {}) },
      }),
    );
    if (options.default) created = await makeDefault(api, created);
    io.out(`Created environment "${created.name}" (${created.id}).`);
  });

  settingsFlags(
    env
      .command('edit')
      .description('change an environment (--allow replaces the whole allowlist)')
      .argument('<env>', 'environment name or id')
      .option('--name <name>', 'new name'),
  ).action(async (ref: string, options: SettingsFlags) => {
    const body = settingsBody(options);
    if (Object.keys(body).length === 0) {
      throw new CliError(
        'Nothing to change: give at least one flag (see `hangar env edit --help`).',
      );
    }
    const api = client();
    const found = await findEnvironment(api, ref);
    const updated = await api.data(
      api.http.PATCH('/api/v1/environments/{id}', { params: { path: { id: found.id } }, body }),
    );
    io.out(`Updated environment "${updated.name}" (${updated.id}).`);
  });

  env
    .command('archive')
    .description('archive an environment: hidden from lists; sessions using it keep running')
    .argument('<env>', 'environment name or id')
    .action(async (ref: string) => {
      const api = client();
      const found = await findEnvironment(api, ref);
      await api.data(
        api.http.POST('/api/v1/environments/{id}/archive', {
          params: { path: { id: found.id } },
        }),
      );
      io.out(`Archived environment "${found.name}".`);
    });

  env
    .command('cache')
    .description("an environment's setup cache: `hangar env cache clear ENV`")
    .command('clear')
    .description('forget the kept setup result: the next new session runs the setup script again')
    .argument('<env>', 'environment name or id')
    .action(async (ref: string) => {
      const api = client();
      const found = await findEnvironment(api, ref);
      const { cleared } = await api.data(
        api.http.DELETE('/api/v1/environments/{id}/setup-cache', {
          params: { path: { id: found.id } },
        }),
      );
      io.out(
        cleared
          ? `Cleared the setup cache of "${found.name}": its next new session runs setup again.`
          : `"${found.name}" had no cached setup.`,
      );
    });

  env
    .command('default')
    .description('make an environment the default for new sessions (no argument: show it)')
    .argument('[env]', 'environment name or id')
    .action(async (ref: string | undefined) => {
      const api = client();
      if (ref === undefined) {
        const { environments } = await api.data(api.http.GET('/api/v1/environments'));
        const current = environments.find((e) => e.isDefault);
        io.out(current ? describe(current) : 'No default environment is set.');
        return;
      }
      const found = await findEnvironment(api, ref);
      await makeDefault(api, found);
      io.out(`"${found.name}" is now the default environment.`);
    });
}

function settingsFlags(command: Command): Command {
  return command
    .option('--network <level>', `network level: ${LEVELS.join(' | ')}`)
    .option(
      '--allow <pattern>',
      'allowed host for the custom level, e.g. *.example.com (repeatable)',
      collect,
    )
    .option('--include-defaults', 'custom level: also allow the trusted default list')
    .option('--no-include-defaults', 'custom level: allow only the --allow patterns')
    .option('--env-file <file>', 'environment variables in .env format (- for stdin)')
    .option('--setup-script <file>', 'bash script run as root when a session starts (- for stdin)')
    .option(
      '--image <name>',
      'sandbox image sessions run on (hangar image list); "default": universal once built',
    )
    .option(
      '--agent <name>',
      `agent of sessions started here that name none: ${AGENT_NAMES.join(' | ')}, or "server" for the server's default`,
    );
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function makeDefault(api: ApiClient, env: Environment): Promise<Environment> {
  return api.data(
    api.http.POST('/api/v1/environments/{id}/default', { params: { path: { id: env.id } } }),
  );
}

/** Only the flags that were given, so an edit changes nothing else. */
function settingsBody(flags: SettingsFlags): Settings {
  const body: Settings = {};
  if (flags.name !== undefined) body.name = flags.name;
  if (flags.network !== undefined) {
    const level = LEVELS.find((l) => l === flags.network);
    if (level === undefined) {
      throw new CliError(
        `--network "${flags.network}" is not a level: use one of ${LEVELS.join(', ')}.`,
      );
    }
    body.networkLevel = level;
  }
  if (flags.allow !== undefined) body.allowlist = flags.allow;
  if (flags.includeDefaults !== undefined) body.includeDefaults = flags.includeDefaults;
  if (flags.envFile !== undefined) body.envVars = readText(flags.envFile, '--env-file');
  if (flags.setupScript !== undefined)
    body.setupScript = readText(flags.setupScript, '--setup-script');
  if (flags.image !== undefined) body.image = flags.image === 'default' ? null : flags.image;
  // The server names the agents it runs when it refuses one.
  if (flags.agent !== undefined)
    body.defaultAgent = flags.agent === 'server' ? null : (flags.agent as Settings['defaultAgent']);
  return body;
}

function readText(file: string, flag: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new CliError(`Cannot read ${flag} ${file}: ${reason}`);
  }
}

/** Finds an environment by id, or by name (a live one before an archived one). */
export async function findEnvironment(api: ApiClient, ref: string): Promise<Environment> {
  if (/^env_[0-9a-z]+$/.test(ref))
    return api.data(api.http.GET('/api/v1/environments/{id}', { params: { path: { id: ref } } }));
  const { environments } = await api.data(
    api.http.GET('/api/v1/environments', { params: { query: { archived: 'true' } } }),
  );
  const named = environments.filter((e) => e.name.toLowerCase() === ref.toLowerCase());
  const found = named.find((e) => !e.archived) ?? named[0];
  if (!found)
    throw new CliError(`No environment named "${ref}": see \`hangar env list --archived\`.`);
  return found;
}

function describeNetwork(e: Environment): string {
  if (e.networkLevel !== 'custom') return e.networkLevel;
  const extra = e.includeDefaults ? ' + trusted defaults' : '';
  return `custom (${e.allowlist.length} allowed${extra})`;
}

/** The agent a session started here runs when it names none. */
function describeAgent(e: Environment): string {
  return e.defaultAgent ?? `${DEFAULT_AGENT_NAME} (the server's default)`;
}

function describe(e: Environment): string {
  const lines = [
    `${e.name}${e.isDefault ? ' (default)' : ''}${e.archived ? ' (archived)' : ''}`,
    `  id:       ${e.id}`,
    `  network:  ${describeNetwork(e)}`,
    `  image:    ${e.effectiveImage ?? "none (this host's /usr and /opt)"}${e.image === null ? ' (default)' : ''}`,
    `  agent:    ${describeAgent(e)}`,
    `  owner:    ${e.teamId === null ? 'personal' : `team ${e.teamId} (its members see and edit it)`}`,
  ];
  if (e.imageWarning !== undefined) lines.push(`  warning:  ${e.imageWarning}`);
  if (e.allowlist.length > 0) lines.push(`  allow:    ${e.allowlist.join(', ')}`);
  // Names only: values are often secrets.
  const names = Object.keys(parseDotenv(e.envVars).vars);
  lines.push(`  env vars: ${names.length === 0 ? 'none' : names.join(', ')}`);
  lines.push(
    `  setup:    ${e.setupScript.trim() === '' ? 'none' : `${e.setupScript.split('\n').length} lines`}`,
  );
  return lines.join('\n');
}
