import { execFile } from 'node:child_process';
import { limitedGitArgs, type GitProcessLimits } from './repo-limits.js';

export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the system `git` with a clean, predictable environment: no user config, no
 * prompts, no pager. Resolves with the exit code rather than throwing on failure.
 */
export function runGit(
  args: string[],
  options: {
    cwd?: string;
    env?: NodeJS.ProcessEnv;
    /** For a repo whose objects came from a sandbox or a user: run under these rlimits. */
    limits?: GitProcessLimits;
  } = {},
): Promise<GitResult> {
  const [command, argv] = options.limits
    ? ['sh', limitedGitArgs(args, options.limits)]
    : ['git', args];
  return new Promise((resolve, reject) => {
    execFile(
      command,
      argv,
      {
        cwd: options.cwd,
        maxBuffer: 64 * 1024 * 1024,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          GIT_CONFIG_NOSYSTEM: '1',
          GIT_CONFIG_GLOBAL: '/dev/null',
          GIT_TERMINAL_PROMPT: '0',
          GIT_PAGER: 'cat',
          LC_ALL: 'C',
          ...options.env,
        },
      },
      (error, stdout, stderr) => {
        // A numeric code is git's exit status; anything else (ENOENT…) is a real failure.
        if (error && typeof error.code !== 'number') {
          reject(new Error(`git ${args[0] ?? ''} could not run: ${error.message}`));
          return;
        }
        resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
      },
    );
  });
}
