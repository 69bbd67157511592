// Attack class: what the kernel counts and checks per host uid (issue 11, part 3). Each
// sandbox's `user` must be a host uid of its own, so another sandbox or a host account
// cannot read its processes (/proc/<pid>/environ) or use up its per-uid allowances.
// Against real sandboxes; runs as root, fails (never skips) when it cannot.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/driver.js';
import { DEFAULT_UID_RANGE } from '../../src/sandbox/uid-range.js';
import { seccompArch } from '../../src/sandbox/seccomp.js';
import { syscallNumber } from '../../src/sandbox/syscall-numbers.js';
import { eventually, processesOf, sh, testDriver } from '../e2e/sandbox-helpers.js';

const run = promisify(execFile);
const driver = testDriver();
const group = driver.cgroupGroup;
let a: Sandbox;
let b: Sandbox;

beforeAll(async () => {
  [a, b] = await Promise.all([driver.create({}), driver.create({})]);
}, 120_000);

afterAll(async () => {
  await Promise.all([a.destroy(), b.destroy()]);
  driver.cleanupGroup();
  rmSync(driver.dataDir, { recursive: true, force: true });
});

/** The host pids and uids of a sandbox's processes whose command line starts with `command`. */
function hostUids(command: string): { pid: number; uid: number }[] {
  return processesOf(driver.dataDir, group)
    .filter((p) => p.cmdline.startsWith(`${command} `))
    .map((p) => {
      const status = readFileSync(`/proc/${p.pid}/status`, 'utf8');
      return { pid: p.pid, uid: Number(/^Uid:\s+([0-9]+)/m.exec(status)?.[1]) };
    });
}

/** Starts `sleep <marker seconds>` as `user` in a sandbox, with `env`; returns its stopper. */
function startSleeper(box: Sandbox, seconds: number, env: Record<string, string> = {}) {
  const stop = new AbortController();
  const done = box.exec(['sleep', String(seconds)], { env, signal: stop.signal });
  return {
    async end() {
      stop.abort();
      await done;
    },
  };
}

describe('host uids', () => {
  it('gives each sandbox’s user a host uid of its own, from the reserved range', async () => {
    const [idA, idB] = await Promise.all([sh(a, 'id -u; id -g'), sh(b, 'id -u; id -g')]);
    const [uidA, gidA] = idA.stdout.trim().split('\n').map(Number);
    const [uidB, gidB] = idB.stdout.trim().split('\n').map(Number);
    expect(uidA).not.toBe(uidB);
    expect(gidA).not.toBe(gidB);
    for (const id of [uidA, uidB, gidA, gidB]) {
      expect(id).toBeGreaterThanOrEqual(DEFAULT_UID_RANGE.first);
      expect(id).toBeLessThanOrEqual(DEFAULT_UID_RANGE.last);
    }
    // The host sees the same ids: there is no user namespace in between.
    const sleepA = startSleeper(a, 301);
    const sleepB = startSleeper(b, 302);
    try {
      expect(
        await eventually(
          () => hostUids('sleep 301').length > 0 && hostUids('sleep 302').length > 0,
        ),
      ).toBe(true);
      expect(hostUids('sleep 301').map((p) => p.uid)).toContain(uidA);
      expect(hostUids('sleep 302').map((p) => p.uid)).toContain(uidB);
    } finally {
      await Promise.all([sleepA.end(), sleepB.end()]);
    }
    // The sandbox still calls its user `user`, home /home/user, owned by that uid.
    const who = await sh(a, 'id -un; stat -c "%u %U" /home/user; getent passwd user');
    expect(who.stdout).toBe(`user\n${uidA} user\nuser:x:${uidA}:${gidA}::/home/user:/bin/bash\n`);
  });

  it('keeps its uid across stop and start, and files stay the user’s', async () => {
    const before = await sh(a, 'id -u; echo kept > ~/mine');
    await a.stop();
    await a.start();
    const after = await sh(a, 'id -u; cat ~/mine; stat -c %u ~/mine');
    const uid = before.stdout.split('\n')[0];
    expect(after.stdout).toBe(`${uid}\nkept\n${uid}\n`);
  });

  it('a host process of uid 1000 cannot read a sandbox process’s environment', async () => {
    const secret = `canary-${randomBytes(8).toString('hex')}`;
    const sleeper = startSleeper(a, 303, { HANGAR_ATTACK_SECRET: secret });
    try {
      expect(await eventually(() => hostUids('sleep 303').length > 0)).toBe(true);
      const [target] = hostUids('sleep 303');
      if (!target) throw new Error('no sleeper');
      // As root the secret is there: the attack below reads a real environment.
      expect(readFileSync(`/proc/${target.pid}/environ`, 'utf8')).toContain(secret);
      const attack = await run('setpriv', [
        '--reuid=1000',
        '--regid=1000',
        '--clear-groups',
        '--',
        'sh',
        '-c',
        `cat /proc/${target.pid}/environ 2>&1; echo " exit=$?"`,
      ]);
      expect(attack.stdout).not.toContain(secret);
      expect(attack.stdout).toMatch(/Permission denied\s+exit=1/);
    } finally {
      await sleeper.end();
    }
  });

  it('using up the inotify instances of one sandbox leaves another able to make one', async () => {
    const nr = syscallNumber('inotify_init1', seccompArch());
    // Sandbox a's user takes every inotify instance its uid may have, and holds them.
    const holder = new AbortController();
    const stdout = new PassThrough();
    let said = '';
    stdout.on('data', (chunk: Buffer) => (said += chunk.toString()));
    const hog = a.exec(
      [
        'perl',
        '-e',
        `$| = 1; my @fds; while (1) { my $fd = syscall(${nr}, 0); last if $fd < 0; push @fds, $fd; } ` +
          'print "held ", scalar(@fds), " errno ", $!+0, "\\n"; sleep 304;',
      ],
      { stdout, signal: holder.signal },
    );
    try {
      expect(await eventually(() => said.includes('held'), 20_000)).toBe(true);
      const [, held, errno] = /held ([0-9]+) errno ([0-9]+)/.exec(said) ?? [];
      expect(Number(held)).toBeGreaterThan(0);
      expect(errno).toBe('24'); // EMFILE: the per-uid limit, fs.inotify.max_user_instances
      const other = await sh(
        b,
        `perl -e 'my $fd = syscall(${nr}, 0); print $fd >= 0 ? "ok" : "errno ".($!+0)'`,
      );
      expect(other.stdout).toBe('ok');
    } finally {
      holder.abort();
      await hog;
    }
  });
});
