import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  lstatSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HangarError } from '../errors.js';
import { CHECK_TOOLS_SCRIPT } from './check-tools.js';
import { DockerApiError, type DockerApi } from './docker-api.js';
import { HOST_ENV } from './exec-env.js';
import { identityFiles, SANDBOX_USER, type UserIds } from './identity.js';

/** The repository Hangar's imported root filesystems are tagged in, `<repo>:<key>`. */
export const IMAGE_REPO = 'hangar-sandbox-rootfs';

/** The uid and gid of `user` in every Docker sandbox. */
export const DOCKER_USER: UserIds = { uid: 1000, gid: 1000 };

/** Bumped when what an imported image holds beyond the root filesystem changes. */
const FORMAT = 1;

/** Files added over the root filesystem, relative to it, in the order tar takes them. */
const ADDED = [
  'etc/passwd',
  'etc/group',
  'etc/shadow',
  'etc/gshadow',
  'etc/nsswitch.conf',
  'home/user',
  'usr/local/bin/check-tools',
];

/**
 * The tag of the Docker image for a root filesystem, by its content as far as it is
 * cheap to read: its packages (dpkg's status), accounts and release, the names and
 * times of its top-level and /etc entries, and what this file adds. An image is then
 * imported once however many copies of its build there are (tests hard-link them),
 * and a changed one gets a new tag.
 */
export function imageTag(rootfs: string): string {
  const root = realpathSync(rootfs);
  const listing = (dir: string) =>
    readdirSync(dir)
      .sort()
      .map((name) => {
        const stat = lstatSync(join(dir, name));
        return [name, stat.mode, stat.size, Math.floor(stat.mtimeMs)];
      });
  const key = createHash('sha256')
    .update(
      JSON.stringify([
        FORMAT,
        CHECK_TOOLS_SCRIPT,
        listing(root),
        listing(join(root, 'etc')),
        ...['var/lib/dpkg/status', 'etc/passwd', 'etc/group', 'etc/os-release'].map((path) =>
          readText(join(root, path)),
        ),
      ]),
    )
    .digest('hex')
    .slice(0, 24);
  return `${IMAGE_REPO}:${key}`;
}

/**
 * Imports `rootfs` as the Docker image `tag` unless the engine has it: the root
 * filesystem with Hangar's accounts (`user` is uid 1000, home /home/user), and
 * check-tools, as one `docker import` layer streamed from tar.
 */
export async function importRootfs(api: DockerApi, rootfs: string, tag: string): Promise<void> {
  if (await hasImage(api, tag)) return;
  const root = realpathSync(rootfs);
  const stage = mkdtempSync(join(tmpdir(), 'hangar-docker-image-'));
  try {
    stageAdded(root, stage);
    const tar = spawn(
      'tar',
      // The root filesystem without the paths added, then those (the engine refuses a
      // path twice), named from the stage's `added/` as if at the root.
      [
        '--numeric-owner',
        '--xattrs',
        '-c',
        '--anchored',
        ...ADDED.map((path) => `--exclude=./${path}`),
        '--transform=s,^added/,,',
        '-C',
        root,
        '.',
        '-C',
        stage,
        '--no-recursion',
        ...ADDED.map((path) => `added/${path}`),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...HOST_ENV } },
    );
    let stderr = '';
    tar.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 4096) stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => tar.once('close', resolve));
    const [repo, version] = tag.split(':');
    const answer = await api.upload(
      `/images/create?fromSrc=-&repo=${encodeURIComponent(repo ?? '')}&tag=${encodeURIComponent(version ?? '')}`,
      tar.stdout,
    );
    const code = await exited;
    // The engine answers 200 and puts a failure in the progress stream.
    const failed = /"error(Detail)?"\s*:/.test(answer);
    if (code !== 0 || failed) {
      throw new HangarError(
        'sandbox_image_import_failed',
        500,
        `Importing ${rootfs} into Docker failed: ${failed ? answer.trim().slice(0, 500) : stderr.trim() || `tar exited ${code}`}.`,
      );
    }
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

async function hasImage(api: DockerApi, tag: string): Promise<boolean> {
  try {
    await api.call('GET', `/images/${encodeURIComponent(tag)}/json`);
    return true;
  } catch (error) {
    if (error instanceof DockerApiError && error.engineStatus === 404) return false;
    throw error;
  }
}

/** Writes the files ADDED names into `stage`, with the modes and owners the sandbox needs. */
function stageAdded(root: string, staging: string): void {
  const stage = join(staging, 'added');
  const files = identityFiles(
    readText(join(root, 'etc/passwd')),
    readText(join(root, 'etc/group')),
    DOCKER_USER,
  );
  mkdirSync(join(stage, 'etc'), { recursive: true });
  for (const path of ADDED.filter((p) => p.startsWith('etc/'))) {
    writeFileSync(join(stage, path), files[path] ?? '', {
      mode: path.endsWith('shadow') ? 0o640 : 0o644,
    });
  }
  const shadowGroup = /^shadow:x:([0-9]+):/m.exec(files['etc/group'] ?? '')?.[1];
  for (const path of ['etc/shadow', 'etc/gshadow']) {
    chownSync(join(stage, path), 0, Number(shadowGroup ?? 0));
  }
  mkdirSync(join(stage, SANDBOX_USER.home), { recursive: true });
  chmodSync(join(stage, SANDBOX_USER.home), 0o750);
  chownSync(join(stage, SANDBOX_USER.home), DOCKER_USER.uid, DOCKER_USER.gid);
  mkdirSync(join(stage, 'usr/local/bin'), { recursive: true });
  writeFileSync(join(stage, 'usr/local/bin/check-tools'), CHECK_TOOLS_SCRIPT, { mode: 0o755 });
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
