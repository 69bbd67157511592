import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildImage, imagePackages } from '../../src/images/build.js';
import { findImage, imageRoot } from '../../src/images/images.js';

/** Where the tests' `minimal` image is built once, for every test file of a run (and the next). */
const SHARED = join(tmpdir(), `hangar-e2e-images-${imagePackages('minimal').join('-')}`);

/**
 * The `minimal` image, built with the real mmdebstrap the first time any test asks
 * (the others wait for that build), then copied into `dataDir`; returns its root.
 */
export async function minimalImage(dataDir: string): Promise<string> {
  const lock = `${SHARED}.lock`;
  while (!findImage(SHARED, 'minimal')) {
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
      if (!findImage(SHARED, 'minimal')) await buildImage({ dataDir: SHARED, name: 'minimal' });
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
  const target = join(dataDir, 'images', 'minimal');
  if (!existsSync(target)) {
    mkdirSync(join(dataDir, 'images'), { recursive: true });
    // The current build only: never one a killed build left half made.
    const built = findImage(SHARED, 'minimal');
    mkdirSync(join(target, 'builds'), { recursive: true });
    execFileSync('cp', ['-a', join(SHARED, 'images/minimal/image.json'), target]);
    execFileSync('cp', [
      '-a',
      join(SHARED, 'images/minimal/builds', built?.build ?? '-'),
      join(target, 'builds'),
    ]);
  }
  const info = findImage(dataDir, 'minimal');
  if (!info) throw new Error('the minimal image did not copy');
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
