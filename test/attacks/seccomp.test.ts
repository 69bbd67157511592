// Attack class: the kernel's attack surface and its shared keyrings (issue 11, part 3).
// Every call the seccomp policy refuses is made from inside real sandboxes, as `user`
// and as root, with perl's syscall() (perl-base is Essential on Debian, so it is in
// every sandbox of a Debian host); host root's keyring and another sandbox's keys are
// read as an attacker would. Runs as root; fails, never skips, when it cannot.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/driver.js';
import { seccompArch } from '../../src/sandbox/seccomp.js';
import { SECCOMP_POLICY } from '../../src/sandbox/seccomp-policy.js';
import { syscallNumber, type SyscallName } from '../../src/sandbox/syscall-numbers.js';
import { run, sh, testDriver } from '../e2e/sandbox-helpers.js';

const arch = seccompArch();
const driver = testDriver();
let a: Sandbox;
let b: Sandbox;

/** An argument: a number, a C string, the pointer of a zeroed 4 KiB buffer, or own pid. */
type Arg = number | { str: string } | 'buf' | 'pid';

/** How each refused call is made: arguments a kernel without the filter would accept or
 * answer with an error other than the filter's, and that do no harm if it ran them. */
const PROBES: Partial<Record<SyscallName, Arg[]>> = {
  keyctl: [0, -4, 0], // KEYCTL_GET_KEYRING_ID of the user keyring
  add_key: [{ str: 'user' }, { str: 'hangar-probe' }, { str: 'x' }, 1, -2],
  request_key: [{ str: 'user' }, { str: 'hangar-no-such-key' }, 0, 0],
  bpf: [0, 'buf', 72],
  perf_event_open: ['buf', 0, -1, -1, 0],
  io_uring_setup: [1, 'buf'],
  io_uring_enter: [-1, 0, 0, 0, 0, 0],
  io_uring_register: [-1, 0, 0, 0],
  userfaultfd: [1], // UFFD_USER_MODE_ONLY: allowed to anyone by the kernel
  ptrace: [-1, 0, 0, 0],
  process_vm_readv: ['pid', 'buf', 0, 'buf', 0, 0],
  process_vm_writev: ['pid', 'buf', 0, 'buf', 0, 0],
  process_madvise: [-1, 0, 0, 0, 0],
  pidfd_getfd: [-1, 0, 0],
  kcmp: ['pid', 'pid', 0, 0, 0],
  kexec_load: [0, 0, 0, 0],
  kexec_file_load: [-1, -1, 0, 0, 0],
  mount: [{ str: 'none' }, { str: '/tmp' }, { str: 'tmpfs' }, 0, 0],
  umount2: [{ str: '/tmp' }, 0],
  pivot_root: [{ str: '/' }, { str: '/' }],
  setns: [-1, 0],
  fsopen: [{ str: 'tmpfs' }, 0],
  fsconfig: [-1, 0, 0, 0, 0],
  fsmount: [-1, 0, 0],
  fspick: [-100, { str: '/' }, 0],
  open_tree: [-100, { str: '/tmp' }, 0], // an O_PATH fd, without OPEN_TREE_CLONE: no privilege
  open_tree_attr: [-100, { str: '/tmp' }, 0, 0, 0],
  move_mount: [-1, { str: '' }, -1, { str: '' }, 0],
  mount_setattr: [-1, { str: '' }, 0, 0, 0],
  statmount: ['buf', 'buf', 0, 0],
  listmount: ['buf', 'buf', 0, 0],
  open_by_handle_at: [-100, 'buf', 0],
  name_to_handle_at: [-100, { str: '/' }, 'buf', 'buf', 0],
  init_module: [0, 0, { str: '' }],
  finit_module: [-1, { str: '' }, 0],
  delete_module: [{ str: 'hangar_no_such_module' }, 0],
  reboot: [0, 0, 0, 0], // bad magic: refused even with CAP_SYS_BOOT
  swapon: [{ str: '/nonexistent' }, 0],
  swapoff: [{ str: '/nonexistent' }],
  acct: [0],
  settimeofday: [0, 0],
  clock_settime: [0, 0],
  adjtimex: ['buf'], // modes 0: a read
  clock_adjtime: [0, 'buf'],
  sethostname: [{ str: 'x' }, 1],
  setdomainname: [{ str: 'x' }, 1],
  quotactl: [0, 0, 0, 0],
  quotactl_fd: [-1, 0, 0, 0],
  syslog: [10, 0, 0], // SYSLOG_ACTION_SIZE_BUFFER
  vhangup: [],
  fanotify_init: [0, 0],
  lookup_dcookie: [0, 0, 0],
  iopl: [0],
  ioperm: [0x80, 1, 0],
  lsm_get_self_attr: [100, 0, 'buf', 0],
  lsm_set_self_attr: [100, 0, 0, 0],
  lsm_list_modules: [0, 'buf', 0],
  mbind: [0, 0, 0, 0, 0, 0],
  set_mempolicy: [0, 0, 0],
  set_mempolicy_home_node: [0, 0, 0, 0],
  get_mempolicy: [0, 0, 0, 0, 0],
  migrate_pages: ['pid', 0, 0, 0],
  move_pages: ['pid', 0, 0, 0, 0, 0],
  uselib: [{ str: '/nonexistent' }],
  ustat: [0, 'buf'],
  sysfs: [3],
  _sysctl: ['buf'],
  nfsservctl: [],
  clone3: ['buf', 64], // all-zero clone_args: a plain fork without the filter
};

