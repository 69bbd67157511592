import { describe, expect, it } from 'vitest';
import {
  AUDIT_ARCH,
  compileSeccomp,
  encodeProgram,
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_ERRNO,
  SECCOMP_RET_KILL_PROCESS,
  seccompArch,
  seccompProgram,
} from './seccomp.js';
import { CLONE_NAMESPACES, SECCOMP_POLICY } from './seccomp-policy.js';
import { SYSCALLS, syscallNumber, type SeccompArch, type SyscallName } from './syscall-numbers.js';

/**
 * Runs an encoded filter as the kernel would (the subset of classic BPF the assembler
 * emits: absolute word loads, jeq/jgt/jge/jset with a constant, return a constant)
 * against one `struct seccomp_data`.
 */
function run(bytes: Buffer, data: { arch: number; nr: number; args?: number[] }): number {
  const seccompData = Buffer.alloc(64);
  seccompData.writeInt32LE(data.nr, 0);
  seccompData.writeUInt32LE(data.arch, 4);
  (data.args ?? []).forEach((arg, i) => {
    seccompData.writeBigUInt64LE(BigInt(arg), 16 + 8 * i);
  });
  let acc = 0;
  for (let pc = 0; pc < bytes.length / 8; pc++) {
    const code = bytes.readUInt16LE(pc * 8);
    const jt = bytes.readUInt8(pc * 8 + 2);
    const jf = bytes.readUInt8(pc * 8 + 3);
    const k = bytes.readUInt32LE(pc * 8 + 4);
    switch (code) {
      case 0x20:
        acc = seccompData.readUInt32LE(k);
        break;
      case 0x06:
        return k;
      case 0x15:
        pc += acc === k ? jt : jf;
        break;
      case 0x25:
        pc += acc > k ? jt : jf;
        break;
      case 0x35:
        pc += acc >= k ? jt : jf;
        break;
      case 0x45:
        pc += (acc & k) !== 0 ? jt : jf;
        break;
      default:
        throw new Error(`unknown opcode ${code} at ${pc}`);
    }
  }
  throw new Error('fell off the end of the program');
}

const EPERM = SECCOMP_RET_ERRNO | 1;
const ENOSYS = SECCOMP_RET_ERRNO | 38;
const ARCHES: SeccompArch[] = ['x86_64', 'aarch64'];

