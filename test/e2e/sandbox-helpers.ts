import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { LocalDriver } from '../../src/sandbox/local-driver.js';
import type { ExecOptions, Sandbox } from '../../src/sandbox/driver.js';

/**
 * The isolation suite needs what production needs: root, bubblewrap, cgroups. It does
 * not skip when they are missing: it fails, saying what to install or how to run it.
 */
export function requireSandboxHost(): void {
  if (process.getuid?.() !== 0) {
    throw new Error(
      'The sandbox isolation suite must run as root (as .ci/run does): it mounts overlays and loop devices and writes cgroups.',
    );
  }
}

/** A driver in a fresh data dir, its cgroups in a group of their own so counts are exact. */
export function testDriver(
  options: { rootfs?: string; warmPool?: number } = {},
): LocalDriver & { cleanupGroup(): void } {
  requireSandboxHost();
  const dataDir = mkdtempSync(join(tmpdir(), 'hangar-sbx-'));
  const group = `hangar-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const driver = new LocalDriver({
    dataDir,
    cgroupGroup: group,
    rootfs: options.rootfs,
    warmPool: options.warmPool,
  });
  return Object.assign(driver, {
    cleanupGroup() {
      for (const dir of groupDirs(group)) {
        try {
          rmdirSync(dir);
        } catch {
          // Not empty (a leak the tests report) or gone.
        }
      }
    },
  });
}

export interface Output {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `argv` in the sandbox and collects its output. */
export async function run(
  box: Sandbox,
  argv: string[],
  options: Omit<ExecOptions, 'stdout' | 'stderr'> = {},
): Promise<Output> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const result = await box.exec(argv, { ...options, stdout, stderr });
  return { code: result.exitCode, stdout: out, stderr: err };
}

/** Runs `sh -c script` in the sandbox and collects its output. */
export function sh(
  box: Sandbox,
  script: string,
  options: Omit<ExecOptions, 'stdout' | 'stderr'> = {},
): Promise<Output> {
  return run(box, ['/bin/sh', '-c', script], options);
}

/** The cgroup directories a test group may leave behind, on v1 or v2. */
export function groupDirs(group: string): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number) => {
    if (depth > 4) return;
    let entries: string[];
    try {
      entries = readdirSync(dir, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name);
    } catch {
      return;
    }
    for (const name of entries) {
      if (name === group) found.push(join(dir, name));
      else walk(join(dir, name), depth + 1);
    }
  };
  walk('/sys/fs/cgroup', 0);
  return found;
}

/** Sandbox cgroups (children of the group) that exist now. */
export function sandboxCgroups(group: string): string[] {
  return groupDirs(group).flatMap((dir) =>
    readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => join(dir, e.name)),
  );
}

/**
 * Host processes that belong to a driver or a sandbox: in the cgroup `group` (a driver's
 * group, or `<group>/<id>`: every sandbox process, relay and exec joins it), or naming
 * `dataDir` in their command line or cwd.
 */
export function processesOf(dataDir: string, group: string): { pid: number; cmdline: string }[] {
  const found: { pid: number; cmdline: string }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ');
      const cgroups = readFileSync(`/proc/${name}/cgroup`, 'utf8');
      let cwd = '';
      try {
        cwd = readlinkSync(`/proc/${name}/cwd`);
      } catch {
        // Kernel thread or gone.
      }
      const inGroup = cgroups.includes(`/${group}/`) || cgroups.includes(`/${group}\n`);
      if (inGroup || cmdline.includes(dataDir) || cwd.startsWith(dataDir)) {
        found.push({ pid: Number(name), cmdline });
      }
    } catch {
      // Exited while we looked.
    }
  }
  return found;
}

/** Host mount lines that mention a data dir (overlays, the ext4 disks). */
export function mountsOf(dataDir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((line) => line.includes(dataDir));
}

/** Loop devices backed by a file in a data dir. */
export function loopsOf(dataDir: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync('/sys/block')) {
    if (!name.startsWith('loop')) continue;
    try {
      if (readFileSync(`/sys/block/${name}/loop/backing_file`, 'utf8').startsWith(dataDir)) {
        found.push(name);
      }
    } catch {
      // Not attached.
    }
  }
  return found;
}

/** Polls until `check` returns true or the time is up. */
export async function eventually(check: () => boolean, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return check();
}