/** Calls with arguments the policy refuses; the plain forms are in the workload test. */
const ARG_PROBES: { label: string; name: SyscallName; args: Arg[] }[] = [
  { label: 'clone(CLONE_NEWUSER)', name: 'clone', args: [0x10000000 | 17, 0, 0, 0, 0] },
  { label: 'clone(CLONE_NEWNET)', name: 'clone', args: [0x40000000 | 17, 0, 0, 0, 0] },
  { label: 'unshare(CLONE_NEWUSER)', name: 'unshare', args: [0x10000000] },
  { label: 'unshare(CLONE_NEWTIME)', name: 'unshare', args: [0x80] },
  { label: 'personality(ADDR_NO_RANDOMIZE)', name: 'personality', args: [0x0040000] },
  { label: 'socket(AF_ALG)', name: 'socket', args: [38, 5, 0] },
  { label: 'socket(AF_VSOCK)', name: 'socket', args: [40, 1, 0] },
];

const perlArg = (arg: Arg): string =>
  arg === 'buf'
    ? '$buf'
    : arg === 'pid'
      ? '$$'
      : typeof arg === 'number'
        ? String(arg)
        : JSON.stringify(arg.str);

/**
 * A perl program that makes each call in a child of its own (so unshare or personality
 * change nothing for the next) and prints `label result errno` a line. A clone the
 * kernel let through returns 0 in the new child, which just exits.
 */
function probeScript(calls: { label: string; nr: number; args: Arg[] }[]): string {
  const lines = calls.map(
    ({ label, nr, args }) =>
      `probe(${JSON.stringify(label)}, ${[nr, ...args.map(perlArg)].join(', ')});`,
  );
  return [
    '$| = 1;',
    'our $buf = "\\0" x 4096;',
    'sub probe {',
    '  my ($label, $nr, @args) = @_;',
    '  my $pid = fork();',
    '  if ($pid == 0) {',
    '    my $r = syscall($nr, @args); my $e = $! + 0;',
    '    exit 0 if $r == 0 && $label =~ /^clone/;', // the new child of a clone let through
    '    print "$label $r $e\\n";',
    '    exit 0;',
    '  }',
    '  waitpid($pid, 0);',
    '}',
    ...lines,
  ].join('\n');
}

/** perl's syscall() for the host (the test process is root): keyctl and add_key. */
function hostPerl(script: string): string {
  return execFileSync('perl', ['-e', script], { encoding: 'utf8' });
}

const secret = `canary-${randomBytes(8).toString('hex')}`;
const keyName = `hangar-attack-${randomBytes(4).toString('hex')}`;
let hostKey = '';

beforeAll(async () => {
  [a, b] = await Promise.all([driver.create({}), driver.create({})]);
  // A secret in host root's user keyring, where root's own tools would keep one.
  hostKey = hostPerl(
    `my ($t, $d, $p) = ("user", "${keyName}", "${secret}");` +
      `print syscall(${syscallNumber('add_key', arch)}, $t, $d, $p, length($p), -4);`,
  );
  expect(Number(hostKey)).toBeGreaterThan(0);
}, 120_000);

afterAll(async () => {
  if (Number(hostKey) > 0)
    hostPerl(`syscall(${syscallNumber('keyctl', arch)}, 9, ${hostKey}, -4);`);
  await Promise.all([a.destroy(), b.destroy()]);
  driver.cleanupGroup();
  rmSync(driver.dataDir, { recursive: true, force: true });
});

/** Searches the caller's user keyring for `name` and reads it. */
const readKeyScript = (name: string) => {
  const keyctl = syscallNumber('keyctl', arch);
  return (
    `my ($t, $d) = ("user", "${name}"); my $id = syscall(${keyctl}, 10, -4, $t, $d, 0);` +
    `print "search $id ", $!+0, "\\n"; my $buf = "\\0" x 256;` +
    `my $n = syscall(${keyctl}, 11, $id, $buf, 256); print "read ", $n > 0 ? substr($buf, 0, $n) : "none", "\\n";`
  );
};

describe('kernel keyrings', () => {
  it('root in a sandbox cannot read host root’s keyring', async () => {
    const out = await run(a, ['perl', '-e', readKeyScript(keyName)], { user: 'root' });
    expect(out.stdout).not.toContain(secret);
    expect(out.stdout).toBe('search -1 1\nread none\n');
  });

  it('one sandbox’s user cannot read a key another sandbox’s user stored', async () => {
    const mine = `canary-${randomBytes(8).toString('hex')}`;
    const addKey = syscallNumber('add_key', arch);
    const add = await run(
      a,
      [
        'perl',
        '-e',
        `my ($t, $d, $p) = ("user", "sbx-key", "${mine}"); print syscall(${addKey}, $t, $d, $p, length($p), -4), " ", $!+0;`,
      ],
      { user: 'user' },
    );
    expect(add.stdout).toBe('-1 1');
    const read = await run(b, ['perl', '-e', readKeyScript('sbx-key')], { user: 'user' });
    expect(read.stdout).not.toContain(mine);
  });
});

