import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { HangarError, ValidationError } from '../errors.js';
import { run } from '../sandbox/host-tools.js';
import {
  checkImageName,
  commitBuild,
  imagesDir,
  removeTree,
  mountsUnder,
  newBuildDir,
  type ImageInfo,
} from './images.js';

/**
 * Building an image from Debian packages with mmdebstrap: the host's own apt sources
 * (its suite and mirror), so an image is made from what the host's apt reaches.
 */

/** What the built-in images hold. Any other name starts from `minimal`. */
export const DEFINITIONS: Record<string, { about: string; packages: string[] }> = {
  minimal: {
    about: 'Debian with apt, git, ps and CA certificates: set up everything else yourself',
    packages: ['ca-certificates', 'git', 'procps'],
  },
  universal: {
    about: 'the toolchains agents expect, as far as Debian packages them',
    packages: [
      // Python
      'python3',
      'python3-pip',
      'python3-venv',
      'python3-poetry',
      'pipx',
      'python3-pytest',
      'black',
      'mypy',
      // Node.js
      'nodejs',
      'npm',
      'yarnpkg',
      // Ruby, PHP, Java, Go, Rust
      'ruby-full',
      'ruby-bundler',
      'php-cli',
      'composer',
      'default-jdk-headless',
      'maven',
      'gradle',
      'golang-go',
      'rustc',
      'cargo',
      // C/C++
      'build-essential',
      'cmake',
      'ninja-build',
      'clang',
      // Databases
      'postgresql',
      'redis-server',
      'sqlite3',
      // Utilities
      'ca-certificates',
      'git',
      'ripgrep',
      'jq',
      'curl',
      'wget',
      'unzip',
      'zip',
      'procps',
      'less',
      'vim-tiny',
      'nano',
      'tmux',
    ],
  },
};

/** The default image: the one environments use once it is built. */
export const DEFAULT_IMAGE = 'universal';

/** A Debian package name (Debian Policy 5.6.7). */
const PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]+$/;

/** The packages an image named `name` is built with, plus `extra`. */
export function imagePackages(name: string, extra: readonly string[] = []): string[] {
  const base = (DEFINITIONS[name] ?? DEFINITIONS.minimal)?.packages ?? [];
  for (const [i, pkg] of extra.entries()) {
    if (!PACKAGE_NAME.test(pkg)) {
      throw new ValidationError(`"${pkg}" is not a Debian package name.`, `packages[${i}]`);
    }
  }
  return [...new Set([...base, ...extra])];
}

/** The host's apt sources files, given to mmdebstrap as its mirrors. */
export function hostAptSources(etc = '/etc/apt'): string[] {
  const files = existsSync(join(etc, 'sources.list')) ? [join(etc, 'sources.list')] : [];
  const dir = join(etc, 'sources.list.d');
  if (existsSync(dir)) {
    for (const name of readdirSync(dir).sort()) {
      if (name.endsWith('.list') || name.endsWith('.sources')) files.push(join(dir, name));
    }
  }
  const withEntries = files.filter((file) => /^\s*(deb|Types:)/m.test(readFileSync(file, 'utf8')));
  if (withEntries.length === 0) {
    throw new HangarError(
      'image_build_failed',
      500,
      `The host has no apt sources in ${etc}: an image is built from the host's apt sources.`,
    );
  }
  return withEntries;
}

