import { ValidationError } from '../errors.js';
import { SANDBOX_USER } from './identity.js';

/**
 * The environment of sandboxed commands, and the one of the host processes that start
 * them. Users and sandboxes choose any variable they like — `LD_PRELOAD` inside the
 * sandbox is their business — but none of it may reach a host process: the host `sh`,
 * `nsenter` and `bwrap` run as root with every capability, and the dynamic loader of
 * each would honour `LD_PRELOAD`, `LD_LIBRARY_PATH`, `GCONV_PATH` … before a line of
 * ours runs. So the host chain gets HOST_ENV, fixed here, and what the command inside
 * should see travels as `--clearenv` + `--setenv K V` in bwrap's options over its
 * args fd: never in argv (any host user can read it) nor in the host environment.
 */

/** The search path Hangar's host processes run with; the same on every Debian-like host. */
export const HOST_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The whole environment of a host process Hangar starts with sandbox- or user-given data. */
export const HOST_ENV: Readonly<Record<string, string>> = Object.freeze({ PATH: HOST_PATH });

/** A variable name every shell and `setenv(3)` takes (POSIX portable names). */
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * bwrap takes at most 9000 arguments in all (its MAX_ARGS); each variable is three.
 * Far above what a command needs, far below that cap with the mounts added.
 */
export const MAX_ENV_VARS = 2000;

/**
 * Checks variables meant for a sandboxed command: names must be valid names (`=` or
 * a NUL in a name cannot be set), and values may not hold a NUL byte (the args fd is
 * NUL-separated, and no environment can carry one). Throws a ValidationError naming
 * the variable, under `field`.
 */
export function checkEnv(env: Readonly<Record<string, string>>, field = 'env'): void {
  const entries = Object.entries(env);
  if (entries.length > MAX_ENV_VARS) {
    throw new ValidationError(
      `${entries.length} variables is more than the ${MAX_ENV_VARS} a sandboxed command takes.`,
      field,
    );
  }
  for (const [name, value] of entries) {
    if (!NAME.test(name)) {
      throw new ValidationError(
        `${JSON.stringify(name)} is not a variable name: use letters, digits and _, not starting with a digit.`,
        field,
      );
    }
    if (typeof value !== 'string') {
      throw new ValidationError(`the value of ${name} is not a string.`, `${field}.${name}`);
    }
    if (value.includes('\0')) {
      throw new ValidationError(
        `the value of ${name} contains a NUL byte, which no environment can hold.`,
        `${field}.${name}`,
      );
    }
  }
}

/**
 * Variables glibc's loader and libc act on before `main` or on their own (its list of
 * "unsecure" variables, ignored in setuid programs). Inside a sandbox the step that
 * drops root to `user` (setpriv) still runs as root: these reach it under HELD_PREFIX
 * and RESTORE_HELD gives them their names back once privileges are gone, so a
 * LD_PRELOAD the agent can write never runs as the sandbox's root.
 */
export const LOADER_VARS = [
  'GCONV_PATH',
  'GETCONF_DIR',
  'GLIBC_TUNABLES',
  'HOSTALIASES',
  'LD_AUDIT',
  'LD_DEBUG',
  'LD_DEBUG_OUTPUT',
  'LD_DYNAMIC_WEAK',
  'LD_HWCAP_MASK',
  'LD_LIBRARY_PATH',
  'LD_ORIGIN_PATH',
  'LD_PRELOAD',
  'LD_PROFILE',
  'LD_SHOW_AUXV',
  'LOCALDOMAIN',
  'LOCPATH',
  'MALLOC_TRACE',
  'NIS_PATH',
  'NLSPATH',
  'RESOLV_HOST_CONF',
  'RES_OPTIONS',
  'TMPDIR',
  'TZDIR',
] as const;

/** The name a loader variable travels under until privileges are dropped. */
export const HELD_PREFIX = 'HANGAR_HELD_';

/**
 * Shell (sh, run as the command's own user) that gives held loader variables their
 * names back. Constant: names come from LOADER_VARS, values are only ever expanded
 * inside double quotes, never evaluated; its own variables are unset after (a shell
 * variable named like an exported one would change what the command sees).
 */
export const RESTORE_HELD = String.raw`for __hangar_n in ${LOADER_VARS.join(' ')}; do eval "__hangar_held=\${${HELD_PREFIX}$__hangar_n+x}"; if [ "$__hangar_held" = x ]; then eval "export $__hangar_n=\"\$${HELD_PREFIX}$__hangar_n\"; unset ${HELD_PREFIX}$__hangar_n"; fi; done; unset __hangar_n __hangar_held`;

/**
 * bwrap options giving the command exactly `env` and nothing of bwrap's own: they go
 * over the args fd. bwrap applies them to itself while parsing, but reads no variable
 * on the host side after that (only HOME, once inside the new root) and starts no other
 * host program, so they act inside the sandbox only. Loader variables are held back
 * (see LOADER_VARS) for the command's wrapper to restore.
 */
export function envArgs(env: Readonly<Record<string, string>>): string[] {
  checkEnv(env);
  const loader = new Set<string>(LOADER_VARS);
  return [
    '--clearenv',
    ...Object.entries(env).flatMap(([name, value]) => [
      '--setenv',
      loader.has(name) ? `${HELD_PREFIX}${name}` : name,
      value,
    ]),
  ];
}

/** The search path a sandboxed command starts with. */
const SANDBOX_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * The environment a sandboxed command sees: a login's basics for its user, the
 * sandbox's id and gateway, then the sandbox's variables, then the exec's own (each
 * over the one before). It reaches bwrap over its args fd only (envArgs).
 */
export function commandEnv(options: {
  user: 'root' | 'user';
  sandboxId: string;
  gateway: string | undefined;
  sandboxEnv: Readonly<Record<string, string>>;
  execEnv?: Readonly<Record<string, string>> | undefined;
}): Record<string, string> {
  const root = options.user === 'root';
  return {
    PATH: SANDBOX_PATH,
    HOME: root ? '/root' : SANDBOX_USER.home,
    USER: root ? 'root' : SANDBOX_USER.name,
    LOGNAME: root ? 'root' : SANDBOX_USER.name,
    SHELL: '/bin/bash',
    LANG: 'C.UTF-8',
    HANGAR_SANDBOX_ID: options.sandboxId,
    ...(options.gateway === undefined ? {} : { HANGAR_GATEWAY: options.gateway }),
    ...options.sandboxEnv,
    ...options.execEnv,
  };
}
