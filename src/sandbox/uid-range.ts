import { randomInt } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HangarError, ValidationError } from '../errors.js';

/**
 * Host uids for sandboxes: each sandbox's `user` is a host uid (and gid, the same
 * number) of its own, drawn from a range no account uses. The kernel counts and checks
 * many things per uid — inotify instances and watches, processes (RLIMIT_NPROC),
 * pending signals, POSIX message queue bytes, who may read /proc/<pid>/environ or
 * signal a process — so a uid shared by sandboxes (or with a host account) shares all
 * of those. The default range sits above the ranges distributions hand out (subuids
 * from 100000, systemd-nspawn's up to 1879048191) and below 2^31, past which some
 * tools read a uid as negative.
 */
export interface UidRange {
  first: number;
  last: number;
}

export const DEFAULT_UID_RANGE: UidRange = { first: 2_000_000_000, last: 2_099_999_999 };

/** The uid (and gid) sandboxes made before per-sandbox uids had, kept for those. */
export const LEGACY_UID = 1000;

const MAX_UID = 2 ** 31 - 1;

/** Parses HANGAR_SANDBOX_UIDS, `first-last`, e.g. `2000000000-2099999999`. */
export function parseUidRange(text: string | undefined): UidRange {
  if (text === undefined || text.trim() === '') return DEFAULT_UID_RANGE;
  const match = /^\s*([0-9]+)\s*-\s*([0-9]+)\s*$/.exec(text);
  const first = Number(match?.[1]);
  const last = Number(match?.[2]);
  if (!match || !(first >= 65_536) || !(last <= MAX_UID) || first > last) {
    throw new ValidationError(
      `"${text}" is not a uid range: give first-last, from 65536 up to ${MAX_UID}, e.g. ` +
        `${DEFAULT_UID_RANGE.first}-${DEFAULT_UID_RANGE.last}.`,
      'HANGAR_SANDBOX_UIDS',
    );
  }
  return { first, last };
}

/**
 * Who on the host already holds an id in the range: accounts in passwd and group files,
 * and subordinate id ranges (subuid/subgid, for rootless containers). Empty is good.
 */
export function rangeUsers(
  range: UidRange,
  files: { passwd: string; group: string; subuid: string; subgid: string },
): string[] {
  const found: string[] = [];
  const inRange = (id: number) => id >= range.first && id <= range.last;
  for (const [file, text] of [
    ['passwd', files.passwd],
    ['group', files.group],
  ] as const) {
    for (const line of text.split('\n')) {
      const [name, , id] = line.split(':');
      if (name && id !== undefined && inRange(Number(id))) found.push(`${file} ${name} (${id})`);
    }
  }
  for (const [file, text] of [
    ['subuid', files.subuid],
    ['subgid', files.subgid],
  ] as const) {
    for (const line of text.split('\n')) {
      const [name, start, count] = line.split(':');
      const first = Number(start);
      const last = first + Number(count) - 1;
      if (name && Number.isInteger(first) && Number.isInteger(last)) {
        if (first <= range.last && last >= range.first)
          found.push(`${file} ${name} (${first}-${last})`);
      }
    }
  }
  return found;
}

/** Refuses a range that a host account or subordinate id range already uses. */
export function checkRangeFree(range: UidRange, etc = '/etc'): void {
  const read = (name: string) => {
    try {
      return readFileSync(join(etc, name), 'utf8');
    } catch {
      return '';
    }
  };
  const users = rangeUsers(range, {
    passwd: read('passwd'),
    group: read('group'),
    subuid: read('subuid'),
    subgid: read('subgid'),
  });
  if (users.length > 0) {
    throw new HangarError(
      'sandbox_unavailable',
      503,
      `HANGAR_SANDBOX_UIDS ${range.first}-${range.last} overlaps ids the host uses: ` +
        `${users.slice(0, 5).join(', ')}. Choose a range no account uses.`,
    );
  }
}

/**
 * Claims of uids, one file per uid in `dir` holding the sandbox's id. Creating a claim
 * with O_EXCL is atomic across processes (a CLI and a server sharing the data dir), so
 * no uid is handed out twice; destroying a sandbox releases its claim.
 */
export class UidClaims {
  constructor(
    readonly dir: string,
    readonly range: UidRange,
    /** Whether a host process runs with this uid now (e.g. another data dir's sandbox). */
    private readonly inUse: (uid: number) => boolean = uidRunning,
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  /** A free uid of the range, now claimed for `sandboxId`. */
  claim(sandboxId: string): number {
    for (let attempt = 0; attempt < 64; attempt++) {
      // Random, not sequential: data dirs on one host do not know each other's claims.
      const uid = randomInt(this.range.first, this.range.last + 1);
      if (this.inUse(uid)) continue;
      try {
        writeFileSync(join(this.dir, String(uid)), sandboxId, { flag: 'wx', mode: 0o600 });
        return uid;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
    throw new HangarError(
      'sandbox_unavailable',
      503,
      `No free uid left in HANGAR_SANDBOX_UIDS ${this.range.first}-${this.range.last} ` +
        `(${readdirSync(this.dir).length} claimed): widen the range or destroy sandboxes.`,
    );
  }

  /** Gives `uid` back, if `sandboxId` holds it. */
  release(uid: number, sandboxId: string): void {
    const file = join(this.dir, String(uid));
    try {
      if (readFileSync(file, 'utf8') === sandboxId) rmSync(file);
    } catch {
      // Not claimed (a legacy sandbox) or already gone.
    }
  }
}

/**
 * Whether a host process runs as `uid`: /proc/<pid> is owned by a process's effective
 * uid (a stat each, ~10x cheaper than reading every status file).
 */
export function uidRunning(uid: number): boolean {
  for (const name of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(name)) continue;
    try {
      if (statSync(`/proc/${name}`).uid === uid) return true;
    } catch {
      // Exited while we looked.
    }
  }
  return false;
}
