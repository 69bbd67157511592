import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmdirSync, statSync } from 'node:fs';
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
    } catch {
      // Another test file builds it; a lock left by a killed run goes after 15 minutes.
      if (Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now()) > 15 * 60_000) {
        rmdirSync(lock);
      }
      await sleep(2000);
      continue;
    }
    try {
      if (!findImage(SHARED, 'minimal')) await buildImage({ dataDir: SHARED, name: 'minimal' });
    } finally {
      rmdirSync(lock);
    }
  }
  const target = join(dataDir, 'images', 'minimal');
  if (!existsSync(target)) {
    mkdirSync(join(dataDir, 'images'), { recursive: true });
    execFileSync('cp', ['-a', join(SHARED, 'images', 'minimal'), target]);
  }
  const info = findImage(dataDir, 'minimal');
  if (!info) throw new Error('the minimal image did not copy');
  return imageRoot(dataDir, info);
}
