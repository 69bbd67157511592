// The setup cache's mechanism with real sandboxes: a sandbox's writes kept as a layer
// (not the repo), a new sandbox made on that layer, clearing and age.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { SetupCache, setupKey } from '../../src/sessions/setup-cache.js';
import { sh, testDriver } from './sandbox-helpers.js';

const driver = testDriver();
const target = mkdtempSync(join(tmpdir(), 'hangar-cache-target-'));

afterAll(() => {
  driver.cleanupGroup();
  rmSync(driver.dataDir, { recursive: true, force: true });
  rmSync(target, { recursive: true, force: true });
});

const key = setupKey({
  base: undefined,
  script: 'apt-get install x',
  envVars: '',
  network: 'none',
});

it('keeps what setup wrote but the repo, and a new sandbox starts from it', async () => {
  let now = new Date('2026-01-01T00:00:00Z');
  const cache = new SetupCache(driver.dataDir, 7 * 24 * 3600_000, () => now);
  const claim = await cache.claim('env_1', key);
  expect(claim.entry).toBeUndefined();
  // A second session of the same key waits for the first's build.
  let secondGot: unknown;
  const second = cache.claim('env_1', key).then((c) => (secondGot = c.entry?.key));

  const first = await driver.create({});
  try {
    const setup = await sh(
      first,
      [
        'mkdir -p /home/user/repo /opt/tool && echo clone > /home/user/repo/file',
        'echo installed > /opt/tool/bin && echo conf > /etc/tool.conf && rm /etc/issue.net',
        'echo cached > /home/user/.toolrc',
        // A planted link where the repo's parent would be must not make the host's dir go.
        `ln -s ${target} /home/user/evil`,
      ].join(' && '),
      { user: 'root' },
    );
    expect(setup.code).toBe(0);
    await cache.save('env_1', key, (dir) =>
      first.snapshot(dir, ['/home/user/repo', '/home/user/evil/x']),
    );
    claim.done?.();
  } finally {
    await first.destroy();
  }
  await second;
  expect(secondGot).toBe(key);

  const entry = cache.find('env_1', key);
  expect(entry?.builtAt).toBe('2026-01-01T00:00:00.000Z');
  const next = await driver.create({ layers: [entry?.layer ?? ''] });
  try {
    const seen = await sh(
      next,
      'cat /opt/tool/bin /etc/tool.conf /home/user/.toolrc; ls /home/user/repo 2>&1; ls /etc/issue.net 2>&1; id -un',
    );
    expect(seen.stdout).toMatch(
      /^installed\nconf\ncached\nls: .*repo.*No such file.*\nls: .*issue\.net.*No such file.*\nuser\n$/,
    );
  } finally {
    await next.destroy();
  }

  // Older than the limit, or another key: not used.
  now = new Date('2026-01-09T00:00:00Z');
  expect(cache.find('env_1', key)).toBeUndefined();
  now = new Date('2026-01-02T00:00:00Z');
  expect(cache.find('env_1', `${key}x`)).toBeUndefined();
  expect(cache.clear('env_1')).toBe(true);
  expect(cache.find('env_1', key)).toBeUndefined();
}, 180_000);
