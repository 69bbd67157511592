import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Bind } from './driver.js';
import { RESTORE_HELD } from './exec-env.js';
import type { UserIds } from './identity.js';

/**
 * bubblewrap arguments for a sandbox's processes. Pure, so the hardening each one adds
 * is tested without a kernel; the isolation suite then attacks the real thing.
 *
 * UID MAPPING — the choice, written down as DESIGN.md asks. No user namespace: bwrap runs
 * as real root and the sandbox's ids ARE host ids. `user` is a host uid/gid of its own
 * per sandbox (uid-range.ts: drawn from HANGAR_SANDBOX_UIDS, default 2000000000 and up,
 * kept in sandbox.json across stop and start, never handed to two sandboxes of a data
 * dir) with no capabilities (setpriv drops them); `root` is host uid 0 with only the
 * capabilities that installing packages needs (ROOT_CAPS; never SYS_ADMIN, SYS_PTRACE,
 * DAC_READ_SEARCH, NET_ADMIN, SYS_MODULE). Why no user namespace: bubblewrap 0.8 maps a
 * single uid, so either `user` would map to host root (and own every root file of the
 * base) or the base's root-owned files would show as unmapped `nobody`, and root inside
 * could not `dpkg -i` into /usr. The cost of real ids, and what pays for it:
 *  - root inside is host uid 0, so anything of the host it could reach it could write.
 *    It reaches nothing: a private mount tree of overlays, no /sys, a minimal /dev, and a
 *    /proc whose host-wide knobs (/proc/sys: core_pattern, modprobe …) are read-only
 *    binds (PROC_READ_ONLY) — bwrap 0.8 does NOT cover /proc/sys when run as root.
 *  - no_new_privs is always set and every sandbox mount is nosuid, so no process inside
 *    can gain privileges through a setuid file or file capabilities.
 *  - per-uid kernel counts (inotify instances and watches, RLIMIT_NPROC, pending
 *    signals, POSIX message queue bytes) and per-uid access checks (/proc/<pid>/environ,
 *    signals) are the sandbox's own for `user`. For root inside they are host root's:
 *    a setup script running as root shares uid 0's 128 inotify instances and its
 *    message-queue and pending-signal allowances with host root's daemons (keyrings,
 *    also per uid, are refused by seccomp). Only a user namespace would separate those.
 *  - the sandbox's pid, net, ipc, uts, mount and cgroup namespaces keep it from seeing
 *    or signalling any host process, whatever its uid.
 */

/** What root in a sandbox may do: own, chmod and write files, switch users, signal. */
export const ROOT_CAPS = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_SETUID',
  'CAP_SETGID',
  'CAP_KILL',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_SETFCAP',
];

/** /proc entries that act on the whole host: bound read-only over the sandbox's /proc. */
export const PROC_READ_ONLY = ['sys', 'sysrq-trigger', 'fs', 'irq', 'bus'];
/** /proc files that leak host state (keys of the root uid, timers, kernel memory): hidden. */
export const PROC_HIDDEN_FILES = [
  'keys',
  'key-users',
  'kcore',
  'kmsg',
  'timer_list',
  'sched_debug',
  'latency_stats',
  'kpagecount',
  'kpageflags',
  'kpagecgroup',
  'vmallocinfo',
];
export const PROC_HIDDEN_DIRS = ['acpi', 'scsi', 'asound', 'driver'];

/** The mounts every process of a sandbox sees: its overlay root, a fresh /proc and /dev, binds. */
export function mountArgs(
  root: string,
  procHas: (entry: string) => boolean,
  binds: readonly Bind[] = [],
): string[] {
  const args = ['--bind', root, '/'];
  for (const bind of binds) args.push('--ro-bind', bind.source, bind.target);
  args.push('--proc', '/proc');
  for (const entry of PROC_READ_ONLY) {
    if (procHas(entry)) args.push('--ro-bind', `/proc/${entry}`, `/proc/${entry}`);
  }
  for (const file of PROC_HIDDEN_FILES) {
    if (procHas(file)) args.push('--ro-bind', '/dev/null', `/proc/${file}`);
  }
  for (const dir of PROC_HIDDEN_DIRS) {
    if (procHas(dir)) args.push('--tmpfs', `/proc/${dir}`, '--remount-ro', `/proc/${dir}`);
  }
  args.push('--dev', '/dev');
  return args;
}

