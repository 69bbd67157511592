import { Command, CommanderError } from 'commander';
import { HangarError } from '../errors.js';
import { packageVersion } from '../server/serve.js';
import { registerEnv } from './commands/env.js';
import { registerLogin } from './commands/login.js';
import { registerSandbox } from './commands/sandbox.js';
import { registerServe } from './commands/serve.js';
import { registerSessions } from './commands/sessions.js';
import { registerToken } from './commands/token.js';
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
  registerEnv(program, io);
  registerSessions(program, io);
  registerSandbox(program, io);
  for (const command of program.commands) command.exitOverride();
  return program;
}

/** Runs the CLI and returns its exit code; errors print as `hangar: message`. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  try {
    await buildProgram(io).parseAsync(argv);
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
