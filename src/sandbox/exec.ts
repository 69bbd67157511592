import { spawn } from 'node:child_process';
import { closeSync, readFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { execArgs, hostProcHas } from './bwrap-args.js';
import { viaArgsFd, writeArgsFd, writeFd } from './bwrap-pipes.js';
import { procsFiles, type CgroupPaths } from './cgroups.js';
import type { Bind, ExecOptions, ExecResult } from './driver.js';
import { commandEnv, envArgs, HOST_ENV } from './exec-env.js';
import { SANDBOX_USER, type UserIds } from './identity.js';
import { EXEC_NSENTER_ARGS, openNamespaces, type Running } from './namespaces.js';

/**
 * One command in a started sandbox: a host chain of `sh` (joins the sandbox's cgroups),
 * `nsenter` (its mount, net, ipc, uts and cgroup namespaces) and bwrap (its pid
 * namespace, mounts, capabilities and seccomp filter: bwrap-args.ts), all with Hangar's
 * fixed environment; the command's own arrives over bwrap's args fd.
 */

/** A started sandbox, as an exec needs it. */
export interface ExecTarget {
  id: string;
  running: Running;
  /** The sandbox's overlay root, in the holder's mount namespace. */
  root: string;
  /** The binds as bwrap takes them (sandbox-dir.ts bindViews). */
  binds: readonly Bind[];
  cgroups: CgroupPaths;
  ids: UserIds;
  gateway: string | undefined;
  /** The sandbox's own variables (the spec's `env`). */
  env: Readonly<Record<string, string>>;
  tools: { sh: string; nsenter: string; bwrap: string };
  seccomp: Buffer;
}

/** Joins the cgroups named before `--`, then becomes the rest. */
const JOIN_CGROUPS =
  'for f in "$@"; do shift; [ "$f" = -- ] && break; echo $$ > "$f"; done; exec "$@"';

/**
 * The host command of an exec. fd 3 = pid ns (bwrap --pidns 3), 4–8 = mnt, net, ipc,
 * uts, cgroup for nsenter (namespaces.ts), 9 = bwrap's options, 10 = the seccomp filter.
 */
export function execCommand(
  tools: ExecTarget['tools'],
  cgroupProcs: readonly string[],
  bwrapArgs: readonly string[],
): string[] {
  return [
    '-c',
    JOIN_CGROUPS,
    'sh',
    ...cgroupProcs,
    '--',
    tools.nsenter,
    ...EXEC_NSENTER_ARGS,
    '--',
    tools.bwrap,
    ...viaArgsFd(bwrapArgs, 9),
  ];
}

/**
 * Runs argv (not empty) in the sandbox, streaming output, resolving with the exit code.
 * Throws if the variables are not ones a command can take, or the sandbox stopped.
 */
export function execIn(
  target: ExecTarget,
  argv: string[],
  options: ExecOptions = {},
): Promise<ExecResult> {
  const user = options.user ?? 'user';
  const home = user === 'root' ? '/root' : SANDBOX_USER.home;
  const bwrapEnv = envArgs(
    commandEnv({
      user,
      sandboxId: target.id,
      gateway: target.gateway,
      sandboxEnv: target.env,
      execEnv: options.env,
    }),
  );
  const fds = openNamespaces(target.running, target.id);
  const bwrapArgs = execArgs(target.root, hostProcHas, {
    user,
    cwd: options.cwd ?? home,
    argv,
    seccompFd: 10,
    ids: target.ids,
    binds: target.binds,
  });
  const child = spawn(
    target.tools.sh,
    execCommand(target.tools, procsFiles(target.cgroups), bwrapArgs),
    // The host chain (sh, nsenter, bwrap: root) runs with Hangar's env, never the user's.
    { stdio: ['pipe', 'pipe', 'pipe', ...fds, 'pipe', 'pipe'], env: { ...HOST_ENV }, cwd: '/' },
  );
  for (const fd of fds) closeSync(fd);
  writeArgsFd(child, 9, bwrapArgs, bwrapEnv);
  writeFd(child, 10, target.seccomp);

  const { stdin, stdout, stderr } = child;
  if (!stdin || !stdout || !stderr) throw new Error('spawn gave no stdio pipes');
  // Closing our ends too: a process the command started (or any process in the sandbox
  // that opened /proc/<pid>/fd/1) may still hold the pipes, and the host must stop
  // reading now — not when that process chooses to exit.
  const onAbort = () => {
    // Only while Node has not reaped the chain: once it has, its pid is free for any new
    // process (pid_max may be 32768), and the "children" read through it would be another
    // sandbox's command, killed in its place. A chain that ended left no group to kill.
    if (child.exitCode === null && child.signalCode === null) killCommandGroup(child.pid);
    child.kill('SIGKILL');
    stdout.destroy();
    stderr.destroy();
  };
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.stdout) stdout.pipe(options.stdout, { end: false });
  else stdout.resume();
  if (options.stderr) stderr.pipe(options.stderr, { end: false });
  else stderr.resume();
  stdin.on('error', () => undefined); // The command may exit without reading it.
  if (options.stdin === undefined) stdin.end();
  else if (typeof options.stdin === 'string' || Buffer.isBuffer(options.stdin))
    stdin.end(options.stdin);
  else options.stdin.pipe(stdin);

  return new Promise<ExecResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      options.signal?.removeEventListener('abort', onAbort);
      resolve(exitResult(code, signal));
    });
  });
}

/**
 * An exec's result from how its host chain ended. A signal that killed the chain is
 * 128 + its number; a shell's exit code above 128 names the signal that killed the
 * command inside.
 */
export function exitResult(code: number | null, signal: NodeJS.Signals | null): ExecResult {
  if (signal !== null) return { exitCode: 128 + osConstants.signals[signal], signal };
  const exitCode = code ?? 1;
  return { exitCode, signal: exitCode > 128 ? signalName(exitCode - 128) : null };
}

function signalName(n: number): NodeJS.Signals | null {
  const entry = Object.entries(osConstants.signals).find(([, value]) => value === n);
  return entry ? (entry[0] as NodeJS.Signals) : null;
}

/**
 * Kills the process group of an exec's command: the child of its bwrap (`bwrapPid`),
 * which bwrap's --new-session made a group leader. Killing bwrap alone is not enough:
 * the parent-death signal it arms is not delivered to a command that runs as the
 * sandbox's user, because bwrap keeps no CAP_KILL to signal another uid with.
 */
function killCommandGroup(bwrapPid: number | undefined): void {
  if (bwrapPid === undefined) return;
  let children: string[];
  try {
    children = readFileSync(`/proc/${bwrapPid}/task/${bwrapPid}/children`, 'utf8')
      .trim()
      .split(' ');
  } catch {
    return; // Gone already.
  }
  for (const pid of children.map(Number).filter((n) => Number.isInteger(n) && n > 1)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Exited meanwhile.
    }
  }
}
