import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { HangarError } from '../errors.js';
import type { Limits } from './limits.js';

/**
 * Where a process's cgroups are, for the controllers a sandbox needs. On cgroup v1 each
 * controller is its own hierarchy (`cpu` and `cpuacct` are often mounted together); on
 * v2 one directory holds them all. Hybrid hosts (v2 mounted, controllers still on v1)
 * count as v1.
 */
export type CgroupLayout =
  | { version: 1; controllers: Record<V1Controller, string> }
  | { version: 2; dir: string; mount: string };

export type V1Controller = 'memory' | 'cpu' | 'cpuacct' | 'pids';
const V1_CONTROLLERS: V1Controller[] = ['memory', 'cpu', 'cpuacct', 'pids'];
const V2_CONTROLLERS = ['memory', 'cpu', 'pids'];

interface MountLine {
  root: string;
  mountPoint: string;
  fsType: string;
  superOptions: string[];
}

function parseMountinfo(text: string): MountLine[] {
  const mounts: MountLine[] = [];
  for (const line of text.split('\n')) {
    // `36 35 98:0 /root /mnt rw,noatime shared:1 - ext3 /dev/root rw,errors=continue`
    const [before, after] = line.split(' - ');
    if (before === undefined || after === undefined) continue;
    const fields = before.split(' ');
    const [fsType, , superOptions] = after.split(' ');
    const root = fields[3];
    const mountPoint = fields[4];
    if (root === undefined || mountPoint === undefined || fsType === undefined) continue;
    mounts.push({
      root: unescapeMountPath(root),
      mountPoint: unescapeMountPath(mountPoint),
      fsType,
      superOptions: (superOptions ?? '').split(','),
    });
  }
  return mounts;
}

/** mountinfo writes space, tab, newline and backslash as octal escapes (`\040`). */
function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) =>
    String.fromCharCode(parseInt(octal, 8)),
  );
}

/** The directory of our own cgroup under a hierarchy mounted at `mount` with root `root`. */
function cgroupDir(mount: MountLine, ownPath: string): string {
  const relative =
    mount.root !== '/' && (ownPath === mount.root || ownPath.startsWith(`${mount.root}/`))
      ? ownPath.slice(mount.root.length)
      : ownPath;
  return join(mount.mountPoint, relative).replace(/(.)\/+$/, '$1');
}

/**
 * Finds our cgroups from the text of `/proc/self/mountinfo` and `/proc/self/cgroup`.
 * Returns undefined when the controllers a sandbox needs are not all mounted.
 */
export function parseCgroupLayout(mountinfo: string, selfCgroup: string): CgroupLayout | undefined {
  const mounts = parseMountinfo(mountinfo);
  const ownPaths = new Map<string, string>();
  for (const line of selfCgroup.split('\n')) {
    // `4:memory:/a/b`, `1:cpu,cpuacct:/`, `0::/user.slice`
    const match = /^[0-9]+:([^:]*):(.*)$/.exec(line.trim());
    if (!match) continue;
    const [, controllers = '', path = '/'] = match;
    if (controllers === '') ownPaths.set('', path);
    for (const controller of controllers.split(',')) if (controller) ownPaths.set(controller, path);
  }

  const v1: Partial<Record<V1Controller, string>> = {};
  for (const controller of V1_CONTROLLERS) {
    const mount = mounts.find((m) => m.fsType === 'cgroup' && m.superOptions.includes(controller));
    const own = ownPaths.get(controller);
    if (mount && own !== undefined) v1[controller] = cgroupDir(mount, own);
  }
  if (v1.memory !== undefined) {
    const { memory, cpu, cpuacct, pids } = v1;
    if (cpu === undefined || cpuacct === undefined || pids === undefined) return undefined;
    return { version: 1, controllers: { memory, cpu, cpuacct, pids } };
  }

  const unified = mounts.find((m) => m.fsType === 'cgroup2');
  const own = ownPaths.get('');
  if (!unified || own === undefined) return undefined;
  return { version: 2, dir: cgroupDir(unified, own), mount: unified.mountPoint };
}

