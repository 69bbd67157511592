import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  ftruncateSync,
  openSync,
  readSync,
  writeSync,
  chownSync,
  copyFileSync,
  existsSync,
  lchownSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { HangarError } from '../errors.js';
import { CHECK_TOOLS_SCRIPT } from './check-tools.js';
import { run } from './host-tools.js';
import { identityFiles, SANDBOX_USER } from './identity.js';
import { LEGACY_UID } from './uid-range.js';

/** Bumped when what a base or a disk template holds changes, so old ones are not reused. */
const FORMAT = 3;

/**
 * The read-only layers a sandbox's root is made of. Its root is an overlay over `lower`;
 * each directory in `live` (e.g. `usr`, `opt`) is a further overlay whose lower layer is
 * the host's own directory, mounted at the same place. With HANGAR_SANDBOX_ROOTFS,
 * `lower` is that directory and nothing is live.
 */
export interface Base {
  key: string;
  mode: 'host' | 'rootfs';
  lower: string;
  live: string[];
  /** Where this base's files and disk templates are kept. */
  dir: string;
}

/**
 * Top-level /etc entries a host base copies. A list of what a Debian-like system ships,
 * not "all but secrets": files an operator adds to /etc (credentials, a new config) stay
 * out of sandboxes unless named here. Within these only world-readable files are copied,
 * so keys like /etc/ssl/private/* stay out too. Accounts are generated (identity.ts).
 */
const ETC_NAMES = new Set(
  `adduser.conf alternatives apparmor apparmor.d apt bash.bashrc bash_completion
  bash_completion.d bindresvport.blacklist binfmt.d ca-certificates ca-certificates.conf
  console-setup cron.d cron.daily cron.hourly cron.monthly cron.weekly cron.yearly crontab
  dbus-1 dconf debconf.conf debian_version default deluser.conf dictionaries-common dpkg
  e2scrub.conf emacs environment.d ethertypes fonts fstab gai.conf gdb glvnd gprofng.rc
  groff gss gtk-2.0 gtk-3.0 host.conf init.d inputrc iproute2 issue issue.net kernel
  ld.so.cache ld.so.conf ld.so.conf.d ldap libaudit.conf locale.alias locale.conf
  locale.gen localtime logcheck login.defs logrotate.conf logrotate.d lsb-release magic
  magic.mime mailcap mailcap.order manpath.config maven mime.types mke2fs.conf modprobe.d
  modules modules-load.d nanorc netconfig networks opt os-release pam.conf pam.d perl pki
  polkit-1 profile profile.d protocols python3 rc0.d rc1.d rc2.d rc3.d rc4.d rc5.d rc6.d
  rcS.d rmt rpc security selinux sensors.d sensors3.conf services sgml shells skel ssh ssl
  subversion sysctl.conf sysctl.d systemd terminfo timezone tmpfiles.d ucf.conf
  update-motd.d vim wgetrc X11 xattr.conf xdg xml`.split(/\s+/),
);
/** Versioned config dirs of language runtimes, e.g. `java-17-openjdk`, `python3.11`. */
const ETC_PATTERN = /^(java|python3|php|ruby|node|llvm|gcc|ImageMagick|postgresql)[-.0-9a-z]*$/;

/** Directories of the host's /var that dpkg needs to install packages in a sandbox. */
const VAR_COPIES = [
  'lib/dpkg',
  'lib/ucf',
  'cache/debconf/config.dat',
  'cache/debconf/templates.dat',
];
const VAR_DIRS = [
  'tmp',
  'log',
  'cache/apt/archives/partial',
  'lib/apt/lists/partial',
  'lib/misc',
  'local',
  'mail',
  'opt',
  'spool',
  'backups',
];

/** Top-level names that are symlinks into /usr on merged-/usr hosts, or real dirs before. */
const USR_LINKS = ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32'];

/**
 * Finds or builds the base for sandboxes in `dataDir`. The host base is rebuilt when
 * the host's package database changes (a package installed on the host shows up in
 * new sandboxes, and dpkg inside agrees with /usr).
 */
