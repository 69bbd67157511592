import { closeSync, fstatSync, openSync, readFileSync, statSync } from 'node:fs';
import { ConflictError } from '../errors.js';

/**
 * A started sandbox's namespaces, as `<dir>/running.json` records them, and how they
 * are found again: by pid, then checked by inode, since a pid may be reused and a
 * namespace's inode is not while anything holds it.
 */

export type NsName = 'mnt' | 'pid' | 'net' | 'ipc' | 'uts' | 'cgroup';

/** Every namespace a sandbox has. */
export const NS_NAMES: readonly NsName[] = ['mnt', 'pid', 'net', 'ipc', 'uts', 'cgroup'];

/** What is saved in `<dir>/running.json` while started: the holder's pids and namespaces. */
export interface Running {
  /** The outer bwrap: in the private mount namespace holding the sandbox's mounts. */
  holderPid: number;
  /** The bwrap that is pid 1 of the sandbox: owns its pid, net, ipc, uts, cgroup namespaces. */
  initPid: number;
  /** Inode numbers of those namespaces, so a recycled pid is never mistaken for them. */
  ns: Record<NsName, number>;
}

/** The process whose namespace `name` is: the holder has the mounts, bwrap's child the rest. */
export function nsPid(pids: Pick<Running, 'holderPid' | 'initPid'>, name: NsName): number {
  return name === 'mnt' ? pids.holderPid : pids.initPid;
}

/** The namespaces' inode numbers, read while the holder has just started. */
export function namespaceInodes(
  pids: Pick<Running, 'holderPid' | 'initPid'>,
): Record<NsName, number> {
  return Object.fromEntries(
    NS_NAMES.map((name) => [name, statSync(`/proc/${nsPid(pids, name)}/ns/${name}`).ino]),
  ) as Record<NsName, number>;
}

/** The holder recorded in `file`, if it is alive and still the one that was recorded. */
export function readRunning(file: string): Running | undefined {
  let running: Running;
  try {
    running = JSON.parse(readFileSync(file, 'utf8')) as Running;
  } catch {
    return undefined;
  }
  for (const name of NS_NAMES) {
    try {
      if (statSync(`/proc/${nsPid(running, name)}/ns/${name}`).ino !== running.ns[name]) {
        return undefined;
      }
    } catch {
      return undefined;
    }
  }
  return running;
}

/**
 * The order an exec hands the namespaces in, from fd 3: the pid namespace for bwrap's
 * `--pidns 3`, then the ones nsenter enters (EXEC_NSENTER_ARGS).
 */
export const EXEC_NAMESPACES: readonly NsName[] = ['pid', 'mnt', 'net', 'ipc', 'uts', 'cgroup'];

/** nsenter's options for the namespaces at fds 4–8, as EXEC_NAMESPACES orders them. */
export const EXEC_NSENTER_ARGS = [
  '--mount=/proc/self/fd/4',
  '--net=/proc/self/fd/5',
  '--ipc=/proc/self/fd/6',
  '--uts=/proc/self/fd/7',
  '--cgroup=/proc/self/fd/8',
];

/**
 * Opens the namespaces by pid, in EXEC_NAMESPACES order, then checks they are the
 * recorded ones: a pid may have been reused, an open namespace file may not. The
 * caller closes the fds.
 */
export function openNamespaces(running: Running, sandboxId: string): number[] {
  const fds: number[] = [];
  try {
    for (const name of EXEC_NAMESPACES) {
      const fd = openSync(`/proc/${nsPid(running, name)}/ns/${name}`, 'r');
      fds.push(fd);
      if (fstatSync(fd).ino !== running.ns[name]) {
        throw new ConflictError(`Sandbox ${sandboxId} stopped while starting a command.`);
      }
    }
  } catch (error) {
    for (const fd of fds) closeSync(fd);
    throw error;
  }
  return fds;
}
