// Invariant 5 on the Docker driver: memory, CPU and process limits hold (cgroups set
// through the engine); the disk limit holds only where the storage driver can limit a
// container's size, and the driver says when it cannot (README, "Docker driver").
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/driver.js';
import type { Limits } from '../../src/sandbox/limits.js';
import { minimalImage } from '../e2e/images.js';
import { sh } from '../e2e/sandbox-helpers.js';
import { dockerTestDriver } from './docker-helpers.js';

const MiB = 1024 * 1024;
const warnings: string[] = [];
const tested = dockerTestDriver({ onWarning: (message) => warnings.push(message) });

beforeAll(async () => {
  await minimalImage(tested.dataDir);
}, 20 * 60_000);

afterAll(async () => {
  await tested.cleanupAsync();
});

function create(limits: Partial<Limits>): Promise<Sandbox> {
  return tested.driver.create({ limits });
}

describe('memory', () => {
  it('OOM-kills an allocation past the limit inside; the sandbox and its neighbour live on', async () => {
    const box = await create({ memoryBytes: 64 * MiB });
    const neighbour = await create({ memoryBytes: 64 * MiB });
    const out = await sh(box, `perl -e '$x = "a" x (256 * 1024 * 1024); print "allocated\\n"'`);
    expect(out.stdout).not.toContain('allocated');
    expect(out.code).toBe(137);
    expect((await box.stats()).oomKills).toBeGreaterThanOrEqual(1);
    expect((await sh(box, 'echo alive')).stdout).toBe('alive\n');
    expect((await sh(neighbour, 'echo alive')).stdout).toBe('alive\n');
    expect((await neighbour.stats()).oomKills).toBe(0);
  });
});

describe('processes', () => {
  it('contains a fork bomb, and the sandbox can still be destroyed', async () => {
    const box = await create({ pids: 64 });
    const abort = new AbortController();
    const bomb = box
      .exec(['bash', '-c', 'bomb() { bomb | bomb & }; bomb; sleep 30'], { signal: abort.signal })
      .catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const stats = await box.stats();
    expect(stats.pids).toBeGreaterThan(30);
    expect(stats.pids).toBeLessThanOrEqual(64);
    await box.destroy();
    abort.abort();
    await bomb;
    expect(await tested.driver.list()).not.toContain(box.id);
  });
});

describe('disk', () => {
  it('is limited only where the storage driver can; otherwise the driver says so', async () => {
    const box = await create({ diskBytes: 64 * MiB });
    const out = await sh(box, 'dd if=/dev/zero of=/home/user/big bs=1M count=100 2>&1');
    if (tested.driver.diskLimited) {
      expect(out.stdout).toContain('No space left on device');
    } else {
      // overlay2 on ext4 (this test stage's engine): no limit, and a warning naming why.
      expect(out.code).toBe(0);
      expect(warnings.join('\n')).toMatch(/cannot limit a container's disk/);
      expect((await box.stats()).diskUsedBytes).toBeGreaterThanOrEqual(100 * MiB);
    }
  });
});
