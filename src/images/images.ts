import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { readRunning } from '../sandbox/namespaces.js';
import { readSaved, sandboxFiles } from '../sandbox/sandbox-dir.js';
import { SANDBOX_ID } from '../sandbox/spec-checks.js';

/**
 * Sandbox images: root filesystems in `<dataDir>/images/<name>/`, each a read-only base
 * layer for sandboxes. An image's files are in `builds/<id>/root`; `image.json` names the
 * current build. A rebuild adds a build and switches to it, so sandboxes made on the old
 * one keep their base; a build no sandbox uses and that is not current is removed.
 */

/** An image name: what `--image` and the API take. */
export const IMAGE_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/** What `image.json` records. */
export interface ImageInfo {
  name: string;
  /** How it was made: built from Debian packages, or imported from a container image. */
  source: 'debian' | 'import';
  /** Debian packages asked for (a `debian` image), or the tarball's file name (`import`). */
  packages: string[];
  from?: string;
  /** The current build's directory name under `builds/`. */
  build: string;
  builtAt: string;
  sizeBytes: number;
}

/** Checks an image name, naming the field it came from. */
export function checkImageName(name: string, field = 'name'): string {
  if (!IMAGE_NAME.test(name)) {
    throw new ValidationError(
      `"${name}" is not an image name: lowercase letters, digits, and . _ - (at most 63).`,
      field,
    );
  }
  return name;
}

/** Where images are kept. */
export function imagesDir(dataDir: string): string {
  return join(dataDir, 'images');
}

function imageDir(dataDir: string, name: string): string {
  return join(imagesDir(dataDir), name);
}

/** A new build directory for `name`, made empty; the builder fills `<dir>/root`. */
export function newBuildDir(dataDir: string, name: string): { id: string; dir: string } {
  const id = `${new Date().toISOString().replace(/[-:.]/g, '').slice(0, 15)}-${randomBytes(4).toString('hex')}`;
  const dir = join(imageDir(dataDir, name), 'builds', id);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  writeFileSync(join(dir, 'building'), String(process.pid));
  return { id, dir };
}

/** Makes a finished build current; older builds no sandbox uses are removed. */
export function commitBuild(dataDir: string, info: ImageInfo): void {
  const dir = imageDir(dataDir, info.name);
  rmSync(join(dir, 'builds', info.build, 'building'), { force: true });
  const tmp = join(dir, `image.json.tmp-${process.pid}`);
  writeFileSync(tmp, JSON.stringify(info, null, 2));
  // rename is atomic: a reader sees the old build or the new one.
  renameSync(tmp, join(dir, 'image.json'));
  pruneBuilds(dataDir, info.name);
}

/** The image `name`, if it is built. */
export function findImage(dataDir: string, name: string): ImageInfo | undefined {
  try {
    return JSON.parse(
      readFileSync(join(imageDir(dataDir, name), 'image.json'), 'utf8'),
    ) as ImageInfo;
  } catch {
    return undefined;
  }
}

/** The image `name`, or a 404 naming it. */
export function getImage(dataDir: string, name: string): ImageInfo {
  checkImageName(name);
  const found = findImage(dataDir, name);
  if (!found) throw new NotFoundError('image', name);
  return found;
}

/** The root filesystem of an image's current build: a sandbox's read-only base. */
export function imageRoot(dataDir: string, info: ImageInfo): string {
  return join(imageDir(dataDir, info.name), 'builds', info.build, 'root');
}

/** Every built image, by name. */
export function listImages(dataDir: string): ImageInfo[] {
  const dir = imagesDir(dataDir);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => IMAGE_NAME.test(name))
    .map((name) => findImage(dataDir, name))
    .filter((info): info is ImageInfo => info !== undefined)
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The sandboxes whose base is under `dir`, and whether each is running. */
export function sandboxesUsing(dataDir: string, dir: string): { id: string; running: boolean }[] {
  const sandboxes = join(dataDir, 'sandboxes');
  if (!existsSync(sandboxes)) return [];
  const users: { id: string; running: boolean }[] = [];
  for (const id of readdirSync(sandboxes)) {
    if (!SANDBOX_ID.test(id)) continue;
    const files = sandboxFiles(join(sandboxes, id));
    let lower: string;
    try {
      lower = readSaved(files.saved).base.lower;
    } catch {
      continue;
    }
    if (lower === dir || lower.startsWith(`${dir}/`)) {
      users.push({ id, running: readRunning(files.running) !== undefined });
    }
  }
  return users;
}

/**
 * Removes an image. Refused while a running sandbox uses it; a stopped one made on it
 * will not start again (its start says the image is gone).
 */
export function removeImage(dataDir: string, name: string): void {
  getImage(dataDir, name);
  const dir = imageDir(dataDir, name);
  const running = sandboxesUsing(dataDir, dir).filter((s) => s.running);
  if (running.length > 0) {
    throw new ConflictError(
      `Image ${name} is in use by running sandbox${running.length > 1 ? 'es' : ''} ` +
        `${running.map((s) => s.id).join(', ')}: stop ${running.length > 1 ? 'them' : 'it'} first.`,
    );
  }
  // image.json first: from here the image is not listed, even if removing its files fails.
  rmSync(join(dir, 'image.json'), { force: true });
  removeTree(dir);
}

/** Removes builds of `name` that are not current and that no sandbox uses. */
export function pruneBuilds(dataDir: string, name: string): void {
  const current = findImage(dataDir, name)?.build;
  const builds = join(imageDir(dataDir, name), 'builds');
  if (!existsSync(builds)) return;
  for (const build of readdirSync(builds)) {
    if (build === current) continue;
    const dir = join(builds, build);
    // A build under way has no image.json naming it yet: it holds a `building` marker.
    if (buildUnderWay(dir)) continue;
    if (sandboxesUsing(dataDir, dir).length === 0 && mountsUnder(dir).length === 0) {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

/** A build whose builder process is still alive (its `building` marker names the pid). */
function buildUnderWay(dir: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(join(dir, 'building'), 'utf8'));
  } catch {
    return false;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Mount points at or under `dir` (a build's chroot mounts left by a killed mmdebstrap). */
export function mountsUnder(dir: string): string[] {
  const mounts = readFileSync('/proc/mounts', 'utf8').split('\n');
  return mounts
    .map((line) => (line.split(' ')[1] ?? '').replace(/\\040/g, ' '))
    .filter((point) => point === dir || point.startsWith(`${dir}/`));
}

/** Removes a build's directory, never descending into a mount (a chroot's /proc or /sys). */
export function removeTree(dir: string): void {
  const mounted = mountsUnder(dir);
  if (mounted.length > 0) {
    throw new ConflictError(
      `Cannot remove ${dir}: ${mounted.join(', ')} ${mounted.length > 1 ? 'are' : 'is'} mounted (unmount first).`,
    );
  }
  rmSync(dir, { recursive: true, force: true });
}
