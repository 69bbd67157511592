import { Command, CommanderError } from 'commander';
import { HangarError } from '../errors.js';
import { packageVersion } from '../version.js';
import { CliError } from './errors.js';
import { processIo, type Io } from './io.js';

/** Adds a group of commands to the program. */
type Register = (program: Command, io: Io) => void;

/**
 * The command groups, in the order help lists them, each with the commands it adds and
 * its module. A module is imported only when one of its commands runs (all of them for
 * the full help), so a command that talks to a server never loads the server's code.
 */
const GROUPS: { commands: string[]; load: () => Promise<Register> }[] = [
  {
    commands: ['serve', 'runner'],
    load: async () => (await import('./commands/serve.js')).registerServe,
  },
  {
    commands: ['runners'],
    load: async () => (await import('./commands/runners.js')).registerRunners,
  },
  {
    commands: ['login', 'logout'],
    load: async () => (await import('./commands/login.js')).registerLogin,
  },
  { commands: ['token'], load: async () => (await import('./commands/token.js')).registerToken },
  { commands: ['user'], load: async () => (await import('./commands/user.js')).registerUser },
  {
    commands: ['team', 'share'],
    load: async () => (await import('./commands/team.js')).registerTeam,
  },
  { commands: ['usage'], load: async () => (await import('./commands/usage.js')).registerUsage },
  { commands: ['env'], load: async () => (await import('./commands/env.js')).registerEnv },
  {
    commands: ['github'],
    load: async () => (await import('./commands/github.js')).registerGitHub,
  },
  {
    commands: ['send', 'logs', 'archive', 'delete'],
    load: async () => (await import('./commands/sessions.js')).registerSessions,
  },
  { commands: ['pr'], load: async () => (await import('./commands/pr.js')).registerPullRequest },
  {
    commands: ['schedule'],
    load: async () => (await import('./commands/schedule.js')).registerSchedule,
  },
  {
    commands: ['autofix'],
    load: async () => (await import('./commands/autofix.js')).registerAutofix,
  },
  { commands: ['open'], load: async () => (await import('./commands/open.js')).registerOpen },
  { commands: ['remote'], load: async () => (await import('./commands/remote.js')).registerRemote },
  {
    commands: ['tasks', 'teleport'],
    load: async () => (await import('./commands/teleport.js')).registerTeleport,
  },
  { commands: ['image'], load: async () => (await import('./commands/image.js')).registerImage },
  {
    commands: ['sandbox'],
    load: async () => (await import('./commands/sandbox.js')).registerSandbox,
  },
];

/**
 * Builds the `hangar` command with the groups `argv` needs: the one its command is in,
 * or every group when it names none of them (help, a typo commander then names).
 */
export async function buildProgram(io: Io, argv: string[] = []): Promise<Command> {
  const program = new Command('hangar')
    .description('Hangar: a self-hosted cloud for coding agents')
    .version(packageVersion(), '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .exitOverride();
  const name = commandName(argv);
  const named = GROUPS.filter((group) => name !== undefined && group.commands.includes(name));
  const registers = await Promise.all((named.length > 0 ? named : GROUPS).map((g) => g.load()));
  for (const register of registers) register(program, io);
  for (const command of program.commands) command.exitOverride();
  return program;
}

/** The command `argv` runs: its first word that is not an option (`hangar` takes none with a value). */
function commandName(argv: string[]): string | undefined {
  return argv.slice(2).find((arg) => !arg.startsWith('-'));
}

/** The flag forms users know from Claude Code, and the subcommand each one stands for. */
const FLAG_COMMANDS = new Map([
  ['--remote', 'remote'],
  ['--teleport', 'teleport'],
]);

/**
 * `hangar --remote "task"` is `hangar remote "task"`, and `hangar --teleport [ID]` is
 * `hangar teleport [ID]`: the first such flag becomes its subcommand, unless it comes
 * after `--` or after a subcommand (`hangar sandbox run -- echo --remote`).
 */
export function withFlagCommands(argv: string[]): string[] {
  const commands = new Set(GROUPS.flatMap((group) => group.commands));
  for (let at = 2; at < argv.length; at++) {
    const arg = argv[at] ?? '';
    if (arg === '--' || commands.has(arg)) break;
    const command = FLAG_COMMANDS.get(arg);
    if (command !== undefined) {
      return [...argv.slice(0, 2), command, ...argv.slice(2, at), ...argv.slice(at + 1)];
    }
  }
  return argv;
}

/** Runs the CLI and returns its exit code; errors print as `hangar: message [code]`. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  try {
    const args = withFlagCommands(argv);
    await (await buildProgram(io, args)).parseAsync(args);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof CliError || error instanceof HangarError) {
      io.err(`hangar: ${error.message}${error.code === undefined ? '' : ` [${error.code}]`}`);
      for (const line of error instanceof CliError ? error.lines : []) io.err(`  ${line}`);
      return 1;
    }
    io.err(
      `hangar: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    return 1;
  }
}
