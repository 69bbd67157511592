import { spawn } from 'node:child_process';
import {
  closeSync,
  createReadStream,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { z } from 'zod';
import { HangarError, ValidationError } from '../errors.js';
import { duBytes } from './build.js';
import { applyLayer, parentInside, safeParts } from './extract.js';
import { checkImageName, commitBuild, removeTree, newBuildDir, type ImageInfo } from './images.js';

/**
 * Importing an image from a container image tarball: `docker save` (manifest.json) or
 * an OCI image layout (index.json, blobs/). The archive is unpacked by Hangar's own
 * reader (extract.ts), never by a tool that follows what it unpacks.
 */

const DockerManifest = z.array(z.object({ Layers: z.array(z.string()).min(1) })).min(1);
const Digest = z.string().regex(/^sha256:[a-f0-9]{64}$/, 'must be sha256:<64 hex digits>');
const Descriptor = z.object({
  mediaType: z.string().optional(),
  digest: Digest,
  platform: z.object({ os: z.string(), architecture: z.string() }).optional(),
});
const OciIndex = z.object({ manifests: z.array(Descriptor).min(1) });
const OciManifest = z.object({ layers: z.array(Descriptor) });

export interface ImportOptions {
  dataDir: string;
  name: string;
  /** The tarball's path on this host. */
  tarball: string;
  onProgress?: (line: string) => void;
}

/** Imports a container image tarball as the image `name`; a bad archive leaves nothing. */
export async function importImage(options: ImportOptions): Promise<ImageInfo> {
  const name = checkImageName(options.name);
  if (!existsSync(options.tarball) || !statSync(options.tarball).isFile()) {
    throw new ValidationError(`${options.tarball} is not a file.`, 'from');
  }
  const { id, dir } = newBuildDir(options.dataDir, name);
  const unpacked = join(dir, 'archive');
  const root = join(dir, 'root');
  mkdirSync(unpacked, { mode: 0o700 });
  mkdirSync(root, { mode: 0o755 });
  try {
    options.onProgress?.(`unpacking ${basename(options.tarball)}`);
    await applyLayer(unpacked, await decompressed(options.tarball), 'the tarball');
    const layers = layerFiles(unpacked);
    for (const [i, layer] of layers.entries()) {
      options.onProgress?.(`applying layer ${i + 1} of ${layers.length}`);
      await applyLayer(root, await decompressed(layer), `layer ${i + 1}`);
    }
    rmSync(unpacked, { recursive: true, force: true });
    finishImported(root);
    const info: ImageInfo = {
      name,
      source: 'import',
      packages: [],
      from: basename(options.tarball),
      build: id,
      builtAt: new Date().toISOString(),
      sizeBytes: await duBytes(root),
    };
    commitBuild(options.dataDir, info);
    return info;
  } catch (error) {
    removeTree(dir);
    if (error instanceof HangarError) throw error;
    throw new ValidationError(
      `${basename(options.tarball)} is not a container image Hangar can import: ${(error as Error).message}`,
      'from',
    );
  }
}

/** A file of the unpacked archive, by its name in the archive; never outside it. */
function archiveFile(unpacked: string, path: string): string {
  const parts = safeParts(path, 'the tarball');
  const file = join(unpacked, ...parts);
  const real = realpathSync(file);
  if (!real.startsWith(`${realpathSync(unpacked)}/`) || !statSync(real).isFile()) {
    throw new ValidationError(`the tarball's ${path} is not a file inside it.`, 'from');
  }
  return real;
}

function readJson(unpacked: string, path: string): unknown {
  return JSON.parse(readFileSync(archiveFile(unpacked, path), 'utf8'));
}

/** The layer files, lowest first: from docker's manifest.json, else the OCI index. */
function layerFiles(unpacked: string): string[] {
  if (existsSync(join(unpacked, 'manifest.json'))) {
    const manifest = DockerManifest.parse(readJson(unpacked, 'manifest.json'));
    return (manifest[0]?.Layers ?? []).map((layer) => archiveFile(unpacked, layer));
  }
  if (!existsSync(join(unpacked, 'index.json'))) {
    throw new Error('it has neither manifest.json (docker save) nor index.json (OCI layout)');
  }
  const blob = (digest: string) => `blobs/sha256/${digest.slice('sha256:'.length)}`;
  let descriptor = pickManifest(OciIndex.parse(readJson(unpacked, 'index.json')).manifests);
  // A multi-platform image: an index of manifests.
  for (let depth = 0; descriptor.mediaType?.includes('index') === true; depth++) {
    if (depth > 4) throw new Error('its indexes nest too deep');
    descriptor = pickManifest(
      OciIndex.parse(readJson(unpacked, blob(descriptor.digest))).manifests,
    );
  }
  const manifest = OciManifest.parse(readJson(unpacked, blob(descriptor.digest)));
  return manifest.layers.map((layer) => archiveFile(unpacked, blob(layer.digest)));
}

/** This host's platform's manifest, or the first. */
function pickManifest(manifests: z.infer<typeof Descriptor>[]): z.infer<typeof Descriptor> {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  const first = manifests[0];
  if (!first) throw new Error('its index lists no manifest');
  return (
    manifests.find((m) => m.platform?.os === 'linux' && m.platform.architecture === arch) ?? first
  );
}

/** A file as an uncompressed stream: gzip and zstd are recognised by their magic bytes. */
async function decompressed(file: string): Promise<Readable> {
  const magic = Buffer.alloc(4);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, magic, 0, 4, 0);
  } finally {
    closeSync(fd);
  }
  if (magic[0] === 0x1f && magic[1] === 0x8b) return createReadStream(file).pipe(createGunzip());
  if (magic.equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))) {
    const child = spawn('zstd', ['-dc', '--', file], {
      stdio: ['ignore', 'pipe', 'ignore'],
      env: { PATH: '/usr/bin:/bin' },
    });
    return Promise.resolve(child.stdout);
  }
  return Promise.resolve(createReadStream(file));
}

/**
 * What a sandbox needs of an imported root: /bin/sh, and real (not linked) /etc,
 * passwd and group, which Hangar reads on the host to make the sandbox's accounts.
 */
function finishImported(root: string): void {
  for (const dir of ['etc', 'home', 'opt', 'tmp', 'root', 'proc', 'dev', 'sys', 'run']) {
    parentInside(root, [dir, 'x'], 'the image');
  }
  for (const [file, text] of [
    [
      'passwd',
      'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n',
    ],
    ['group', 'root:x:0:\nnogroup:x:65534:\n'],
  ] as const) {
    const path = join(root, 'etc', file);
    const stat = lstatSync(path, { throwIfNoEntry: false });
    if (!stat) writeFileSync(path, text, { flag: 'wx', mode: 0o644 });
    else if (!stat.isFile()) {
      throw new ValidationError(`the image's /etc/${file} is not a plain file.`, 'from');
    }
  }
  rmSync(join(root, 'etc/resolv.conf'), { force: true });
  rmSync(join(root, 'etc/hostname'), { force: true });
  writeFileSync(join(root, 'etc/hostname'), 'sandbox\n', { flag: 'wx' });
  if (!existsSync(join(root, 'bin/sh'))) {
    throw new ValidationError('the image has no /bin/sh, which sandboxes run.', 'from');
  }
}
