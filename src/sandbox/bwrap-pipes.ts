import type { ChildProcess } from 'node:child_process';
import type { Writable } from 'node:stream';

/**
 * How bwrap gets what must not show in any process list: its options (host paths,
 * the command's environment) over an args fd and the seccomp filter over another,
 * each a pipe it reads to EOF and closes.
 */

/**
 * Splits bwrap arguments at `--`: the options go through a pipe (`--args fd`), which
 * bwrap reads and closes, so the sandbox's `ps` shows no host path; the command stays.
 */
export function viaArgsFd(args: readonly string[], fd: number): string[] {
  const split = args.indexOf('--');
  return ['--args', String(fd), ...args.slice(split)];
}

/**
 * What goes down the args fd: `extra`, then the options (what precedes `--` in `args`),
 * each NUL-terminated. `extra` may hold any value, `--` included: it is never searched
 * for the split.
 */
export function argsFdBytes(args: readonly string[], extra: readonly string[] = []): Buffer {
  const options = [...extra, ...args.slice(0, args.indexOf('--'))];
  return Buffer.from(options.map((a) => `${a}\0`).join(''));
}

/** Writes bwrap's options (and `extra` first) to its args fd: see argsFdBytes. */
export function writeArgsFd(
  child: ChildProcess,
  fd: number,
  args: readonly string[],
  extra: readonly string[] = [],
): void {
  writeFd(child, fd, argsFdBytes(args, extra));
}

/** Writes `data` to the child's pipe at `fd` and closes it (bwrap reads to EOF). */
export function writeFd(child: ChildProcess, fd: number, data: Buffer): void {
  const pipe = child.stdio[fd] as Writable;
  pipe.on('error', () => undefined);
  pipe.end(data);
}
