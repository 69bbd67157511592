import { endianness } from 'node:os';
import { HangarError } from '../errors.js';
import type { SeccompRule } from './seccomp-policy.js';
import { LAST_REVIEWED_SYSCALL, syscallNumber, type SeccompArch } from './syscall-numbers.js';

/**
 * A seccomp filter as a classic-BPF program, the bytes bwrap's `--seccomp FD` loads
 * (an array of `struct sock_filter`). Built here rather than by libseccomp so no native
 * addon or build step is needed; the program is small and its shape fixed:
 *
 *   arch != ours             → kill the process (a 32-bit int 0x80 call would otherwise
 *                              reach syscalls under other numbers, past every rule)
 *   nr ≥ 0x40000000 (x86_64) → ENOSYS: the x32 ABI, as on a kernel built without it
 *   nr > LAST_REVIEWED       → ENOSYS: newer than the policy's review
 *   one block per rule       → EPERM / ENOSYS, or a check of args[i]'s low 32 bits
 *   otherwise                → allow
 *
 * Every rule returns inside its own block, so jumps stay short (BPF jumps are 8-bit).
 * Rules that test only the call number let the kernel cache "always allowed" per call
 * (seccomp's action cache, Linux 5.11+), so allowed calls cost almost nothing.
 */

/** `struct sock_filter`: one instruction. */
export interface BpfInstruction {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

// Classic BPF opcodes (linux/bpf_common.h) and seccomp return values (linux/seccomp.h).
const LD_W_ABS = 0x20;
const JEQ_K = 0x15;
const JGT_K = 0x25;
const JGE_K = 0x35;
const JSET_K = 0x45;
const RET_K = 0x06;

export const SECCOMP_RET_KILL_PROCESS = 0x80000000;
export const SECCOMP_RET_ERRNO = 0x00050000;
export const SECCOMP_RET_ALLOW = 0x7fff0000;
export const ERRNO = { EPERM: 1, ENOSYS: 38 } as const;

/** AUDIT_ARCH_* values: the ELF machine | 64-bit | little-endian. */
export const AUDIT_ARCH: Record<SeccompArch, number> = {
  x86_64: 0xc000003e,
  aarch64: 0xc00000b7,
};
const X32_SYSCALL_BIT = 0x40000000;

/** Offsets in `struct seccomp_data`: nr, arch, instruction_pointer, args[6]. */
const NR = 0;
const ARCH = 4;
/** The low 32 bits of args[i] (both supported arches are little-endian). */
const argLow = (i: number): number => 16 + 8 * i;

const ld = (offset: number): BpfInstruction => ({ code: LD_W_ABS, jt: 0, jf: 0, k: offset });
const jump = (code: number, k: number, jt: number, jf: number): BpfInstruction => ({
  code,
  jt,
  jf,
  k: k >>> 0,
});
const ret = (k: number): BpfInstruction => ({ code: RET_K, jt: 0, jf: 0, k: k >>> 0 });
const errno = (name: keyof typeof ERRNO): number => SECCOMP_RET_ERRNO | ERRNO[name];

/** The seccomp arch of this Node process's machine; others have no filter and no sandbox. */
export function seccompArch(nodeArch: string = process.arch): SeccompArch {
  if (endianness() !== 'LE') throw unsupported(`${nodeArch} (big-endian)`);
  if (nodeArch === 'x64') return 'x86_64';
  if (nodeArch === 'arm64') return 'aarch64';
  throw unsupported(nodeArch);
}

function unsupported(arch: string): HangarError {
  return new HangarError(
    'sandbox_unavailable',
    503,
    `Sandboxes need a seccomp filter, built for x86_64 and aarch64 only; this machine is ${arch}.`,
  );
}

/** The instructions of one rule's block; it ends in returns, the next rule follows. */
function ruleBlock(rule: SeccompRule, nr: number): BpfInstruction[] {
  const refuse = ret(errno(rule.errno));
  if (!('arg' in rule)) return [jump(JEQ_K, nr, 0, 1), refuse];
  let body: BpfInstruction[];
  if ('anyBit' in rule) {
    body = [ld(argLow(rule.arg)), jump(JSET_K, rule.anyBit, 0, 1), refuse, ret(SECCOMP_RET_ALLOW)];
  } else if ('allowed' in rule) {
    const n = rule.allowed.length;
    // Value i matches → jump over the rest of the checks and the refusal, to allow.
    const checks = rule.allowed.map((value, i) => jump(JEQ_K, value, n - i, 0));
    body = [ld(argLow(rule.arg)), ...checks, refuse, ret(SECCOMP_RET_ALLOW)];
  } else {
    const n = rule.refused.length;
    // Value i matches → jump over the rest of the checks and the allow, to refuse.
    const checks = rule.refused.map((value, i) => jump(JEQ_K, value, n - i, 0));
    body = [ld(argLow(rule.arg)), ...checks, ret(SECCOMP_RET_ALLOW), refuse];
  }
  return [jump(JEQ_K, nr, 0, body.length), ...body];
}

/** The filter's instructions for `arch`; rules naming a call the arch lacks are skipped. */
export function seccompProgram(
  policy: readonly SeccompRule[],
  arch: SeccompArch,
): BpfInstruction[] {
  const program: BpfInstruction[] = [
    ld(ARCH),
    jump(JEQ_K, AUDIT_ARCH[arch], 1, 0),
    ret(SECCOMP_RET_KILL_PROCESS),
    ld(NR),
  ];
  if (arch === 'x86_64') program.push(jump(JGE_K, X32_SYSCALL_BIT, 0, 1), ret(errno('ENOSYS')));
  program.push(jump(JGT_K, LAST_REVIEWED_SYSCALL, 0, 1), ret(errno('ENOSYS')));
  const seen = new Set<number>();
  for (const rule of policy) {
    const nr = syscallNumber(rule.name, arch);
    if (nr === undefined) continue;
    // A second rule for a call would never run: the first one's block always returns.
    if (seen.has(nr)) throw new Error(`seccomp policy: ${rule.name} has two rules`);
    seen.add(nr);
    program.push(...ruleBlock(rule, nr));
  }
  program.push(ret(SECCOMP_RET_ALLOW));
  return program;
}

/** BPF_MAXINSNS: the kernel refuses longer programs. */
const MAX_INSTRUCTIONS = 4096;

/** The program as bytes for `--seccomp FD`: 8 bytes an instruction, the host's byte order. */
export function encodeProgram(program: readonly BpfInstruction[]): Buffer {
  if (program.length > MAX_INSTRUCTIONS) {
    throw new Error(`seccomp program has ${program.length} instructions, over ${MAX_INSTRUCTIONS}`);
  }
  const bytes = Buffer.alloc(program.length * 8);
  program.forEach(({ code, jt, jf, k }, i) => {
    const isJump = (code & 0x07) === 0x05;
    if (jt > 255 || jf > 255 || (isJump && i + 1 + Math.max(jt, jf) >= program.length)) {
      throw new Error(`seccomp program: jump out of range at instruction ${i}`);
    }
    bytes.writeUInt16LE(code, i * 8);
    bytes.writeUInt8(jt, i * 8 + 2);
    bytes.writeUInt8(jf, i * 8 + 3);
    bytes.writeUInt32LE(k, i * 8 + 4);
  });
  return bytes;
}

/** The compiled filter every sandbox process runs under, for this machine. */
export function compileSeccomp(policy: readonly SeccompRule[], arch = seccompArch()): Buffer {
  return encodeProgram(seccompProgram(policy, arch));
}