const HARDENING = ['--new-session', '--die-with-parent', '--cap-drop', 'ALL'];

/**
 * The sandbox's first process: creates its namespaces (pid, net with only `lo`, ipc,
 * uts, cgroup; no user namespace, see above) and then only waits, so that `exec` has
 * namespaces to enter. Writes `{"child-pid": …}` to fd 3, then "ready" to stdout.
 * `seccompFd` carries the seccomp filter (seccomp.ts) bwrap loads before the command.
 */
export function holderArgs(
  root: string,
  procHas: (entry: string) => boolean,
  seccompFd: number,
  binds: readonly Bind[] = [],
  /** Stay in the network namespace it was started in (a prepared one: gateway-netns.ts). */
  keepNet = false,
): string[] {
  return [
    ...mountArgs(root, procHas, binds),
    '--unshare-pid',
    ...(keepNet ? [] : ['--unshare-net']),
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup',
    '--hostname',
    'sandbox',
    '--clearenv',
    ...HARDENING,
    '--seccomp',
    String(seccompFd),
    '--info-fd',
    '3',
    '--',
    '/bin/sh',
    '-c',
    'echo ready; exec sleep infinity >/dev/null',
  ];
}

/** How many file descriptors `exec` hands in (namespaces), closed before the command runs. */
export const EXEC_FDS = [3, 4, 5, 6, 7, 8];

/**
 * One `exec`: bwrap run inside the holder's namespaces (entered by nsenter), joining its
 * pid namespace through fd 3; as `user`, setpriv drops to the sandbox's uid (`ids`) and
 * every capability;
 * then a shell closes the namespace fds, enters `cwd` and becomes the command. Every
 * process from setpriv on runs under the seccomp filter read from `seccompFd`.
 */
export function execArgs(
  root: string,
  procHas: (entry: string) => boolean,
  options: {
    user: 'root' | 'user';
    cwd: string;
    argv: string[];
    seccompFd: number;
    ids: UserIds;
    binds?: readonly Bind[];
  },
): string[] {
  const closeFds = EXEC_FDS.map((fd) => `${fd}<&-`).join(' ');
  const { uid, gid } = options.ids;
  // bwrap takes one capability per --cap-add.
  const caps = options.user === 'root' ? ROOT_CAPS : ['CAP_SETUID', 'CAP_SETGID'];
  const become = caps.flatMap((cap) => ['--cap-add', cap]);
  // cd after becoming the user: root without capabilities may not enter their home.
  // Loader variables get their names back only now, as the user (exec-env.ts).
  const shell = [
    '/bin/sh',
    '-c',
    `exec ${closeFds}; ${RESTORE_HELD}; cd "$0" && exec "$@"`,
    options.cwd,
  ];
  const setpriv = [
    'setpriv',
    `--reuid=${uid}`,
    `--regid=${gid}`,
    '--clear-groups',
    '--inh-caps=-all',
    '--',
  ];
  return [
    ...mountArgs(root, procHas, options.binds),
    '--pidns',
    '3',
    ...HARDENING,
    '--seccomp',
    String(options.seccompFd),
    ...become,
    '--',
    ...(options.user === 'root' ? [] : setpriv),
    ...shell,
    ...options.argv,
  ];
}

/**
 * Which /proc entries exist on this kernel (bwrap fails binding over a missing one):
 * the `procHas` the functions above take, for real sandboxes.
 */
export function hostProcHas(entry: string): boolean {
  return existsSync(join('/proc', entry));
}
