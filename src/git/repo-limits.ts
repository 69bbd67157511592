import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Limits on the git processes Hangar runs on the host for repos it keeps (`git
 * http-backend` for a bundle session's pushes and fetches, `git upload-pack` for
 * teleport). What they read comes from a sandbox or a user, so each runs under rlimits:
 * memory for objects (a small pack can inflate to huge objects), CPU time, and the size
 * of any one file it writes.
 */
export interface GitProcessLimits {
  /** RLIMIT_DATA: heap and other private writable memory (pack mmaps are not counted). */
  dataBytes: number;
  /** RLIMIT_CPU */
  cpuSeconds: number;
  /** RLIMIT_FSIZE: the largest file it may write. */
  fileBytes: number;
}

export const DEFAULT_GIT_PROCESS_LIMITS: GitProcessLimits = {
  dataBytes: 2 * 1024 * 1024 * 1024,
  cpuSeconds: 600,
  fileBytes: 4 * 1024 * 1024 * 1024,
};

/**
 * `sh` argv that runs `git ARGS…` under `limits` (the shell's `ulimit`: -d in KiB, -f in
 * 512-byte blocks, -t in seconds). Spawn it as `spawn('sh', limitedGitArgs(…))`.
 */
export function limitedGitArgs(
  args: readonly string[],
  limits: GitProcessLimits,
  git = 'git',
): string[] {
  const data = Math.ceil(limits.dataBytes / 1024);
  const file = Math.ceil(limits.fileBytes / 512);
  const cpu = Math.ceil(limits.cpuSeconds);
  return [
    '-c',
    `ulimit -d ${data} && ulimit -f ${file} && ulimit -t ${cpu} && exec "$0" "$@"`,
    git,
    ...args,
  ];
}

/**
 * Git config for a push into a kept repo, as GIT_CONFIG_COUNT variables (they reach the
 * `receive-pack` that `http-backend` starts): the pack may be at most `maxInputBytes`,
 * and is kept as a pack — never unpacked into loose objects, which a small pack of deltas
 * could make many times larger — and no automatic gc runs on the host.
 */
export function pushConfigEnv(maxInputBytes: number): Record<string, string> {
  return configEnv(pushConfig(maxInputBytes));
}

/** pushConfigEnv's settings as key/value pairs. */
export function pushConfig(maxInputBytes: number): [string, string][] {
  return [
    ['receive.maxInputSize', String(Math.max(1, Math.floor(maxInputBytes)))],
    ['receive.unpackLimit', '1'],
    ['receive.autogc', 'false'],
  ];
}

/**
 * Git config as GIT_CONFIG_COUNT variables: for a host git process, never in argv
 * (any host user can read argv; a credential may be among the values). A key may repeat
 * (multi-valued keys such as `http.extraHeader`).
 */
export function configEnv(config: readonly (readonly [string, string])[]): Record<string, string> {
  const env: Record<string, string> = { GIT_CONFIG_COUNT: String(config.length) };
  config.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  return env;
}

/** Bytes in the files under `dir` (symlinks counted as themselves, never followed). */
export async function directoryBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await directoryBytes(path);
    else total += (await lstat(path)).size;
  }
  return total;
}