/** The cgroup layout of this process, or a clear error when cgroups are not usable. */
export function detectCgroupLayout(): CgroupLayout {
  const layout = parseCgroupLayout(
    readFileSync('/proc/self/mountinfo', 'utf8'),
    readFileSync('/proc/self/cgroup', 'utf8'),
  );
  if (!layout) {
    throw new HangarError(
      'sandbox_unavailable',
      503,
      'Cannot find the memory, cpu and pids cgroup controllers: mount cgroup v2 at ' +
        '/sys/fs/cgroup, or the v1 memory, cpu, cpuacct and pids hierarchies.',
    );
  }
  if (layout.version === 2) {
    const available = readFileSync(join(layout.mount, 'cgroup.controllers'), 'utf8').split(/\s+/);
    const missing = V2_CONTROLLERS.filter((c) => !available.includes(c));
    if (missing.length > 0) {
      throw new HangarError(
        'sandbox_unavailable',
        503,
        `cgroup v2 is missing the ${missing.join(', ')} controller(s); sandboxes need them.`,
      );
    }
  }
  return layout;
}

/** One sandbox's cgroups, by their directories; saved with the sandbox so any process can remove them. */
export interface CgroupPaths {
  version: 1 | 2;
  /** v1: one directory per hierarchy (deduplicated); v2: one directory. */
  dirs: string[];
  /** The directory holding each file a limit or a statistic lives in. */
  memory: string;
  cpu: string;
  cpuacct: string;
  pids: string;
}

/**
 * Makes the cgroups for sandbox `id` under `<our cgroup>/<group>/` and writes its limits.
 * They nest under our own cgroup so that whatever limits Hangar itself also bounds its
 * sandboxes. On v2 a cgroup with processes cannot hand controllers to children, so
 * Hangar must run in a delegated cgroup (or `parent` must name one).
 */
export function createCgroups(
  layout: CgroupLayout,
  group: string,
  id: string,
  limits: Limits,
  parent?: string,
): CgroupPaths {
  const period = 100_000;
  const quota = Math.max(1000, Math.round(limits.cpus * period));
  if (layout.version === 1) {
    const dir = (c: V1Controller) => join(parent ?? layout.controllers[c], group, id);
    const paths: CgroupPaths = {
      version: 1,
      dirs: [...new Set(V1_CONTROLLERS.map(dir))],
      memory: dir('memory'),
      cpu: dir('cpu'),
      cpuacct: dir('cpuacct'),
      pids: dir('pids'),
    };
    for (const d of paths.dirs) mkdirSync(d, { recursive: true });
    writeFileSync(join(paths.memory, 'memory.limit_in_bytes'), String(limits.memoryBytes));
    // Without a memsw limit a sandbox could page out past its limit where swap exists.
    const memsw = join(paths.memory, 'memory.memsw.limit_in_bytes');
    if (existsSync(memsw)) writeFileSync(memsw, String(limits.memoryBytes));
    writeFileSync(join(paths.cpu, 'cpu.cfs_period_us'), String(period));
    writeFileSync(join(paths.cpu, 'cpu.cfs_quota_us'), String(quota));
    writeFileSync(join(paths.pids, 'pids.max'), String(limits.pids));
    return paths;
  }

  const base = join(parent ?? layout.dir, group);
  enableControllers(parent ?? layout.dir);
  mkdirSync(base, { recursive: true });
  enableControllers(base);
  const dir = join(base, id);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'memory.max'), String(limits.memoryBytes));
  const swap = join(dir, 'memory.swap.max');
  if (existsSync(swap)) writeFileSync(swap, '0');
  writeFileSync(join(dir, 'cpu.max'), `${quota} ${period}`);
  writeFileSync(join(dir, 'pids.max'), String(limits.pids));
  return { version: 2, dirs: [dir], memory: dir, cpu: dir, cpuacct: dir, pids: dir };
}

