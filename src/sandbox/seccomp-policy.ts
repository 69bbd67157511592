import type { SyscallName } from './syscall-numbers.js';

/**
 * What the seccomp filter of every sandbox process refuses, one call a line with why.
 *
 * Modelled on Docker's default profile (moby/profiles seccomp/default.json), read as
 * "what a container without extra capabilities may not call". Docker lists what is
 * allowed and refuses the rest; this lists what is refused and allows the rest, plus
 * ENOSYS for every number above LAST_REVIEWED_SYSCALL, so a call newer than this review
 * is closed until reviewed. Where we differ from Docker, and why:
 *  - ptrace and process_vm_readv/writev: Docker allows them on kernels ≥ 4.8; refused
 *    here, as the security review asked: nothing an agent runs needs to read another
 *    process's memory, and strace/gdb not working is the price.
 *  - adjtimex, name_to_handle_at: Docker allows them (read-only time state; the half of
 *    a handle attack that needs no capability); refused here, as nothing needs them.
 *  - statmount, listmount: Docker allows them; ENOSYS here: they read the kernel's
 *    mount tree past /proc/self/mountinfo, which the driver shapes so it names no host
 *    path, and ENOSYS makes their callers (new util-linux) fall back to /proc.
 *  - chroot stays allowed: root in a sandbox holds CAP_SYS_CHROOT, as in Docker.
 *  - getpmsg, putpmsg, afs_syscall, tuxcall, security, vserver, create_module,
 *    get_kernel_syms, query_module: not listed; the kernel has no such call (ENOSYS).
 * Many of these the kernel refuses anyway to a process without capabilities; listing
 * them too means a capability-check bug in the kernel is not enough to reach them.
 */
export type SeccompRule =
  /** Refuse every call with `errno`. */
  | { name: SyscallName; errno: 'EPERM' | 'ENOSYS'; why: string }
  /** Refuse with EPERM when the low 32 bits of `args[arg]` have any bit of `mask`. */
  | { name: SyscallName; errno: 'EPERM'; arg: number; anyBit: number; why: string }
  /** Refuse with EPERM unless the low 32 bits of `args[arg]` are one of `allowed`. */
  | { name: SyscallName; errno: 'EPERM'; arg: number; allowed: number[]; why: string }
  /** Refuse with EPERM when the low 32 bits of `args[arg]` are one of `refused`. */
  | { name: SyscallName; errno: 'EPERM'; arg: number; refused: number[]; why: string };

/** CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET: Docker's mask. */
export const CLONE_NAMESPACES = 0x7e020000;
/** unshare() also takes CLONE_NEWTIME (0x80), which clone() reads as the exit signal. */
const UNSHARE_NAMESPACES = CLONE_NAMESPACES | 0x80;

const deny = (name: SyscallName, why: string): SeccompRule => ({ name, errno: 'EPERM', why });
const absent = (name: SyscallName, why: string): SeccompRule => ({ name, errno: 'ENOSYS', why });