export function prepareBase(dataDir: string, rootfs: string | undefined, fromImage = false): Base {
  const bases = join(dataDir, 'sandbox-base');
  mkdirSync(bases, { recursive: true, mode: 0o700 });
  if (rootfs !== undefined) {
    let lower: string;
    try {
      lower = realpathSync(rootfs);
      if (!statSync(join(lower, 'bin/sh')).isFile()) throw new Error('no /bin/sh');
    } catch (error) {
      throw new HangarError(
        'sandbox_unavailable',
        503,
        `${fromImage ? 'The image at ' : 'HANGAR_SANDBOX_ROOTFS='}${rootfs} is not a root filesystem with /bin/sh (${(error as Error).message}).`,
      );
    }
    const key = hash(['rootfs', FORMAT, lower]);
    const dir = join(bases, key);
    mkdirSync(dir, { recursive: true });
    return { key, mode: 'rootfs', lower, live: [], dir };
  }

  const status = statSync('/var/lib/dpkg/status', { throwIfNoEntry: false });
  const live = ['usr', 'opt', ...USR_LINKS].filter((name) => {
    const stat = lstatSync(join('/', name), { throwIfNoEntry: false });
    return stat?.isDirectory() === true;
  });
  const key = hash(['host', FORMAT, status?.mtimeMs ?? 0, status?.size ?? 0, live]);
  const dir = join(bases, key);
  const lower = join(dir, 'root');
  if (!existsSync(lower)) buildHostRoot(dir, live);
  return { key, mode: 'host', lower, live, dir };
}

function hash(parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
}