function enableControllers(dir: string): void {
  const enabled = readFileSync(join(dir, 'cgroup.subtree_control'), 'utf8').split(/\s+/);
  const wanted = V2_CONTROLLERS.filter((c) => !enabled.includes(c));
  if (wanted.length === 0) return;
  try {
    writeFileSync(join(dir, 'cgroup.subtree_control'), wanted.map((c) => `+${c}`).join(' '));
  } catch (error) {
    throw new HangarError(
      'sandbox_unavailable',
      503,
      `Cannot delegate cgroup controllers below ${dir} (${(error as Error).message}). ` +
        'On cgroup v2 run Hangar in a cgroup of its own, e.g. `systemd-run --scope -p Delegate=yes`, ' +
        'or set HANGAR_CGROUP_PARENT to a delegated, empty cgroup directory.',
    );
  }
}

/** The files a process writes its pid to, to join the sandbox's cgroups. */
export function procsFiles(paths: CgroupPaths): string[] {
  return paths.dirs.map((d) => join(d, 'cgroup.procs'));
}

/** Resource use as the kernel counts it for the sandbox's cgroups. */
export interface CgroupUsage {
  memoryBytes: number;
  cpuSeconds: number;
  pids: number;
  oomKills: number;
}

export function readUsage(paths: CgroupPaths): CgroupUsage {
  const read = (dir: string, file: string) => {
    try {
      return readFileSync(join(dir, file), 'utf8');
    } catch {
      return '';
    }
  };
  const field = (text: string, key: string) =>
    Number(new RegExp(`^${key} ([0-9]+)$`, 'm').exec(text)?.[1] ?? 0);
  if (paths.version === 1) {
    return {
      memoryBytes: Number(read(paths.memory, 'memory.usage_in_bytes').trim() || 0),
      cpuSeconds: Number(read(paths.cpuacct, 'cpuacct.usage').trim() || 0) / 1e9,
      pids: Number(read(paths.pids, 'pids.current').trim() || 0),
      oomKills: field(read(paths.memory, 'memory.oom_control'), 'oom_kill'),
    };
  }
  return {
    memoryBytes: Number(read(paths.memory, 'memory.current').trim() || 0),
    cpuSeconds: field(read(paths.cpu, 'cpu.stat'), 'usage_usec') / 1e6,
    pids: Number(read(paths.pids, 'pids.current').trim() || 0),
    oomKills: field(read(paths.memory, 'memory.events'), 'oom_kill'),
  };
}

/** Every pid in any of the sandbox's cgroups (empty when they are gone). */
export function cgroupPids(paths: CgroupPaths): number[] {
  const pids = new Set<number>();
  for (const file of procsFiles(paths)) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) if (line.trim()) pids.add(Number(line));
  }
  return [...pids];
}

/**
 * SIGKILLs every process in the cgroups until none is left, then removes the
 * directories. Killing the sandbox's pid-namespace init already takes its processes
 * down; this catches whatever else joined the cgroups (e.g. an exec in flight).
 */
export async function removeCgroups(paths: CgroupPaths, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pids = cgroupPids(paths);
    if (paths.version === 2 && pids.length > 0 && existsSync(join(paths.pids, 'cgroup.kill'))) {
      writeFileSync(join(paths.pids, 'cgroup.kill'), '1');
    }
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    const left: string[] = [];
    for (const dir of paths.dirs) {
      try {
        rmdirSync(dir);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') left.push(dir);
      }
    }
    if (left.length === 0) return;
    if (Date.now() > deadline) {
      throw new HangarError(
        'sandbox_cleanup_failed',
        500,
        `Cgroups ${left.join(', ')} still hold processes after ${timeoutMs} ms.`,
      );
    }
    await sleep(pids.length > 0 ? 5 : 2);
  }
}
