/**
 * System call numbers of the architectures sandboxes run on, for the names the seccomp
 * policy (seccomp-policy.ts) and its tests use. From the kernel's tables:
 * arch/x86/entry/syscalls/syscall_64.tbl (x86_64, the 64-bit ABI) and
 * include/uapi/asm-generic/unistd.h (aarch64). A name missing for an arch does not
 * exist there (aarch64 never had uselib, ustat, sysfs, _sysctl, iopl, ioperm).
 * Since Linux 5.1 every new call has one number on all architectures (424 and up).
 */
export const SYSCALLS = {
  // Called by the policy's argument rules and by the tests, not denied outright.
  clone: { x86_64: 56, aarch64: 220 },
  unshare: { x86_64: 272, aarch64: 97 },
  personality: { x86_64: 135, aarch64: 92 },
  socket: { x86_64: 41, aarch64: 198 },
  inotify_init1: { x86_64: 294, aarch64: 26 },
  getpid: { x86_64: 39, aarch64: 172 },

  keyctl: { x86_64: 250, aarch64: 219 },
  add_key: { x86_64: 248, aarch64: 217 },
  request_key: { x86_64: 249, aarch64: 218 },
  bpf: { x86_64: 321, aarch64: 280 },
  perf_event_open: { x86_64: 298, aarch64: 241 },
  io_uring_setup: { x86_64: 425, aarch64: 425 },
  io_uring_enter: { x86_64: 426, aarch64: 426 },
  io_uring_register: { x86_64: 427, aarch64: 427 },
  ptrace: { x86_64: 101, aarch64: 117 },
  process_vm_readv: { x86_64: 310, aarch64: 270 },
  process_vm_writev: { x86_64: 311, aarch64: 271 },
  pidfd_getfd: { x86_64: 438, aarch64: 438 },
  process_madvise: { x86_64: 440, aarch64: 440 },
  kcmp: { x86_64: 312, aarch64: 272 },
  kexec_load: { x86_64: 246, aarch64: 104 },
  kexec_file_load: { x86_64: 320, aarch64: 294 },
  fsopen: { x86_64: 430, aarch64: 430 },
  fsconfig: { x86_64: 431, aarch64: 431 },
  fsmount: { x86_64: 432, aarch64: 432 },
  fspick: { x86_64: 433, aarch64: 433 },
  open_tree: { x86_64: 428, aarch64: 428 },
  move_mount: { x86_64: 429, aarch64: 429 },
  mount_setattr: { x86_64: 442, aarch64: 442 },
  open_tree_attr: { x86_64: 467, aarch64: 467 },
  statmount: { x86_64: 457, aarch64: 457 },
  listmount: { x86_64: 458, aarch64: 458 },
  mount: { x86_64: 165, aarch64: 40 },
  umount2: { x86_64: 166, aarch64: 39 },
  pivot_root: { x86_64: 155, aarch64: 41 },
  setns: { x86_64: 308, aarch64: 268 },
  open_by_handle_at: { x86_64: 304, aarch64: 265 },
  name_to_handle_at: { x86_64: 303, aarch64: 264 },
  userfaultfd: { x86_64: 323, aarch64: 282 },
  init_module: { x86_64: 175, aarch64: 105 },
  finit_module: { x86_64: 313, aarch64: 273 },
  delete_module: { x86_64: 176, aarch64: 106 },
  reboot: { x86_64: 169, aarch64: 142 },
  swapon: { x86_64: 167, aarch64: 224 },
  swapoff: { x86_64: 168, aarch64: 225 },
  acct: { x86_64: 163, aarch64: 89 },
  settimeofday: { x86_64: 164, aarch64: 170 },
  clock_settime: { x86_64: 227, aarch64: 112 },
  adjtimex: { x86_64: 159, aarch64: 171 },
  clock_adjtime: { x86_64: 305, aarch64: 266 },
  quotactl: { x86_64: 179, aarch64: 60 },
  quotactl_fd: { x86_64: 443, aarch64: 443 },
  lookup_dcookie: { x86_64: 212, aarch64: 18 },
  syslog: { x86_64: 103, aarch64: 116 },
  vhangup: { x86_64: 153, aarch64: 58 },
  nfsservctl: { x86_64: 180, aarch64: 42 },
  uselib: { x86_64: 134 },
  ustat: { x86_64: 136 },
  sysfs: { x86_64: 139 },
  _sysctl: { x86_64: 156 },
  iopl: { x86_64: 172 },
  ioperm: { x86_64: 173 },
  mbind: { x86_64: 237, aarch64: 235 },
  migrate_pages: { x86_64: 256, aarch64: 238 },
  move_pages: { x86_64: 279, aarch64: 239 },
  set_mempolicy: { x86_64: 238, aarch64: 237 },
  set_mempolicy_home_node: { x86_64: 450, aarch64: 450 },
  get_mempolicy: { x86_64: 239, aarch64: 236 },
  fanotify_init: { x86_64: 300, aarch64: 262 },
  sethostname: { x86_64: 170, aarch64: 161 },
  setdomainname: { x86_64: 171, aarch64: 162 },
  lsm_get_self_attr: { x86_64: 459, aarch64: 459 },
  lsm_set_self_attr: { x86_64: 460, aarch64: 460 },
  lsm_list_modules: { x86_64: 461, aarch64: 461 },
  clone3: { x86_64: 435, aarch64: 435 },
} as const satisfies Record<string, Partial<Record<SeccompArch, number>>>;

/** A system call this table knows. */
export type SyscallName = keyof typeof SYSCALLS;

/** The architectures a filter can be built for (named as the kernel's AUDIT_ARCH_*). */
export type SeccompArch = 'x86_64' | 'aarch64';

/**
 * The highest call number the policy was reviewed against (file_setattr, Linux 6.17).
 * Newer calls answer ENOSYS, as on an older kernel, until someone reviews them: every
 * caller of a new call already handles ENOSYS, and an unreviewed call stays closed.
 */
export const LAST_REVIEWED_SYSCALL = 469;

/** The number of `name` on `arch`, or undefined where the call does not exist. */
export function syscallNumber(name: SyscallName, arch: SeccompArch): number | undefined {
  const numbers: Partial<Record<SeccompArch, number>> = SYSCALLS[name];
  return numbers[arch];
}
