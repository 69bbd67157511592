import {
  chmodSync,
  closeSync,
  lchownSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeSync,
} from 'node:fs';
import { join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { ValidationError } from '../errors.js';
import { readTar, type TarEntry } from './tar.js';

/**
 * Applying a container image layer to a directory, as the OCI image spec's "Applying
 * Changesets" says (whiteouts `.wh.NAME`, opaque `.wh..wh..opq`), without ever leaving
 * it: an entry's path is made relative and normalized (no `..`, no leading `/`), and
 * every directory on the way to it must be a real directory of the tree, never a
 * symlink, so an earlier layer's `etc -> /etc` cannot route a later write to the host.
 * Symlinks are written as they are (their targets resolve inside the sandbox only).
 */

const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';

/** A member's path as parts under the root; refuses `..` and empty names. */
export function safeParts(path: string, field: string): string[] {
  const normalized = posix.normalize(`/${path}`).slice(1).replace(/\/+$/, '');
  const parts = normalized === '' ? [] : normalized.split('/');
  if (path.split('/').includes('..') || parts.some((p) => p === '..')) {
    throw new ValidationError(`${field}: "${path}" points outside the image (..).`, field);
  }
  return parts;
}

/**
 * The host path of `parts` under `root`, checking that each directory on the way is a
 * real directory (made if missing), so nothing is written through a symlink.
 */
export function parentInside(root: string, parts: string[], field: string): string {
  let dir = root;
  for (const part of parts.slice(0, -1)) {
    dir = join(dir, part);
    const stat = lstatSync(dir, { throwIfNoEntry: false });
    if (!stat) {
      mkdirSync(dir, { mode: 0o755 });
      continue;
    }
    if (!stat.isDirectory()) {
      throw new ValidationError(
        `${field}: "${parts.join('/')}" goes through ${dir.slice(root.length + 1)}, which is not a directory (a symlink?).`,
        field,
      );
    }
  }
  return dir;
}

/** Applies one layer (an uncompressed tar stream) to `root`. */
export async function applyLayer(root: string, stream: Readable, field: string): Promise<void> {
  // Paths this layer wrote: an opaque marker hides only what earlier layers had.
  const written = new Set<string>();
  await readTar(stream, async (entry, body) => {
    const parts = safeParts(entry.path, field);
    if (parts.length === 0) return;
    const name = parts[parts.length - 1] ?? '';
    const dir = parentInside(root, parts, field);
    const rel = parts.join('/');
    if (name === OPAQUE) {
      const dirRel = parts.slice(0, -1).join('/');
      for (const child of readdirSync(dir)) {
        const childRel = dirRel === '' ? child : `${dirRel}/${child}`;
        if (!written.has(childRel)) rmSync(join(dir, child), { recursive: true, force: true });
      }
      return;
    }
    if (name.startsWith(WHITEOUT)) {
      rmSync(join(dir, name.slice(WHITEOUT.length)), { recursive: true, force: true });
      return;
    }
    written.add(rel);
    const target = join(dir, name);
    await writeEntry(root, target, entry, body, field);
  });
}

async function writeEntry(
  root: string,
  target: string,
  entry: TarEntry,
  body: (sink: (chunk: Buffer) => Promise<void> | void) => Promise<void>,
  field: string,
): Promise<void> {
  const existing = lstatSync(target, { throwIfNoEntry: false });
  // A directory over a directory keeps its contents; anything else replaces what was there.
  if (existing && !(entry.type === 'dir' && existing.isDirectory())) {
    rmSync(target, { recursive: true, force: true });
  }
  switch (entry.type) {
    case 'dir':
      if (!existing?.isDirectory()) mkdirSync(target);
      break;
    case 'file': {
      // 'wx': O_EXCL, so a symlink at the target (there is none now) would not be followed.
      const fd = openSync(target, 'wx', 0o600);
      try {
        await body((chunk) => {
          writeSync(fd, chunk);
        });
      } finally {
        closeSync(fd);
      }
      break;
    }
    case 'symlink':
      symlinkSync(entry.linkname, target);
      break;
    case 'hardlink': {
      const parts = safeParts(entry.linkname, field);
      const source = join(parentInside(root, parts, field), parts[parts.length - 1] ?? '');
      const stat = lstatSync(source, { throwIfNoEntry: false });
      if (!stat || stat.isDirectory()) {
        throw new ValidationError(
          `${field}: hard link "${entry.path}" names "${entry.linkname}", which is not a file of the image.`,
          field,
        );
      }
      linkSync(source, target);
      return;
    }
    case 'other':
      // Devices and FIFOs: a sandbox gets its own /dev; nothing else needs them.
      return;
  }
  lchownSync(target, entry.uid, entry.gid);
  if (entry.type !== 'symlink') chmodSync(target, entry.mode & 0o7777);
  lutimesSync(target, entry.mtime, entry.mtime);
}