/** Builds `<dir>/root` in a temporary directory and renames it into place (racing builders are fine). */
function buildHostRoot(dir: string, live: string[]): void {
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `root.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  const dirs: [string, number][] = [
    ['usr', 0o755],
    ['opt', 0o755],
    ['home', 0o755],
    ['root', 0o700],
    ['tmp', 0o1777],
    ['run', 0o755],
    ['run/lock', 0o1777],
    ['mnt', 0o755],
    ['srv', 0o755],
    ['media', 0o755],
    ['proc', 0o555],
    ['dev', 0o755],
    ['sys', 0o555],
    ['etc', 0o755],
    ['var', 0o755],
  ];
  for (const [path, mode] of dirs) {
    mkdirSync(join(tmp, path), { recursive: true });
    chmodSync(join(tmp, path), mode);
  }
  for (const name of USR_LINKS) {
    const host = join('/', name);
    const stat = lstatSync(host, { throwIfNoEntry: false });
    if (stat?.isSymbolicLink()) symlinkSync(readlinkSync(host), join(tmp, name));
    else if (live.includes(name)) mkdirSync(join(tmp, name));
  }

  for (const name of readdirSync('/etc')) {
    if (ETC_NAMES.has(name) || ETC_PATTERN.test(name)) {
      copyWorldReadable(join('/etc', name), join(tmp, 'etc', name));
    }
  }
  symlinkSync('../proc/self/mounts', join(tmp, 'etc/mtab'));

  for (const path of VAR_DIRS) mkdirSync(join(tmp, 'var', path), { recursive: true });
  chmodSync(join(tmp, 'var/tmp'), 0o1777);
  for (const path of VAR_COPIES) {
    const source = join('/var', path);
    if (existsSync(source)) {
      mkdirSync(join(tmp, 'var', path, '..'), { recursive: true });
      copyWorldReadable(source, join(tmp, 'var', path));
    }
  }
  symlinkSync('/run', join(tmp, 'var/run'));
  symlinkSync('/run/lock', join(tmp, 'var/lock'));

  try {
    renameSync(tmp, join(dir, 'root'));
  } catch (error) {
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(join(dir, 'root'))) throw error;
  }
}

/** Copies a tree keeping modes, owners, times and symlinks; skips what others may not read. */
function copyWorldReadable(source: string, target: string): void {
  const stat = lstatSync(source);
  if (stat.isSymbolicLink()) {
    symlinkSync(readlinkSync(source), target);
    lchownSync(target, stat.uid, stat.gid);
    return;
  }
  if (stat.isDirectory()) {
    if ((stat.mode & 0o005) !== 0o005) return;
    mkdirSync(target);
    for (const name of readdirSync(source))
      copyWorldReadable(join(source, name), join(target, name));
  } else if (stat.isFile()) {
    if ((stat.mode & 0o004) === 0) return;
    copyFileSync(source, target);
  } else {
    return;
  }
  chownSync(target, stat.uid, stat.gid);
  chmodSync(target, stat.mode & 0o7777);
  utimesSync(target, stat.atime, stat.mtime);
}

/**
 * A freshly formatted, sparse ext4 image of `sizeBytes` holding a new sandbox's
 * writable layers: `upper/<layer>` and `work/<layer>` for the root and each live
 * directory, the accounts, `/home/user`, and check-tools. Built once per base and
 * size (mkfs takes ~25 ms); each sandbox gets a sparse copy of it (writeDisk).
 */
export async function diskTemplate(
  base: Base,
  sizeBytes: number,
  tools: { mkfs: string; filefrag: string },
): Promise<DiskTemplate> {
  const image = join(base.dir, `disk-${FORMAT}-${sizeBytes}.img`);
  const extentsFile = `${image}.extents.json`;
  if (existsSync(image) && existsSync(extentsFile)) {
    return { image, sizeBytes, extents: JSON.parse(readFileSync(extentsFile, 'utf8')) as Extent[] };
  }

  const stamp = `${process.pid}-${randomBytes(6).toString('hex')}`;
  const tree = join(base.dir, `tree.tmp-${stamp}`);
  const tmpImage = join(base.dir, `disk.tmp-${stamp}.img`);
  try {
    const layers = ['root', ...base.live];
    for (const layer of layers) {
      mkdirSync(join(tree, 'upper', layer), { recursive: true });
      mkdirSync(join(tree, 'work', layer), { recursive: true });
    }
    const root = join(tree, 'upper/root');
    const etc = join(root, 'etc');
    mkdirSync(etc, { mode: 0o755 });
    // `user` has the template's ids here; a sandbox's first start gives it its own
    // (its passwd and group lines, and the owner of /home/user: see LocalDriver).
    const { passwd, group } = baseAccounts(base);
    const ids = { uid: LEGACY_UID, gid: LEGACY_UID };
    for (const [path, text] of Object.entries(identityFiles(passwd, group, ids))) {
      writeFileSync(join(root, path), text, { mode: path.endsWith('shadow') ? 0o640 : 0o644 });
    }
    mkdirSync(join(root, 'home'), { mode: 0o755 });
    mkdirSync(join(root, SANDBOX_USER.home), { mode: 0o750 });
    chownSync(join(root, SANDBOX_USER.home), ids.uid, ids.gid);
    const usr = base.live.includes('usr') ? join(tree, 'upper/usr') : join(root, 'usr');
    mkdirSync(join(usr, 'local/bin'), { recursive: true, mode: 0o755 });
    writeFileSync(join(usr, 'local/bin/check-tools'), CHECK_TOOLS_SCRIPT, { mode: 0o755 });
    // An upper directory's mode and owner win over the lower's: match the lower's.
    for (const [upper, lowerPath] of [
      [join(tree, 'upper'), undefined],
      [root, base.lower],
      [etc, join(base.lower, 'etc')],
      [join(root, 'home'), join(base.lower, 'home')],
      [usr, base.live.includes('usr') ? '/usr' : join(base.lower, 'usr')],
      [
        join(usr, 'local'),
        base.live.includes('usr') ? '/usr/local' : join(base.lower, 'usr/local'),
      ],
      [
        join(usr, 'local/bin'),
        base.live.includes('usr') ? '/usr/local/bin' : join(base.lower, 'usr/local/bin'),
      ],
    ] as const) {
      const stat =
        lowerPath === undefined ? undefined : statSync(lowerPath, { throwIfNoEntry: false });
      if (stat) {
        chownSync(upper, stat.uid, stat.gid);
        chmodSync(upper, stat.mode & 0o7777);
      }
    }
    // `/` itself is root's and open to all, whatever mode the rootfs directory has.
    chownSync(root, 0, 0);
    chmodSync(root, 0o755);
    writeFileSync(tmpImage, '');
    await run(tools.mkfs, [
      '-q',
      '-F',
      '-m',
      '0',
      '-L',
      'hangar',
      // Sparse image: the inode tables and journal are zeros already; do not write them.
      '-E',
      'lazy_itable_init=1,lazy_journal_init=1,nodiscard,root_owner=0:0',
      '-d',
      tree,
      tmpImage,
      `${Math.floor(sizeBytes / 1024)}k`,
    ]);
    const extents = parseFilefrag(await run(tools.filefrag, ['-e', tmpImage]));
    writeFileSync(`${extentsFile}.tmp-${stamp}`, JSON.stringify(extents));
    renameSync(`${extentsFile}.tmp-${stamp}`, extentsFile);
    renameSync(tmpImage, image);
    return { image, sizeBytes, extents };
  } finally {
    rmSync(tree, { recursive: true, force: true });
    rmSync(tmpImage, { force: true });
  }
}

/** The passwd and group files a base's accounts are made from (identity.ts). */
export function baseAccounts(base: Base): { passwd: string; group: string } {
  // A host base copies no accounts; they are made from the host's system accounts.
  const etc = base.mode === 'host' ? '/etc' : join(base.lower, 'etc');
  return {
    passwd: readFileSync(join(etc, 'passwd'), 'utf8'),
    group: readFileSync(join(etc, 'group'), 'utf8'),
  };
}

/** A byte range of an image that holds data; the rest are holes. */
export type Extent = [offset: number, length: number];

export interface DiskTemplate {
  image: string;
  sizeBytes: number;
  extents: Extent[];
}

/** The data ranges of a file from `filefrag -e` (FIEMAP); unwritten extents read as zeros. */
export function parseFilefrag(text: string): Extent[] {
  const blockSize = Number(/blocks of ([0-9]+) bytes/.exec(text)?.[1] ?? NaN);
  if (!Number.isInteger(blockSize)) throw new Error(`filefrag said: ${text.trim()}`);
  const extents: Extent[] = [];
  for (const line of text.split('\n')) {
    const match = /^\s*[0-9]+:\s+([0-9]+)\.\.\s*([0-9]+):/.exec(line);
    if (!match || line.includes('unwritten')) continue;
    const first = Number(match[1]);
    const last = Number(match[2]);
    extents.push([first * blockSize, (last - first + 1) * blockSize]);
  }
  return extents;
}

/**
 * Writes a sandbox's disk: a sparse file of the template's size holding only the
 * template's data ranges (a few MB for any size), so no hole is ever filled in. In
 * process: faster than spawning `cp --sparse=always`, and it never depends on SEEK_HOLE.
 */
export function writeDisk(template: DiskTemplate, data: Buffer[], target: string): void {
  const fd = openSync(target, 'wx', 0o600);
  try {
    ftruncateSync(fd, template.sizeBytes);
    template.extents.forEach(([offset], i) => {
      const chunk = data[i];
      if (chunk) writeSync(fd, chunk, 0, chunk.length, offset);
    });
  } finally {
    closeSync(fd);
  }
}

/** The template's data ranges, read once and kept for every disk made from it. */
export function readExtents(template: DiskTemplate): Buffer[] {
  const fd = openSync(template.image, 'r');
  try {
    return template.extents.map(([offset, length]) => {
      const chunk = Buffer.alloc(length);
      readSync(fd, chunk, 0, length, offset);
      return chunk;
    });
  } finally {
    closeSync(fd);
  }
}
