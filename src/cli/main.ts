import { Command, CommanderError } from 'commander';
import { HangarError } from '../errors.js';
import { packageVersion } from '../server/serve.js';
import { registerEnv } from './commands/env.js';
import { registerGitHub } from './commands/github.js';
import { registerLogin } from './commands/login.js';
import { registerOpen } from './commands/open.js';
import { registerSandbox } from './commands/sandbox.js';
import { registerRemote } from './commands/remote.js';
import { registerServe } from './commands/serve.js';
import { registerSessions } from './commands/sessions.js';
import { registerTeleport } from './commands/teleport.js';
import { registerToken } from './commands/token.js';
import { registerUser } from './commands/user.js';
import { CliError } from './errors.js';
import { processIo, type Io } from './io.js';

/** Builds the `hangar` command with every subcommand registered. */
export function buildProgram(io: Io): Command {
  const program = new Command('hangar')
    .description('Hangar: a self-hosted cloud for coding agents')
    .version(packageVersion(), '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .exitOverride();
  registerServe(program, io);
  registerLogin(program, io);
  registerToken(program, io);
  registerUser(program, io);
  registerEnv(program, io);
  registerGitHub(program, io);
  registerSessions(program, io);
  registerOpen(program, io);
  registerRemote(program, io);
  registerTeleport(program, io);
  registerSandbox(program, io);
  for (const command of program.commands) command.exitOverride();
  return program;
}

/**
 * `hangar --remote "task"` is `hangar remote "task"`: the flag form, as users know it
 * from their agent's CLI, becomes the subcommand wherever it appears before `--`.
 */
export function withRemoteCommand(argv: string[]): string[] {
  const end = argv.indexOf('--');
  const at = argv.indexOf('--remote');
  if (at < 2 || (end !== -1 && at > end)) return argv;
  return [...argv.slice(0, 2), 'remote', ...argv.slice(2, at), ...argv.slice(at + 1)];
}

/** Runs the CLI and returns its exit code; errors print as `hangar: message`. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  try {
    await buildProgram(io).parseAsync(withRemoteCommand(argv));
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof CliError || error instanceof HangarError) {
      io.err(`hangar: ${error.message}`);
      for (const line of error instanceof CliError ? error.lines : []) io.err(`  ${line}`);
      return 1;
    }
    io.err(
      `hangar: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    return 1;
  }
}
