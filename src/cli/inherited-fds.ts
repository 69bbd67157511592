import { closeSync, readdirSync, readFileSync } from 'node:fs';

// fcntl.h's O_CLOEXEC as /proc/<pid>/fdinfo prints flags: octal.
const O_CLOEXEC = 0o2000000;

/**
 * Closes the descriptors this process inherited without close-on-exec (all but 0–2 and
 * Node's own IPC channel). Whatever started `hangar` may leave some open; each would be
 * inherited by every process Hangar spawns, sandboxed commands included, which could
 * then write into the starter's pipes. Node's and libuv's own descriptors are all
 * close-on-exec, so nothing of this process's is touched. Linux only; elsewhere a no-op.
 */
export function closeInheritedFds(env: NodeJS.ProcessEnv = process.env): number[] {
  let names: string[];
  try {
    names = readdirSync('/proc/self/fdinfo');
  } catch {
    return [];
  }
  const keep = new Set([0, 1, 2, Number(env.NODE_CHANNEL_FD ?? -1)]);
  const closed: number[] = [];
  for (const name of names) {
    const fd = Number(name);
    if (keep.has(fd)) continue;
    let flags: number;
    try {
      const line = /^flags:\s*([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
      if (!line?.[1]) continue;
      flags = parseInt(line[1], 8);
    } catch {
      continue; // Closed meanwhile (the directory's own descriptor, for one).
    }
    if (flags & O_CLOEXEC) continue;
    try {
      closeSync(fd);
      closed.push(fd);
    } catch {
      // Already gone.
    }
  }
  return closed;
}
