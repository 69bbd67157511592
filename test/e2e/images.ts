import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildImage, imagePackages } from '../../src/images/build.js';
import { findImage, imageRoot } from '../../src/images/images.js';

/** Where the tests' image `name` is built once, for every test file of a run (and the next). */
function sharedDir(name: string): string {
  const packages = createHash('sha256').update(imagePackages(name).join(',')).digest('hex');
  return join(tmpdir(), `hangar-e2e-images-${name}-${packages.slice(0, 12)}`);
}

/**
 * The `minimal` image, built with the real mmdebstrap the first time any test asks
 * (the others wait for that build), then copied into `dataDir`; returns its root.
 */
export function minimalImage(dataDir: string): Promise<string> {
  return sharedImage(dataDir, 'minimal');
}

/** The built-in image `name`, built once for all tests (see minimalImage). */
export async function sharedImage(dataDir: string, name: string): Promise<string> {
  const SHARED = sharedDir(name);
  const lock = `${SHARED}.lock`;
  while (!findImage(SHARED, name)) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
    } catch {
      // Another test process builds it; a lock its dead builder left is taken over.
      if (!builderAlive(lock)) rmSync(lock, { recursive: true, force: true });
      await sleep(2000);
      continue;
    }
    try {
      if (!findImage(SHARED, name)) await buildImage({ dataDir: SHARED, name });
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
  const target = join(dataDir, 'images', name);
  if (!existsSync(target)) {
    mkdirSync(join(dataDir, 'images'), { recursive: true });
    // The current build only: never one a killed build left half made.
    const built = findImage(SHARED, name);
    mkdirSync(join(target, 'builds'), { recursive: true });
    execFileSync('cp', ['-a', join(SHARED, 'images', name, 'image.json'), target]);
    // Hard links: an image is a read-only base, and the universal one is gigabytes.
    execFileSync('cp', [
      '-al',
      join(SHARED, 'images', name, 'builds', built?.build ?? '-'),
      join(target, 'builds'),
    ]);
  }
  const info = findImage(dataDir, name);
  if (!info) throw new Error(`the ${name} image did not copy`);
  return imageRoot(dataDir, info);
}

function builderAlive(lock: string): boolean {
  try {
    process.kill(Number(readFileSync(join(lock, 'pid'), 'utf8')), 0);
    return true;
  } catch {
    // No pid yet (just made) counts as alive only briefly: the next look sees it.
    return !existsSync(join(lock, 'pid')) && existsSync(lock);
  }
}