describe.each(['user', 'root'] as const)('refused calls, as %s', (user) => {
  it('every call the policy refuses answers EPERM (ENOSYS where it says), from inside', async () => {
    const calls: { label: string; nr: number; args: Arg[] }[] = [];
    const expected: Record<string, string> = {};
    for (const rule of SECCOMP_POLICY) {
      if ('arg' in rule) continue;
      const nr = syscallNumber(rule.name, arch);
      if (nr === undefined) continue;
      const args = PROBES[rule.name];
      if (!args) throw new Error(`no probe for ${rule.name}: add one to PROBES`);
      calls.push({ label: rule.name, nr, args });
      expected[rule.name] = `-1 ${rule.errno === 'EPERM' ? 1 : 38}`;
    }
    for (const probe of ARG_PROBES) {
      const nr = syscallNumber(probe.name, arch);
      if (nr === undefined) throw new Error(`${probe.name} missing on ${arch}`);
      calls.push({ label: probe.label, nr, args: probe.args });
      expected[probe.label] = '-1 1';
    }
    // Numbers past the review, and the x32 ABI on x86_64: as if the kernel had none.
    calls.push({ label: 'unreviewed(470)', nr: 470, args: [] });
    expected['unreviewed(470)'] = '-1 38';
    if (arch === 'x86_64') {
      calls.push({ label: 'x32-keyctl', nr: 0x40000000 + 250, args: [0, -4, 0] });
      expected['x32-keyctl'] = '-1 38';
    }

    const out = await run(a, ['perl', '-e', probeScript(calls)], { user });
    expect(out.stderr).toBe('');
    const got = Object.fromEntries(
      out.stdout
        .trim()
        .split('\n')
        .map((line) => {
          const [label = '', r = '', e = ''] = line.split(' ');
          return [label, `${r} ${e}`];
        }),
    );
    expect(got).toEqual(expected);
  }, 60_000);
});

describe('what stays allowed', () => {
  it('every process of a sandbox runs under the filter, the holder too', async () => {
    const out = await sh(
      a,
      'sleep 30 >/dev/null & for s in /proc/[0-9]*/status; do grep -E "^(Name|Seccomp):" $s | tr "\\n" " "; echo; done; kill $!',
      { user: 'root' },
    );
    const lines = out.stdout.trim().split('\n');
    const sleeps = lines.filter((line) => /Name:\s+sleep/.test(line));
    expect(sleeps.length).toBeGreaterThanOrEqual(2); // the holder's and ours
    for (const line of lines.filter((l) => !/Name:\s+bwrap/.test(l))) {
      expect(line).toMatch(/Seccomp:\s+2/);
    }
  });

  it('a normal workload runs: git, node, npm, bash, ps, setpriv, dpkg, perl forks', async () => {
    const work = await sh(
      a,
      [
        'set -e',
        'cd && mkdir -p w && cd w && git init -q && git config user.email u@x && git config user.name u',
        'echo hi > f && git add f && git commit -qm first && git log --oneline | wc -l',
        "node -e \"require('node:child_process').execFileSync('true'); console.log('node ok')\"",
        'npm --version >/dev/null && echo npm ok',
        'bash -c "echo bash ok"',
        'ps -e -o comm= | grep -q sh && echo ps ok',
        'setpriv --dump | grep -q uid && echo setpriv ok',
        'dpkg -s coreutils | grep -q "install ok installed" && echo dpkg ok',
      ].join('\n'),
    );
    expect(work).toMatchObject({
      code: 0,
      stdout: '1\nnode ok\nnpm ok\nbash ok\nps ok\nsetpriv ok\ndpkg ok\n',
    });
    const clone = syscallNumber('clone', arch);
    const personality = syscallNumber('personality', arch);
    const socket = syscallNumber('socket', arch);
    const unshare = syscallNumber('unshare', arch);
    const calls = await run(
      a,
      [
        'perl',
        '-e',
        [
          `my $r = syscall(${clone}, 17, 0, 0, 0, 0); exit 0 if $r == 0; waitpid($r, 0); print "fork ", $r > 0 ? "ok" : $!+0, "\\n";`,
          `print "personality ", syscall(${personality}, 0xffffffff) >= 0 ? "ok" : $!+0, "\\n";`,
          `print "unix socket ", syscall(${socket}, 1, 1, 0) >= 0 ? "ok" : $!+0, "\\n";`,
          `print "unshare files ", syscall(${unshare}, 0x400) == 0 ? "ok" : $!+0, "\\n";`,
        ].join(''),
      ],
      { user: 'user' },
    );
    expect(calls.stdout).toBe('fork ok\npersonality ok\nunix socket ok\nunshare files ok\n');
  });
});