export const SECCOMP_POLICY: readonly SeccompRule[] = [
  // Kernel keyrings are per host uid, not namespaced: root in a sandbox would read host
  // root's keys, and one sandbox's user another's.
  deny('keyctl', 'kernel keyrings are shared with the host uid'),
  deny('add_key', 'kernel keyrings are shared with the host uid'),
  deny('request_key', 'kernel keyrings are shared with the host uid; may run host helpers'),

  // New namespaces: a user namespace hands its creator every capability over it, the
  // kernel's largest attack surface for an unprivileged process.
  {
    name: 'clone',
    errno: 'EPERM',
    arg: 0,
    anyBit: CLONE_NAMESPACES,
    why: 'no new namespaces (flags are args[0] on x86_64 and aarch64)',
  },
  {
    name: 'unshare',
    errno: 'EPERM',
    arg: 0,
    anyBit: UNSHARE_NAMESPACES,
    why: 'no new namespaces; unsharing files or fs stays allowed',
  },
  absent('clone3', 'flags sit in memory BPF cannot read; ENOSYS makes libc fall back to clone'),
  deny('setns', 'joining another namespace'),

  // Kernel subsystems that are large, fast-moving and rarely needed by a build.
  deny('bpf', 'eBPF programs and maps'),
  deny('perf_event_open', 'perf events: kernel profiling, a history of exploits'),
  deny('io_uring_setup', 'io_uring: a history of exploits; callers fall back to read/write'),
  deny('io_uring_enter', 'io_uring'),
  deny('io_uring_register', 'io_uring'),
  deny('userfaultfd', 'stalls kernel page faults, a staple of race exploits'),
  {
    name: 'socket',
    errno: 'EPERM',
    arg: 0,
    refused: [38, 40],
    why: 'AF_ALG (38, kernel crypto) and AF_VSOCK (40, reaches the hypervisor, not netns-bound)',
  },

  // Other processes' memory.
  deny('ptrace', 'reading and writing other processes; strace and gdb do not work'),
  deny('process_vm_readv', 'reading another process'),
  deny('process_vm_writev', 'writing another process'),
  deny('process_madvise', 'acting on another process’s memory'),
  deny('pidfd_getfd', 'taking another process’s file descriptors'),
  deny('kcmp', 'comparing kernel objects of other processes (layout probing)'),

  // Mounts: the sandbox's mount tree is fixed by bwrap.
  deny('mount', 'mounts'),
  deny('umount2', 'mounts'),
  deny('pivot_root', 'mounts'),
  deny('fsopen', 'the new mount API'),
  deny('fsconfig', 'the new mount API'),
  deny('fsmount', 'the new mount API'),
  deny('fspick', 'the new mount API'),
  deny('open_tree', 'the new mount API'),
  deny('open_tree_attr', 'the new mount API'),
  deny('move_mount', 'the new mount API'),
  deny('mount_setattr', 'the new mount API'),
  absent('statmount', 'mount details past the shaped mountinfo; ENOSYS: callers read /proc'),
  absent('listmount', 'goes with statmount'),
  deny('open_by_handle_at', 'opens any inode by handle, past the mount tree (the shocker escape)'),
  deny('name_to_handle_at', 'only feeds open_by_handle_at'),

  // The machine, not the sandbox.
  deny('kexec_load', 'replacing the running kernel'),
  deny('kexec_file_load', 'replacing the running kernel'),
  deny('init_module', 'kernel modules'),
  deny('finit_module', 'kernel modules'),
  deny('delete_module', 'kernel modules'),
  deny('reboot', 'the host'),
  deny('swapon', 'the host’s swap'),
  deny('swapoff', 'the host’s swap'),
  deny('acct', 'process accounting of the host'),
  deny('settimeofday', 'the host’s clock'),
  deny('clock_settime', 'the host’s clock'),
  deny('adjtimex', 'the host’s clock'),
  deny('clock_adjtime', 'the host’s clock'),
  deny('sethostname', 'bwrap sets the hostname'),
  deny('setdomainname', 'bwrap sets the hostname'),
  deny('quotactl', 'disk quotas of host filesystems'),
  deny('quotactl_fd', 'disk quotas of host filesystems'),
  deny('syslog', 'the kernel log'),
  deny('vhangup', 'hangs up the terminal'),
  deny('fanotify_init', 'watching whole filesystems'),
  deny('lookup_dcookie', 'kernel profiling'),
  deny('iopl', 'raw I/O ports'),
  deny('ioperm', 'raw I/O ports'),
  deny('lsm_get_self_attr', 'security module state'),
  deny('lsm_set_self_attr', 'security module state'),
  deny('lsm_list_modules', 'security module state'),

  // Memory placement across NUMA nodes: Docker allows it only with CAP_SYS_NICE.
  deny('mbind', 'NUMA placement'),
  deny('set_mempolicy', 'NUMA placement'),
  deny('set_mempolicy_home_node', 'NUMA placement'),
  deny('get_mempolicy', 'NUMA placement (libnuma then reports no NUMA)'),
  deny('migrate_pages', 'moving another process’s pages'),
  deny('move_pages', 'moving another process’s pages'),

  // Obsolete calls nothing current uses.
  deny('uselib', 'obsolete'),
  deny('ustat', 'obsolete'),
  deny('sysfs', 'obsolete'),
  deny('_sysctl', 'obsolete'),
  deny('nfsservctl', 'obsolete'),

  // Personalities that weaken the process (ADDR_NO_RANDOMIZE, READ_IMPLIES_EXEC …);
  // these are Docker's allowed values: PER_LINUX, PER_LINUX32, UNAME26 and the query.
  {
    name: 'personality',
    errno: 'EPERM',
    arg: 0,
    allowed: [0x0, 0x8, 0x20000, 0x20008, 0xffffffff],
    why: 'no ASLR-off or exec-implies personalities',
  },
];
