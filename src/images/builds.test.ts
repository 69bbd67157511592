import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ImageBuilds } from './builds.js';

// A real mmdebstrap, stopped early: nothing is downloaded past its first steps.
const dataDir = mkdtempSync(join(tmpdir(), 'hangar-builds-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** mmdebstrap processes building into `dir`. */
function buildersIn(dir: string): string[] {
  const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
  return ps.split('\n').filter((line) => line.includes('mmdebstrap') && line.includes(dir));
}

describe('ImageBuilds.stop', () => {
  it('kills a build under way and waits until it has left nothing behind', async () => {
    const builds = new ImageBuilds(dataDir, { error: () => undefined });
    builds.start('minimal', []);
    // Until mmdebstrap has begun writing its root.
    while (buildersIn(dataDir).length === 0) await new Promise((r) => setTimeout(r, 100));
    await builds.stop();
    expect(buildersIn(dataDir)).toEqual([]);
    expect(readdirSync(join(dataDir, 'images', 'minimal', 'builds'))).toEqual([]);
    expect(builds.get('minimal')?.state).toBe('failed');
    // The data dir can go at once: nothing writes into it any more.
    rmSync(dataDir, { recursive: true });
  }, 120_000);
});
