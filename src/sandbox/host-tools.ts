import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { HangarError } from '../errors.js';

/** The host programs the local driver runs, each with the Debian package that ships it. */
export const HOST_TOOLS = {
  bwrap: 'bubblewrap',
  nsenter: 'util-linux',
  unshare: 'util-linux',
  setpriv: 'util-linux',
  mount: 'mount',
  'mkfs.ext4': 'e2fsprogs',
  filefrag: 'e2fsprogs',
  sh: 'dash',
  socat: 'socat',
} as const;

export type HostTool = keyof typeof HOST_TOOLS;

const SYSTEM_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** The absolute path of a host tool, or an error saying which package to install. */
export function findTool(name: HostTool, env: NodeJS.ProcessEnv = process.env): string {
  const dirs = [...(env.PATH ?? '').split(delimiter).filter(Boolean), ...SYSTEM_PATH];
  for (const dir of dirs) {
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // Not here.
    }
  }
  throw new HangarError(
    'sandbox_unavailable',
    503,
    `The local sandbox driver needs \`${name}\`: install the ${HOST_TOOLS[name]} package ` +
      `(apt-get install ${HOST_TOOLS[name]}).`,
  );
}

/**
 * The host tools' paths, each looked up once. All are needed, so they are looked up
 * at once (a missing one is an error now, not at the first sandbox), but socat: only
 * a sandbox with a gateway needs it.
 */
export class HostToolPaths {
  private readonly paths: Record<HostTool, string>;

  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {
    this.paths = {
      bwrap: findTool('bwrap', env),
      nsenter: findTool('nsenter', env),
      unshare: findTool('unshare', env),
      setpriv: findTool('setpriv', env),
      mount: findTool('mount', env),
      'mkfs.ext4': findTool('mkfs.ext4', env),
      filefrag: findTool('filefrag', env),
      sh: findTool('sh', env),
      socat: '',
    };
  }

  /** A host tool's path; socat is looked for the first time it is asked for. */
  get(name: HostTool): string {
    if (name === 'socat') this.paths.socat ||= findTool('socat', this.env);
    return this.paths[name];
  }
}

/** Runs a host command to completion; rejects with its stderr when it fails. */
export function run(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: options.env ?? { PATH: SYSTEM_PATH.join(':') },
      cwd: options.cwd,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve(stdout);
      else
        reject(
          new HangarError(
            'sandbox_host_command_failed',
            500,
            `${command} ${args.join(' ')} failed (${signal ?? `exit ${code}`}): ${stderr.trim()}`,
          ),
        );
    });
  });
}
