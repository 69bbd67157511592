// Attack class: a sandbox learning host paths or reading host files it should not.
// Where its disk lives (the data dir) is the first step of attacks on the host (see
// host-env.test.ts), so no mount option, environment, command line or working directory
// a sandbox can read may name it; and root inside, who is host uid 0, reads /usr and
// /opt only as an unprivileged user would (issue 11, sections 1 and 3).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/driver.js';
import { eventually, sh, testDriver } from '../e2e/sandbox-helpers.js';

const mark = `canary${randomBytes(6).toString('hex')}`;
const driver = testDriver();
const agentDir = join(driver.dataDir, 'agents', `agent-${mark}`);
let box: Sandbox;
/** Host files only host root may read, in the live layers; and one anybody may. */
const secret = `secret-${mark}`;
const planted = {
  file: `/opt/hangar-${mark}.key`,
  dir: `/opt/hangar-${mark}-private`,
  usr: `/usr/local/share/hangar-${mark}.key`,
  open: `/opt/hangar-${mark}-public.txt`,
};

beforeAll(async () => {
  writeFileSync(planted.file, `${secret}\n`, { mode: 0o600 });
  mkdirSync(planted.dir, { mode: 0o700 });
  writeFileSync(join(planted.dir, 'readable-inside'), `${secret}\n`, { mode: 0o644 });
  writeFileSync(join(planted.dir, 'private'), `${secret}\n`, { mode: 0o600 });
  mkdirSync('/usr/local/share', { recursive: true });
  writeFileSync(planted.usr, `${secret}\n`, { mode: 0o600 });
  writeFileSync(planted.open, `public-${mark}\n`, { mode: 0o644 });
  mkdirSync(agentDir, { recursive: true, mode: 0o755 });
  writeFileSync(join(agentDir, 'agent'), '#!/bin/sh\necho agent\n', { mode: 0o755 });
  box = await driver.create({ binds: [{ source: agentDir, target: '/opt/hangar-agent' }] });
}, 120_000);

afterAll(async () => {
  for (const path of Object.values(planted)) rmSync(path, { recursive: true, force: true });
  await box.destroy();
  driver.cleanupGroup();
  rmSync(driver.dataDir, { recursive: true, force: true });
});

describe('no host path shows inside', () => {
  it('names neither the data dir nor the server’s directory anywhere a sandbox can read', async () => {
    // A second command runs meanwhile, so its processes are among those looked at.
    const stdin = new PassThrough();
    let started = '';
    const stdout = new PassThrough().on('data', (c: Buffer) => (started += c.toString()));
    const other = box.exec(['/bin/sh', '-c', 'echo started; exec cat'], { stdin, stdout });
    try {
      expect(await eventually(() => started === 'started\n', 20_000)).toBe(true);
      const looked = await sh(
        box,
        [
          'cat /proc/self/mountinfo /proc/self/mounts /proc/self/mountstats /proc/self/cgroup',
          'for p in /proc/[0-9]*; do',
          '  tr "\\0" "\\n" < $p/environ; tr "\\0" " " < $p/cmdline; echo',
          '  readlink $p/cwd $p/root $p/exe',
          'done',
          'ps -eo pid,args',
          'env',
        ].join('\n'),
        { user: 'root' },
      );
      expect(looked.code, looked.stderr).toBe(0);
      // It read what it meant to: the overlays, pid 1, the bind.
      expect(looked.stdout).toMatch(/ \/ rw[^\n]* - overlay overlay /);
      expect(looked.stdout).toContain('/opt/hangar-agent');
      expect(looked.stdout).toContain('bwrap --args');
      for (const secret of [driver.dataDir, process.cwd(), 'sandbox-base', 'sandboxes/sbx_']) {
        const line = looked.stdout.split('\n').find((l) => l.includes(secret));
        expect(line, `"${secret}" shows in: ${line}`).toBeUndefined();
      }
      expect((await sh(box, '/opt/hangar-agent/agent')).stdout).toBe('agent\n');
    } finally {
      stdin.end();
      await other;
    }
  });
});

describe('an operator’s root filesystem (HANGAR_SANDBOX_ROOTFS)', () => {
  it('does not show where it is either', async () => {
    const rootfs = mkdtempSync(join(tmpdir(), 'hangar-rootfs-'));
    execFileSync(new URL('../../fixtures/sandbox/make-rootfs.sh', import.meta.url).pathname, [
      rootfs,
    ]);
    const other = testDriver({ rootfs });
    try {
      const sandbox = await other.create({});
      try {
        const out = await sh(sandbox, 'cat /proc/self/mountinfo /proc/1/environ', {
          user: 'root',
        });
        expect(out.stdout).toMatch(/lowerdir=lower,/);
        expect(out.stdout).not.toContain(rootfs);
        expect(out.stdout).not.toContain(other.dataDir);
      } finally {
        await sandbox.destroy();
      }
    } finally {
      other.cleanupGroup();
      rmSync(other.dataDir, { recursive: true, force: true });
      rmSync(rootfs, { recursive: true, force: true });
    }
  });
});

describe('/usr and /opt read as an unprivileged user would', () => {
  it('shows root inside no file only host root may read, by any name', async () => {
    const paths = [
      planted.file,
      planted.usr,
      `${planted.dir}/private`,
      `${planted.dir}/readable-inside`,
    ];
    for (const user of ['root', 'user'] as const) {
      const out = await sh(box, `cat ${paths.join(' ')}; ls -a ${planted.dir}`, { user });
      expect(out.stdout, user).not.toContain(secret);
      expect(out.code, user).not.toBe(0);
    }
    // Masked paths do not exist at all: listing shows only the public file.
    const listed = await sh(box, `ls -a /opt /usr/local/share | grep ${mark}`, { user: 'root' });
    expect(listed.stdout).toBe(`hangar-${mark}-public.txt\n`);
    // What anybody may read is there, for both.
    for (const user of ['root', 'user'] as const) {
      expect((await sh(box, `cat ${planted.open}`, { user })).stdout).toBe(`public-${mark}\n`);
    }
  });

  it('keeps the mask when root inside copies, renames or recreates around it', async () => {
    const out = await sh(
      box,
      [
        `mv /opt /opt-moved 2>/dev/null; cp -a ${planted.dir} /tmp/copy 2>/dev/null`,
        `touch ${planted.file} && cat ${planted.file}`,
        `cat /tmp/copy/* /opt-moved/*/* 2>/dev/null`,
        'echo done',
      ].join('; '),
      { user: 'root' },
    );
    expect(out.stdout).not.toContain(secret);
    expect(out.stdout).toMatch(/done\n$/);
    // The new empty file is the sandbox's own: the host's is untouched.
    expect(readFileSync(planted.file, 'utf8')).toBe(`${secret}\n`);
  });
});