/** The host's Debian release code name (e.g. bookworm), the suite an image is built from. */
export function hostSuite(osRelease = '/etc/os-release'): string {
  const text = existsSync(osRelease) ? readFileSync(osRelease, 'utf8') : '';
  const codename = /^VERSION_CODENAME=("?)([a-z]+)\1$/m.exec(text)?.[2];
  if (!codename) {
    throw new HangarError(
      'image_build_failed',
      500,
      `Cannot tell the host's Debian release from ${osRelease} (no VERSION_CODENAME).`,
    );
  }
  return codename;
}

export interface BuildOptions {
  dataDir: string;
  name: string;
  packages?: readonly string[];
  /** Each line mmdebstrap prints as it works. */
  onProgress?: (line: string) => void;
  signal?: AbortSignal;
}

/**
 * Builds the image `name` with mmdebstrap into a new build directory and makes it
 * current. A failed build (a package apt does not know, a full disk) leaves nothing:
 * its error carries apt's own lines.
 */
export async function buildImage(options: BuildOptions): Promise<ImageInfo> {
  const name = checkImageName(options.name);
  const packages = imagePackages(name, options.packages);
  const mmdebstrap = findMmdebstrap();
  const sources = hostAptSources();
  const suite = hostSuite();
  const { id, dir } = newBuildDir(options.dataDir, name);
  const root = join(dir, 'root');
  try {
    await runMmdebstrap(
      mmdebstrap,
      [
        '--variant=apt',
        // A build that fails is thrown away whole: no need for dpkg's fsyncs.
        '--dpkgopt=force-unsafe-io',
        `--include=${packages.join(',')}`,
        ...debCacheArgs(join(imagesDir(options.dataDir), '.deb-cache')),
        suite,
        root,
        ...sources,
      ],
      options,
    );
    if (mountsUnder(root).length > 0) {
      throw new HangarError('image_build_failed', 500, `mmdebstrap left mounts in ${root}.`);
    }
    finishRoot(root);
    const info: ImageInfo = {
      name,
      source: 'debian',
      packages,
      build: id,
      builtAt: new Date().toISOString(),
      sizeBytes: await duBytes(root),
    };
    commitBuild(options.dataDir, info);
    return info;
  } catch (error) {
    removeTree(dir);
    throw error;
  }
}

function findMmdebstrap(): string {
  const found = ['/usr/local/bin', '/usr/bin', '/usr/sbin']
    .map((dir) => join(dir, 'mmdebstrap'))
    .find((path) => existsSync(path));
  if (found) return found;
  {
    throw new HangarError(
      'image_build_failed',
      503,
      'Building an image needs mmdebstrap: install it (apt-get install mmdebstrap).',
    );
  }
}

/**
 * What an image must not carry from the host that built it: its name and resolver
 * (mmdebstrap copies both in). A sandbox reaches the network through its gateway only.
 */
export function finishRoot(root: string): void {
  rmSync(join(root, 'etc/resolv.conf'), { force: true });
  writeFileSync(join(root, 'etc/hostname'), 'sandbox\n');
  if (!existsSync(join(root, 'bin/sh'))) {
    throw new HangarError('image_build_failed', 500, 'The built image has no /bin/sh.');
  }
}

/** Runs mmdebstrap, handing each line it prints to onProgress; fails with apt's errors. */
function runMmdebstrap(command: string, args: string[], options: BuildOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    // In a mount namespace of its own: the /proc, /sys and /dev mmdebstrap mounts in the
    // new root go with it, even when it is killed, and never stay on the host.
    const isolated = ['--mount', '--propagation', 'private', '--fork', '--kill-child'];
    let failed: Error | undefined;
    // A group of its own, so a stop kills mmdebstrap and what it runs (apt, dpkg) at once.
    const child = spawn('unshare', [...isolated, '--', command, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C.UTF-8' },
      detached: true,
    });
    const stop = () => {
      failed ??= new HangarError('image_build_failed', 422, 'The image build was stopped.');
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Gone already: its close follows.
      }
    };
    if (options.signal?.aborted) stop();
    else options.signal?.addEventListener('abort', stop, { once: true });
    const errors: string[] = [];
    const last: string[] = [];
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        if (/^(E|W): /.test(line) && errors.length < 20) errors.push(line);
        last.push(line);
        if (last.length > 10) last.shift();
        options.onProgress?.(line);
      });
    }
    child.on('error', reject);
    // A stopped build ends once mmdebstrap and what it ran have let go of their output:
    // its half-made root is removed after them, not while they write.
    child.on('close', (code, signal) => {
      options.signal?.removeEventListener('abort', stop);
      if (failed !== undefined) {
        reject(failed);
        return;
      }
      if (code === 0) {
        resolve();
        return;
      }
      const said = (errors.length > 0 ? errors : last).join('\n');
      reject(
        new HangarError(
          'image_build_failed',
          422,
          `Building the image failed (mmdebstrap ${signal ?? `exit ${code}`}):\n${said}`,
        ),
      );
    });
  });
}

/** The bytes a directory tree holds on disk. */
export async function duBytes(dir: string): Promise<number> {
  const out = await run('du', ['-sb', dir]);
  return Number(out.split('\t')[0]) || 0;
}

/**
 * mmdebstrap's hooks that keep the downloaded packages in `cache` (mmdebstrap's own
 * recipe, "sync-in"/"sync-out"): the next build downloads only what changed.
 */
function debCacheArgs(cache: string): string[] {
  mkdirSync(cache, { recursive: true, mode: 0o755 });
  return [
    '--skip=essential/unlink',
    '--setup-hook=mkdir -p "$1"/var/cache/apt/archives/',
    `--setup-hook=sync-in ${cache} /var/cache/apt/archives/`,
    `--customize-hook=sync-out /var/cache/apt/archives ${cache}`,
  ];
}
