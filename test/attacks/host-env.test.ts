// Attack class: environment variables a user or a sandbox chooses reaching a host process.
// The host chain that starts every sandboxed command (sh → nsenter → bwrap) runs as root
// with every capability; a variable its dynamic loader or shell honours is host root.
// Each test performs the attack against real sandboxes (issue 11, section 1).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/driver.js';
import { LocalDriver } from '../../src/sandbox/local-driver.js';
import { eventually, processesOf, sh, testDriver } from '../e2e/sandbox-helpers.js';

const mark = `canary${randomBytes(6).toString('hex')}`;
const driver = testDriver();
let box: Sandbox;
const work = mkdtempSync(join(tmpdir(), 'hangar-attack-env-'));
/** Written by the library's constructor wherever it runs: on the host, host root ran it. */
const marker = join('/tmp', `hangar-preload-${mark}`);
let library: Buffer;

beforeAll(async () => {
  // A library whose constructor records the uid it ran as. Built on the host: the
  // sandbox could build it too, but the attack does not depend on a compiler inside.
  writeFileSync(
    join(work, 'preload.c'),
    `#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
__attribute__((constructor)) static void hit(void) {
  char line[64];
  int fd = open("${marker}", O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd < 0) return;
  int n = snprintf(line, sizeof line, "uid=%d\\n", (int)getuid());
  write(fd, line, n);
  close(fd);
}
`,
  );
  execFileSync('cc', ['-shared', '-fPIC', '-o', join(work, 'preload.so'), join(work, 'preload.c')]);
  library = readFileSync(join(work, 'preload.so'));
  box = await driver.create({});
}, 120_000);