describe.each(ARCHES)('seccomp filter for %s', (arch) => {
  const bytes = compileSeccomp(SECCOMP_POLICY, arch);
  const call = (name: SyscallName, args: number[] = []) => {
    const nr = syscallNumber(name, arch);
    if (nr === undefined) throw new Error(`${name} is not a call on ${arch}`);
    return run(bytes, { arch: AUDIT_ARCH[arch], nr, args });
  };

  it('refuses every listed call with its errno', () => {
    for (const rule of SECCOMP_POLICY) {
      if ('arg' in rule || syscallNumber(rule.name, arch) === undefined) continue;
      expect([rule.name, call(rule.name)]).toEqual([
        rule.name,
        rule.errno === 'EPERM' ? EPERM : ENOSYS,
      ]);
    }
  });

  it('allows calls it does not list', () => {
    expect(call('getpid')).toBe(SECCOMP_RET_ALLOW);
    expect(call('inotify_init1', [0])).toBe(SECCOMP_RET_ALLOW);
    expect(run(bytes, { arch: AUDIT_ARCH[arch], nr: 0 })).toBe(SECCOMP_RET_ALLOW);
  });

  it('kills a process calling in another architecture', () => {
    const other = arch === 'x86_64' ? AUDIT_ARCH.aarch64 : AUDIT_ARCH.x86_64;
    expect(run(bytes, { arch: other, nr: 0 })).toBe(SECCOMP_RET_KILL_PROCESS);
    // i386 (int 0x80 from a 64-bit process): AUDIT_ARCH_I386.
    expect(run(bytes, { arch: 0x40000003, nr: 0 })).toBe(SECCOMP_RET_KILL_PROCESS);
  });

  it('answers ENOSYS above the reviewed numbers', () => {
    expect(run(bytes, { arch: AUDIT_ARCH[arch], nr: 470 })).toBe(ENOSYS);
    expect(run(bytes, { arch: AUDIT_ARCH[arch], nr: 469 })).toBe(SECCOMP_RET_ALLOW);
  });

  it('refuses clone into new namespaces, allows a plain fork or thread', () => {
    const SIGCHLD = 17;
    expect(call('clone', [0x10000000 | SIGCHLD])).toBe(EPERM); // CLONE_NEWUSER
    expect(call('clone', [0x40000000 | SIGCHLD])).toBe(EPERM); // CLONE_NEWNET
    expect(call('clone', [0x00020000])).toBe(EPERM); // CLONE_NEWNS
    expect(call('clone', [SIGCHLD])).toBe(SECCOMP_RET_ALLOW);
    expect(call('clone', [0x003d0f00])).toBe(SECCOMP_RET_ALLOW); // glibc's pthread flags
    // Bits above 32 are not namespaces: a check on the low word is the kernel's view.
    expect(call('clone', [2 ** 32 + SIGCHLD])).toBe(SECCOMP_RET_ALLOW);
    expect(CLONE_NAMESPACES & 0xff).toBe(0);
  });

  it('refuses unshare of namespaces (CLONE_NEWTIME too), allows files and fs', () => {
    expect(call('unshare', [0x10000000])).toBe(EPERM);
    expect(call('unshare', [0x80])).toBe(EPERM);
    expect(call('unshare', [0x400 | 0x200])).toBe(SECCOMP_RET_ALLOW); // CLONE_FILES | CLONE_FS
  });

  it('allows only the safe personalities', () => {
    for (const value of [0, 8, 0x20000, 0x20008, 0xffffffff]) {
      expect(call('personality', [value])).toBe(SECCOMP_RET_ALLOW);
    }
    expect(call('personality', [0x0040000])).toBe(EPERM); // ADDR_NO_RANDOMIZE
    expect(call('personality', [0x0400000])).toBe(EPERM); // READ_IMPLIES_EXEC
  });

  it('refuses AF_ALG and AF_VSOCK sockets only', () => {
    expect(call('socket', [38])).toBe(EPERM);
    expect(call('socket', [40])).toBe(EPERM);
    for (const family of [1, 2, 10, 16, 39, 41]) {
      expect(call('socket', [family])).toBe(SECCOMP_RET_ALLOW);
    }
  });
});

describe('seccomp program', () => {
  it('denies the x32 ABI on x86_64 with ENOSYS', () => {
    const bytes = compileSeccomp(SECCOMP_POLICY, 'x86_64');
    const keyctl = 0x40000000 + 250;
    expect(run(bytes, { arch: AUDIT_ARCH.x86_64, nr: keyctl })).toBe(ENOSYS);
    expect(run(bytes, { arch: AUDIT_ARCH.x86_64, nr: 0x40000000 })).toBe(ENOSYS);
  });

  it('skips calls an arch lacks, and names each call once', () => {
    const x86 = seccompProgram(SECCOMP_POLICY, 'x86_64');
    const arm = seccompProgram(SECCOMP_POLICY, 'aarch64');
    expect(arm.length).toBeLessThan(x86.length);
    expect(() =>
      seccompProgram(
        [...SECCOMP_POLICY, { name: 'keyctl', errno: 'EPERM', why: 'twice' }],
        'x86_64',
      ),
    ).toThrow(/keyctl has two rules/);
  });

  it('encodes 8 bytes an instruction and refuses out-of-range jumps', () => {
    const program = seccompProgram(SECCOMP_POLICY, 'x86_64');
    expect(encodeProgram(program)).toHaveLength(program.length * 8);
    expect(() => encodeProgram([{ code: 0x15, jt: 5, jf: 0, k: 0 }])).toThrow(/out of range/);
  });

  it('knows every call of the policy on x86_64, and this machine’s arch', () => {
    for (const rule of SECCOMP_POLICY) expect(SYSCALLS[rule.name].x86_64).toBeTypeOf('number');
    expect(seccompArch('x64')).toBe('x86_64');
    expect(seccompArch('arm64')).toBe('aarch64');
    expect(() => seccompArch('riscv64')).toThrow(/x86_64 and aarch64 only/);
  });
});
