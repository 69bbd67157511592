// The sandbox's promises (issue 3, DESIGN.md invariants 1, 2 and 5), each attacked
// against a real driver: the local one (bubblewrap, overlayfs, cgroups) in
// test/e2e/sandbox-isolation.test.ts, the Docker one (a real dockerd) in
// test/docker/sandbox-isolation.test.ts. Where the Docker driver differs, the test
// asserts what the README says it does ("Docker driver"), never skips.
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox, SandboxDriver } from '../../src/sandbox/driver.js';
import { DEFAULT_UID_RANGE } from '../../src/sandbox/uid-range.js';
import { minimalImage } from './images.js';
import { sh } from './sandbox-helpers.js';

const token = () => `canary-${randomBytes(8).toString('hex')}`;

/** A driver under test in a fresh data dir. */
export interface SuiteDriver {
  driver: SandboxDriver;
  dataDir: string;
  /** Where a sandbox's files are on the host, if the driver keeps them there. */
  sandboxDir?: (id: string) => string;
  /** Removes what the driver left (its data dir, cgroup group, containers). */
  cleanup: () => void | Promise<void>;
}

export type SuiteDriverName = 'local' | 'docker';

interface SuiteBase {
  name: string;
  /** Prepares the base in `dataDir`; returns the rootfs to name in specs (undefined: the default). */
  root: (dataDir: string) => Promise<string | undefined>;
}

/** What each driver does where they differ: the README's "Docker driver" section lists these. */
const DRIVERS: Record<
  SuiteDriverName,
  {
    /**
     * Each promise holds whatever the sandbox's root is: for the local driver, the
     * host's own /usr and /opt (no image) or the `minimal` image; the Docker driver
     * runs on images only, its default being the data dir's `minimal`.
     */
    bases: SuiteBase[];
    /** The uids `user` may have: one of its own per sandbox locally, 1000 in Docker. */
    uids: { first: number; last: number };
    /** The sandbox's pid 1 (ps's comm). */
    init: string;
    /** /dev entries beyond the shared minimum (Docker mounts a POSIX message queue fs). */
    moreDev: string[];
  }
> = {
  local: {
    bases: [
      { name: "the host's view", root: () => Promise.resolve(undefined) },
      { name: 'the minimal image', root: (dataDir) => minimalImage(dataDir) },
    ],
    uids: DEFAULT_UID_RANGE,
    init: 'bwrap',
    moreDev: [],
  },
  docker: {
    bases: [
      {
        name: 'the default image (minimal)',
        root: async (dataDir) => {
          await minimalImage(dataDir);
          return undefined;
        },
      },
    ],
    uids: { first: 1000, last: 1000 },
    init: 'docker-init',
    moreDev: ['mqueue'],
  },
};

