// Invariant 5: a sandbox's processes cannot exceed its memory, CPU, process-count and
// disk limits, and teardown leaves no process behind. Real cgroups, a real ext4 disk.
import { rmSync, statfsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/driver.js';
import type { Limits } from '../../src/sandbox/limits.js';
import { eventually, processesOf, sandboxCgroups, sh, testDriver } from './sandbox-helpers.js';

const MiB = 1024 * 1024;
const driver = testDriver();
const made: Sandbox[] = [];

async function create(limits: Partial<Limits>): Promise<Sandbox> {
  const box = await driver.create({ limits });
  made.push(box);
  return box;
}

afterAll(async () => {
  for (const box of made) await box.destroy().catch(() => undefined);
  driver.cleanupGroup();
  rmSync(driver.dataDir, { recursive: true, force: true });
});

describe('memory', () => {
  it('OOM-kills an allocation past the limit inside; the sandbox and its neighbour live on', async () => {
    const box = await create({ memoryBytes: 64 * MiB });
    const neighbour = await create({ memoryBytes: 64 * MiB });
    const out = await sh(box, `perl -e '$x = "a" x (256 * 1024 * 1024); print "allocated\\n"'`);
    expect(out.stdout).not.toContain('allocated');
    expect(out.code).toBe(137); // SIGKILL from the OOM killer
    expect((await box.stats()).oomKills).toBeGreaterThanOrEqual(1);
    expect((await sh(box, 'echo alive')).stdout).toBe('alive\n');
    expect((await sh(neighbour, 'echo alive')).stdout).toBe('alive\n');
    expect((await neighbour.stats()).oomKills).toBe(0);
    // Within the limit is fine.
    const small = await sh(box, `perl -e '$x = "a" x (16 * 1024 * 1024); print "ok\\n"'`);
    expect(small.stdout).toBe('ok\n');
  });
});

describe('cpu', () => {
  it('holds busy processes to the CPU quota', async () => {
    const box = await create({ cpus: 0.5 });
    const before = (await box.stats()).cpuSeconds;
    const started = Date.now();
    // Two busy loops for 2 s of wall time: unlimited, on 2 cores, that is ~4 CPU-seconds.
    await sh(box, 'for i in 1 2; do timeout 2 sh -c "while :; do :; done" & done; wait; echo done');
    const wall = (Date.now() - started) / 1000;
    const used = (await box.stats()).cpuSeconds - before;
    expect(used).toBeGreaterThan(0.3);
    expect(used).toBeLessThan(0.5 * wall * 1.3);
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
    expect(stats.pids).toBeGreaterThan(30); // it really is bombing
    expect(stats.pids).toBeLessThanOrEqual(64);
    // The host can still fork (this test's own shell), and destroy ends it all.
    const started = Date.now();
    await box.destroy();
    expect(Date.now() - started).toBeLessThan(15_000);
    abort.abort();
    await bomb;
    const inBox = () => processesOf(box.id, `${driver.cgroupGroup}/${box.id}`);
    expect(await eventually(() => inBox().length === 0)).toBe(true);
    expect(sandboxCgroups(driver.cgroupGroup).some((dir) => dir.endsWith(box.id))).toBe(false);
  });
});

describe('disk', () => {
  it('fails with ENOSPC past the quota, in home and in /tmp, and the host disk is untouched', async () => {
    const box = await create({ diskBytes: 64 * MiB });
    const hostFree = () => {
      const fs = statfsSync(driver.dataDir);
      return fs.bavail * fs.bsize;
    };
    const freeBefore = hostFree();
    const home = await sh(box, 'dd if=/dev/zero of=/home/user/big bs=1M count=100 2>&1');
    expect(home.code).not.toBe(0);
    expect(home.stdout).toContain('No space left on device');
    const tmp = await sh(box, 'dd if=/dev/zero of=/tmp/big bs=1M count=10 2>&1', {
      user: 'root',
    });
    expect(tmp.stdout).toContain('No space left on device');
    const image = join(driver.sandboxesDir, box.id, 'disk.img');
    expect(statSync(image).blocks * 512).toBeLessThanOrEqual(70 * MiB);
    expect(freeBefore - hostFree()).toBeLessThan(100 * MiB);
    const stats = await box.stats();
    expect(stats.diskUsedBytes).toBeGreaterThan(50 * MiB);
    expect(stats.diskUsedBytes).toBeLessThanOrEqual(64 * MiB);
    // Freeing space works, and space comes back.
    const freed = await sh(box, 'rm -f /home/user/big && rm -f /tmp/big && echo freed', {
      user: 'root',
    });
    expect(freed.stdout).toBe('freed\n');
    expect((await sh(box, 'dd if=/dev/zero of=/home/user/small bs=1M count=8 2>&1')).code).toBe(0);
  });
});
