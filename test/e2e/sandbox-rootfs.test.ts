// HANGAR_SANDBOX_ROOTFS: a prepared root filesystem instead of the host's directories.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { DEFAULT_UID_RANGE } from '../../src/sandbox/uid-range.js';
import { sh, testDriver } from './sandbox-helpers.js';

const rootfs = mkdtempSync(join(tmpdir(), 'hangar-rootfs-'));
execFileSync(new URL('../../fixtures/sandbox/make-rootfs.sh', import.meta.url).pathname, [rootfs]);
const driver = testDriver({ rootfs });

afterAll(() => {
  driver.cleanupGroup();
  rmSync(driver.dataDir, { recursive: true, force: true });
  rmSync(rootfs, { recursive: true, force: true });
});

it('runs on the given root filesystem only, as user, writes kept off the rootfs', async () => {
  const box = await driver.create({});
  try {
    const out = await sh(box, 'id -u; cat /etc/issue; ls /bin');
    const uid = out.stdout.split('\n')[0] ?? '';
    expect(Number(uid)).toBeGreaterThanOrEqual(DEFAULT_UID_RANGE.first);
    expect(out).toMatchObject({
      code: 0,
      stdout: `${uid}\ntiny rootfs for hangar tests\ncat\necho\nid\nls\nsetpriv\nsh\nsleep\n`,
    });
    // Nothing of the host's /usr: it has no dpkg, no python, no node.
    expect((await sh(box, 'ls /usr/bin /var/lib/dpkg')).code).not.toBe(0);
    const wrote = await sh(box, 'echo mine > /etc/mine && echo kept > ~/kept && cat /etc/passwd', {
      user: 'root',
    });
    expect(wrote.stdout).toContain(`user:x:${uid}:${uid}::/home/user:/bin/bash`);
    expect(existsSync(join(rootfs, 'etc/mine'))).toBe(false);
    expect(readFileSync(join(rootfs, 'etc/passwd'), 'utf8')).not.toContain(`user:x:${uid}`);
  } finally {
    await box.destroy();
  }
});

it('refuses a directory that is not a root filesystem, saying so', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'hangar-notroot-'));
  try {
    const bad = testDriver({ rootfs: empty });
    await expect(bad.create({})).rejects.toThrow(
      /HANGAR_SANDBOX_ROOTFS=.* is not a root filesystem with \/bin\/sh/,
    );
    bad.cleanupGroup();
    rmSync(bad.dataDir, { recursive: true, force: true });
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});