/** The isolation suite against one driver; `makeDriver` gives a fresh one per base. */
export function isolationSuite(driverName: SuiteDriverName, makeDriver: () => SuiteDriver): void {
  const differs = DRIVERS[driverName];
  describe.each(differs.bases)(`${driverName} driver on $name`, ({ root }) => {
    const tested = makeDriver();
    const { driver } = tested;
    let base: { rootfs?: string } = {};
    let a: Sandbox;
    let b: Sandbox;

    beforeAll(async () => {
      const rootfs = await root(tested.dataDir);
      base = rootfs === undefined ? {} : { rootfs };
      [a, b] = await Promise.all([driver.create({ ...base }), driver.create({ ...base })]);
    }, 20 * 60_000);

    afterAll(async () => {
      await Promise.all([a.destroy(), b.destroy()]);
      await tested.cleanup();
    });

    describe('users', () => {
      it('runs commands as user, with its uid (see DRIVERS), in /home/user', async () => {
        const out = await sh(a, 'id -u; id -g; id -un; pwd; echo $HOME');
        const [uid = '', gid] = out.stdout.split('\n');
        expect(Number(uid)).toBeGreaterThanOrEqual(differs.uids.first);
        expect(Number(uid)).toBeLessThanOrEqual(differs.uids.last);
        expect(gid).toBe(uid);
        expect(out).toMatchObject({
          code: 0,
          stdout: `${uid}\n${uid}\nuser\n/home/user\n/home/user\n`,
        });
      });

      it('runs commands as root inside when asked, with a root home', async () => {
        const out = await sh(a, 'id -u; pwd', { user: 'root' });
        expect(out.stdout).toBe('0\n/root\n');
      });

      it('streams stdin in and reports the exit code', async () => {
        expect(await sh(a, 'cat; exit 3', { stdin: 'piped in' })).toMatchObject({
          code: 3,
          stdout: 'piped in',
        });
      });

      it('gives user no capabilities and no way to gain privileges', async () => {
        const out = await sh(a, 'grep -E "^(CapEff|CapPrm|NoNewPrivs)" /proc/self/status');
        expect(out.stdout).toMatch(/CapPrm:\s+0000000000000000/);
        expect(out.stdout).toMatch(/CapEff:\s+0000000000000000/);
        expect(out.stdout).toMatch(/NoNewPrivs:\s+1/);
        // A setuid-root copy of `id`, made by root inside, does not make user root.
        const made = await sh(a, 'cp /usr/bin/id /tmp/suid-id && chmod 4755 /tmp/suid-id', {
          user: 'root',
        });
        expect(made.code).toBe(0);
        expect((await sh(a, '/tmp/suid-id -u')).stdout).toBe((await sh(a, 'id -u')).stdout);
        expect((await sh(a, '/tmp/suid-id -u')).stdout).not.toBe('0\n');
        expect((await sh(a, 'su -c id root </dev/null; echo rc=$?')).stdout).toMatch(/rc=[1-9]/);
      });
    });

    describe('filesystem', () => {
      it('keeps writes in the sandbox: not on the host, not in another sandbox', async () => {
        const mark = token();
        const root = await sh(
          a,
          `echo ${mark} > /usr/local/bin/${mark} && echo ${mark} > /etc/${mark} && echo ${mark} > /opt/${mark} && echo ${mark} > /${mark}`,
          { user: 'root' },
        );
        expect(root).toMatchObject({ code: 0, stderr: '' });
        expect((await sh(a, `echo ${mark} > /home/user/${mark} && cat /etc/${mark}`)).stdout).toBe(
          `${mark}\n`,
        );
        for (const path of [`/usr/local/bin/${mark}`, `/etc/${mark}`, `/opt/${mark}`, `/${mark}`]) {
          expect(existsSync(path), path).toBe(false);
        }
        const other = await sh(
          b,
          `ls /usr/local/bin/${mark} /etc/${mark} /opt/${mark} /home/user/${mark} /${mark}`,
        );
        expect(other.code).not.toBe(0);
        expect(other.stdout).toBe('');
      });

      it('lets user write only its home and the temp dirs', async () => {
        const out = await sh(
          a,
          'for p in /usr/x /etc/x /opt/x /var/lib/dpkg/x /root/x /x; do touch $p 2>/dev/null && echo "wrote $p"; done; touch /home/user/ok /tmp/ok /var/tmp/ok && echo fine',
        );
        expect(out.stdout).toBe('fine\n');
      });

      it('installs a .deb as root, for that sandbox only', async () => {
        const work = mkdtempSync(join(tmpdir(), 'hangar-deb-'));
        const pkg = join(work, 'pkg');
        mkdirSync(join(pkg, 'DEBIAN'), { recursive: true });
        mkdirSync(join(pkg, 'usr/bin'), { recursive: true });
        writeFileSync(
          join(pkg, 'DEBIAN/control'),
          'Package: hangar-hello\nVersion: 1.0\nArchitecture: all\nMaintainer: Hangar tests <tests@hangar.invalid>\nDescription: says hello\n',
        );
        writeFileSync(
          join(pkg, 'usr/bin/hangar-hello'),
          '#!/bin/sh\necho "hello from a package"\n',
          {
            mode: 0o755,
          },
        );
        execFileSync('dpkg-deb', ['--build', '--root-owner-group', pkg, join(work, 'hello.deb')], {
          stdio: 'ignore',
        });
        const deb = readFileSync(join(work, 'hello.deb'));
        rmSync(work, { recursive: true, force: true });

        const installed = await sh(a, 'cat > /tmp/hello.deb && dpkg -i /tmp/hello.deb', {
          user: 'root',
          stdin: deb,
        });
        expect(installed.code, installed.stderr).toBe(0);
        expect(await sh(a, 'hangar-hello && dpkg -s hangar-hello | grep Status')).toMatchObject({
          code: 0,
          stdout: 'hello from a package\nStatus: install ok installed\n',
        });
        expect(existsSync('/usr/bin/hangar-hello')).toBe(false);
        expect(readFileSync('/var/lib/dpkg/status', 'utf8')).not.toContain('hangar-hello');
        expect((await sh(b, 'command -v hangar-hello; dpkg -s hangar-hello')).code).not.toBe(0);
      });

      it('keeps home and installed files across stop and start, and no process', async () => {
        const box = await driver.create({ ...base });
        try {
          const mark = token();
          await sh(box, `echo ${mark} > ~/kept`);
          await sh(box, `echo ${mark} > /usr/local/bin/kept-${mark}`, { user: 'root' });
          void box.exec(['sleep', '300']);
          await new Promise((resolve) => setTimeout(resolve, 200));
          await box.stop();
          expect(box.state()).toBe('stopped');
          expect((await box.stats()).pids).toBe(0);
          await expect(box.exec(['true'])).rejects.toThrow(/stopped/);
          await box.start();
          const out = await sh(
            box,
            `cat ~/kept /usr/local/bin/kept-${mark}; ps -eo args= | grep -x "sleep 300" || echo none`,
          );
          expect(out.stdout).toBe(`${mark}\n${mark}\nnone\n`);
        } finally {
          await box.destroy();
        }
      });
    });

    describe('nothing of the host is visible', () => {
      const planted: string[] = [];
      const mark = token();
      let socketServer: Server;
      let abstractServer: Server;
      const socketPath = join(tmpdir(), `${mark}.sock`);

      beforeAll(async () => {
        const plant = (path: string, mode = 0o644) => {
          mkdirSync(join(path, '..'), { recursive: true });
          writeFileSync(path, `${mark}\n`, { mode });
          planted.push(path);
        };
        plant(`/root/${mark}`);
        plant(`/home/${mark}-person/secret`);
        plant(`/tmp/${mark}`);
        plant(`/etc/${mark}`); // a new file in /etc: the base copies only what it knows
        plant(join(tested.dataDir, 'admin-token'), 0o600);
        plant(join(tested.dataDir, 'db', 'PG_VERSION'));
        if (tested.sandboxDir) plant(join(tested.sandboxDir(b.id), mark));
        await sh(b, `echo ${mark} > ~/b-secret`);
        socketServer = createServer((s) => s.end('host socket\n')).listen(socketPath);
        abstractServer = createServer((s) => s.end('host socket\n')).listen(`\0${mark}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      });

      afterAll(() => {
        for (const path of planted) rmSync(path, { force: true });
        rmSync(`/home/${mark}-person`, { recursive: true, force: true });
        socketServer.close();
        abstractServer.close();
      });

      it('has none of the planted files, by path or by content', async () => {
        for (const path of planted) {
          const out = await sh(a, `cat '${path}'`, { user: 'root' });
          expect(out.code, path).not.toBe(0);
        }
        const search = await sh(
          a,
          `grep -rls ${mark} /etc /home /root /tmp /var /run /srv /mnt /media; ls /home`,
          { user: 'root' },
        );
        expect(search.stdout).toBe('user\n');
      });

      it('shows no host process', async () => {
        const out = await sh(a, 'ps -eo pid=,comm=');
        const comms = out.stdout
          .trim()
          .split('\n')
          .map((l) => l.trim().split(/\s+/)[1]);
        expect(comms).not.toContain('node');
        expect(comms.length).toBeLessThanOrEqual(6); // pid 1, the holder, this exec's sh, ps
        expect(out.stdout).toMatch(new RegExp(`^\\s*1 ${differs.init}$`, 'm'));
      });

      it('cannot connect to host unix sockets, by path or abstract name', async () => {
        // perl-base is in every Debian base (socat is not in the image): a client for both.
        const connect = `timeout 3 perl -MIO::Socket::UNIX -e 'my $p = $ARGV[1] ? "\\0$ARGV[0]" : $ARGV[0]; my $s = IO::Socket::UNIX->new(Peer => $p) or exit 1; print <$s>'`;
        const out = await sh(
          a,
          `${connect} '${socketPath}'; echo rc=$?; ${connect} '${mark}' abstract; echo rc=$?`,
        );
        expect(out.stdout).not.toContain('host socket');
        expect(out.stdout).toMatch(/rc=[1-9][0-9]*\nrc=[1-9]/);
      });

      it('carries no credential from the host environment', async () => {
        process.env.ANTHROPIC_API_KEY = `sk-${mark}`;
        process.env.GITHUB_TOKEN = `ghp_${mark}`;
        try {
          const out = await sh(a, 'env; cat /proc/*/environ 2>/dev/null | tr "\\0" "\\n"', {
            user: 'root',
          });
          expect(out.stdout).not.toContain(mark);
        } finally {
          delete process.env.ANTHROPIC_API_KEY;
          delete process.env.GITHUB_TOKEN;
        }
      });
    });

    describe('network', () => {
      let tcp: Server;
      let udp: UdpSocket;
      let tcpPort = 0;
      let udpPort = 0;
      const hostAddress =
        Object.values(networkInterfaces())
          .flat()
          .find((i) => i?.family === 'IPv4' && !i.internal)?.address ?? '127.0.0.1';

      beforeAll(async () => {
        tcp = createServer((s) => s.end('reached the host\n'));
        await new Promise<void>((resolve) => tcp.listen(0, '0.0.0.0', resolve));
        tcpPort = (tcp.address() as { port: number }).port;
        udp = createSocket('udp4');
        udp.on('message', (_msg, from) => udp.send('answer', from.port, from.address));
        await new Promise<void>((resolve) => udp.bind(0, '0.0.0.0', resolve));
        udpPort = udp.address().port;
      });

      afterAll(() => {
        tcp.close();
        udp.close();
      });

      it('has only a loopback interface', async () => {
        const out = await sh(a, "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '");
        expect(out.stdout).toBe('lo\n');
      });

      it('cannot open a TCP connection to the host, by its address or by 127.0.0.1', async () => {
        // The servers are really there: the host reaches them.
        const { stdout } = await promisify(execFile)('bash', [
          '-c',
          `timeout 5 cat < /dev/tcp/${hostAddress}/${tcpPort}`,
        ]);
        expect(stdout).toBe('reached the host\n');
        const out = await sh(
          a,
          `for h in ${hostAddress} 127.0.0.1; do timeout 3 bash -c "cat < /dev/tcp/$h/${tcpPort}" 2>&1; echo "rc=$?"; done`,
        );
        expect(out.stdout).not.toContain('reached the host');
        expect(out.stdout).toMatch(/unreachable|refused/i);
      });

      it('cannot send a UDP DNS query or resolve a name', async () => {
        const client = `'my $s = IO::Socket::INET->new(PeerAddr => $ARGV[0], Proto => "udp") or exit 1; local $/; $s->send(<STDIN>) or exit 2; $s->recv(my $a, 512); print $a'`;
        // A DNS query for hangar.invalid, type A, sent at a UDP server on the host that answers anything.
        const query =
          '\\x12\\x34\\x01\\x00\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x06hangar\\x07invalid\\x00\\x00\\x01\\x00\\x01';
        const out = await sh(
          a,
          `printf '${query}' | timeout 3 perl -MIO::Socket::INET -e ${client} ${hostAddress}:${udpPort} 2>&1; echo "rc=$?"; getent hosts hangar.invalid; echo "getent=$?"`,
        );
        expect(out.stdout).not.toContain('answer');
        expect(out.stdout).toMatch(/rc=[1-9]/);
        expect(out.stdout).toMatch(/getent=[1-9]/);
      });
    });

    describe('gateway', () => {
      it('reaches its gateway socket at 127.0.0.1:<port> and nothing else', async () => {
        const dir = mkdtempSync(join(tmpdir(), 'hangar-gw-'));
        const socket = join(dir, 'gateway.sock');
        const server = createServer((s) => {
          s.once('data', (data) => s.end(`gateway got ${data.toString().trim()}\n`));
        });
        await new Promise<void>((resolve) => server.listen(socket, resolve));
        const box = await driver.create({ gatewaySocket: socket, gatewayPort: 3128, ...base });
        try {
          expect(box.gateway).toBe('127.0.0.1:3128');
          const out = await sh(
            box,
            'echo "$HANGAR_GATEWAY"; bash -c "exec 3<>/dev/tcp/127.0.0.1/3128; echo hello >&3; cat <&3"',
          );
          expect(out).toMatchObject({ code: 0, stdout: '127.0.0.1:3128\ngateway got hello\n' });
          expect((await sh(box, `ls ${socket} ${dir}`, { user: 'root' })).code).not.toBe(0);
          expect((await sh(box, 'ps -eo comm=')).stdout).not.toContain('socat');
        } finally {
          await box.destroy();
          server.close();
          rmSync(dir, { recursive: true, force: true });
        }
      });

      it('has no network without one', async () => {
        expect(a.gateway).toBeUndefined();
        const out = await sh(
          a,
          'echo "${HANGAR_GATEWAY-unset}"; timeout 2 bash -c "echo > /dev/tcp/127.0.0.1/3128"; echo rc=$?',
        );
        expect(out.stdout).toMatch(/^unset\nrc=[1-9]/);
      });
    });

    describe('hygiene', () => {
      it('runs each command in a new session with no terminal', async () => {
        const out = await sh(
          a,
          'test "$(ps -o sid= -p $$ | tr -d " ")" = "$$" && echo leader; [ -t 0 ] || [ -t 1 ] || echo no-tty; (exec </dev/tty) 2>/dev/null || echo no-ctty',
        );
        expect(out.stdout).toBe('leader\nno-tty\nno-ctty\n');
      });

      it('has a minimal /dev', async () => {
        const out = await sh(a, 'ls /dev');
        const allowed = [
          'core',
          'fd',
          'full',
          'null',
          'ptmx',
          'pts',
          'random',
          'shm',
          'stderr',
          'stdin',
          'stdout',
          'tty',
          'urandom',
          'zero',
          ...differs.moreDev,
        ];
        for (const entry of out.stdout.trim().split('\n')) expect(allowed).toContain(entry);
      });

      it('keeps root inside away from host-wide kernel knobs', async () => {
        const before = readFileSync('/proc/sys/kernel/core_pattern', 'utf8');
        const out = await sh(
          a,
          [
            'echo "|/tmp/pwn" > /proc/sys/kernel/core_pattern && echo wrote-core-pattern',
            'echo 1 > /proc/sys/vm/drop_caches && echo wrote-drop-caches',
            'echo b > /proc/sysrq-trigger 2>/dev/null && echo wrote-sysrq',
            'mount -t tmpfs none /mnt && echo mounted',
            'cat /proc/keys | grep . && echo read-keys',
            'ls /sys | grep . && echo has-sys',
            'mknod /tmp/disk b 254 0 && echo mknod',
            'true',
          ].join('; '),
          { user: 'root' },
        );
        expect(out.stdout).toBe('');
        expect(readFileSync('/proc/sys/kernel/core_pattern', 'utf8')).toBe(before);
      });
    });

    describe('check-tools', () => {
      it('lists the tools the base provides, with versions', async () => {
        const out = await sh(a, 'check-tools');
        expect(out.code).toBe(0);
        expect(out.stdout).toMatch(/^CATEGORY\s+TOOL\s+VERSION\n/);
        expect(out.stdout).toMatch(/^Utilities\s+bash\s+[0-9]+\.[0-9]+/m);
        expect(out.stdout).toMatch(/^Utilities\s+dpkg\s+[0-9]+\.[0-9]+/m);
      });
    });
  });
}
