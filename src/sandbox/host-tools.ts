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