afterAll(async () => {
  await box.destroy();
  driver.cleanupGroup();
  rmSync(driver.dataDir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
  rmSync(marker, { force: true });
});

/** The holder's host pid: the way into the sandbox's mount namespace from the host. */
function holderPid(sandbox: Sandbox): number {
  const running = JSON.parse(
    readFileSync(join(driver.sandboxesDir, sandbox.id, 'running.json'), 'utf8'),
  ) as { holderPid: number };
  return running.holderPid;
}

/** Host processes of the driver (its cgroups) that are NOT inside a sandbox's pid namespace. */
function hostSide(): { pid: number; cmdline: string; environ: string }[] {
  const ours = readlinkSync('/proc/self/ns/pid');
  return processesOf(driver.dataDir, driver.cgroupGroup).flatMap(({ pid, cmdline }) => {
    try {
      if (readlinkSync(`/proc/${pid}/ns/pid`) !== ours) return [];
      return [{ pid, cmdline, environ: readFileSync(`/proc/${pid}/environ`, 'latin1') }];
    } catch {
      return []; // Exited while we looked.
    }
  });
}

describe('the host chain runs with an environment no user input touches', () => {
  it('shows none of the command’s variables in any host-side process, while the command sees all', async () => {
    const env = {
      HANGAR_ATTACK: mark,
      LD_PRELOAD: `/nonexistent/${mark}.so`,
      LD_LIBRARY_PATH: `/nonexistent/${mark}`,
      BASH_ENV: `/tmp/${mark}.sh`,
      ENV: `/tmp/${mark}.sh`,
      PATH: `/home/user/${mark}/bin:/usr/bin:/bin`,
    };
    const stdout = new PassThrough();
    let seen = '';
    stdout.on('data', (chunk: Buffer) => (seen += chunk.toString()));
    // It waits for its stdin to close: the host side is looked at while it runs.
    const stdin = new PassThrough();
    const running = box.exec(['/bin/sh', '-c', `env; echo started-${mark}; exec cat`, 'sh'], {
      env,
      stdin,
      stdout,
    });
    try {
      expect(await eventually(() => seen.includes(`started-${mark}`), 20_000)).toBe(true);
      // The exec's own host process (sh, then nsenter, then bwrap: one pid) names the
      // command in its argv; the holder's are there too.
      const host = hostSide();
      const exec = host.find((p) => p.cmdline.includes(`started-${mark}`));
      expect(exec, JSON.stringify(host.map((p) => p.cmdline))).toBeDefined();
      expect(exec?.cmdline).toContain('bwrap');
      expect(host.length).toBeGreaterThanOrEqual(2);
      for (const p of host) {
        expect(p.environ, `${p.pid} ${p.cmdline}`).not.toContain(mark);
        expect(p.environ.split('\0').filter(Boolean).sort(), p.cmdline).toEqual(
          expect.arrayContaining([expect.stringMatching(/^PATH=/)]),
        );
        for (const name of ['LD_PRELOAD', 'LD_LIBRARY_PATH', 'BASH_ENV', 'ENV', 'HANGAR_ATTACK']) {
          expect(p.environ, p.cmdline).not.toMatch(new RegExp(`(^|\\0)${name}=`));
        }
      }
      // Inside, the command got every one of them, exactly.
      for (const [name, value] of Object.entries(env)) {
        expect(seen).toContain(`${name}=${value}\n`);
      }
    } finally {
      stdin.end();
      expect((await running).exitCode).toBe(0);
    }
  });

  it('does not run a library the sandbox wrote, named in LD_PRELOAD, on the host', async () => {
    // The sandbox writes the library on its own disk…
    const wrote = await sh(box, 'cat > /tmp/preload.so && chmod 755 /tmp/preload.so', {
      stdin: library,
    });
    expect(wrote.code, wrote.stderr).toBe(0);
    // …whose host path it learnt (from mountinfo's upperdir= before issue 11). From the
    // host's mount namespace the disk is reached through the holder's /proc/<pid>/root:
    // an attacker lists a range of pids in LD_PRELOAD (space-separated, bad ones are
    // skipped); the test names the right one.
    const upper = join(driver.sandboxesDir, box.id, 'disk/upper/root/tmp/preload.so');
    const onHost = `/proc/${holderPid(box)}/root${upper}`;
    expect(existsSync(onHost), 'the library is reachable from the host by that path').toBe(true);

    const out = await sh(box, 'echo ran', { env: { LD_PRELOAD: `${onHost} /tmp/preload.so` } });
    expect(out.stdout).toBe('ran\n');
    expect(existsSync(marker), `host root ran the sandbox's library: ${readIfThere(marker)}`).toBe(
      false,
    );

    // Inside, LD_PRELOAD is the user's business: it works, as the sandbox's user, there only.
    const inside = await sh(box, `cat ${marker}`);
    const uid = (await sh(box, 'id -u')).stdout;
    expect(uid).not.toBe('0\n');
    expect(inside.stdout).toMatch(new RegExp(`^uid=${uid}`));
  });

  it('keeps shell variables away from a host whose sh is bash (SHELLOPTS, BASH_ENV, ENV)', async () => {
    // On Fedora, RHEL or Arch /bin/sh is bash; this driver finds its `sh` where it is bash.
    const bin = join(work, 'bash-as-sh');
    mkdirSync(bin);
    symlinkSync('/bin/bash', join(bin, 'sh'));
    writeFileSync(join(work, 'startup.sh'), `touch ${marker}-startup\n`, { mode: 0o755 });
    const bashHost = new LocalDriver({
      dataDir: driver.dataDir,
      cgroupGroup: driver.cgroupGroup,
      env: { PATH: `${bin}:/usr/sbin:/usr/bin:/sbin:/bin` },
    });
    const other = await bashHost.create({});
    try {
      const out = await sh(other, 'echo "inside: $SHELLOPTS"', {
        env: {
          SHELLOPTS: 'xtrace',
          PS4: `+ host-trace ${mark} `,
          BASH_ENV: join(work, 'startup.sh'),
          ENV: join(work, 'startup.sh'),
        },
      });
      // Bash would trace the host script's lines to the exec's stderr as root.
      expect(out.stderr).not.toContain('host-trace');
      expect(out.stderr).not.toContain('+ exec');
      expect(existsSync(`${marker}-startup`)).toBe(false);
      expect(out.stdout).toBe('inside: xtrace\n');
    } finally {
      await other.destroy();
      rmSync(`${marker}-startup`, { force: true });
    }
  });
});

describe('what cannot travel is refused, clearly, before anything runs', () => {
  it('refuses a name that is not a variable name, and a value with a NUL byte', async () => {
    await expect(box.exec(['true'], { env: { 'A=B': 'x' } })).rejects.toThrow(
      /"A=B" is not a variable name/,
    );
    await expect(box.exec(['true'], { env: { 'BASH_FUNC_echo%%': '() { id; }' } })).rejects.toThrow(
      /not a variable name/,
    );
    await expect(box.exec(['true'], { env: { TOKEN: 'a\0b' } })).rejects.toThrow(
      /env\.TOKEN: the value of TOKEN contains a NUL byte/,
    );
    await expect(driver.create({ env: { '1X': 'y' } })).rejects.toThrow(/not a variable name/);
  });

  it('carries any other value exactly: empty, `--`, newlines, `=`, quotes, non-ASCII', async () => {
    const env = {
      EMPTY: '',
      DASHES: '--',
      ARGS: '--args 3 --bind / /',
      LINES: 'one\ntwo',
      EQ: 'a=b=c',
      QUOTES: `'"\`$(id)`,
      UTF: 'żółw 🐢',
    };
    const out = await sh(
      box,
      'for n in EMPTY DASHES ARGS LINES EQ QUOTES UTF; do printf "%s=[%s]\\n" "$n" "$(printenv "$n")"; done',
      {
        env,
      },
    );
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toBe(
      Object.entries(env)
        .map(([k, v]) => `${k}=[${v}]\n`)
        .join(''),
    );
  });
});

function readIfThere(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
