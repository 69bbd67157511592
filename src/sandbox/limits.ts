import { ValidationError } from '../errors.js';

/** What a sandbox may use. Sizes are bytes; `cpus` may be fractional (0.5 = half a core). */
export interface Limits {
  memoryBytes: number;
  cpus: number;
  pids: number;
  diskBytes: number;
}

/** Limits as a person writes them: `--memory 512M --cpus 1 --pids 256 --disk 1G`. */
export interface LimitsInput {
  memory?: string | undefined;
  cpus?: string | undefined;
  pids?: string | undefined;
  disk?: string | undefined;
}

/** What the host has, so defaults can be capped and impossible requests refused. */
export interface HostCapacity {
  cpus: number;
  memoryBytes: number;
  /** Free space where sandbox disks live. */
  diskFreeBytes: number;
}

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/** The product's defaults (4 vCPU, 16 GiB, 30 GiB disk), before capping by the host. */
export const DEFAULT_LIMITS: Limits = {
  memoryBytes: 16 * GiB,
  cpus: 4,
  pids: 4096,
  diskBytes: 30 * GiB,
};

/** Below these a sandbox cannot even start its shell or hold an ext4 journal. */
export const MIN_LIMITS: Limits = {
  memoryBytes: 16 * MiB,
  cpus: 0.01,
  pids: 8,
  diskBytes: 16 * MiB,
};

const UNITS: Record<string, number> = { '': 1, K: KiB, M: MiB, G: GiB, T: 1024 * GiB };

/**
 * Parses a size like `512M`, `1G`, `1.5GiB`, `2048k` or `1000000` (bytes). Units are
 * binary (1K = 1024), as `docker --memory` and cgroups count them. Throws a
 * ValidationError naming `field` when the text is not a size.
 */
export function parseSize(text: string, field: string): number {
  const match = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(text);
  const unit = match ? UNITS[(match[2] ?? '').toUpperCase()] : undefined;
  if (!match || unit === undefined) {
    throw new ValidationError(
      `"${text}" is not a size: write a number with an optional unit, like 512M or 2G.`,
      field,
    );
  }
  const bytes = Math.floor(Number(match[1]) * unit);
  if (!Number.isSafeInteger(bytes)) throw new ValidationError(`"${text}" is too large.`, field);
  return bytes;
}

/** Parses a CPU count like `1`, `0.5` or `2.25` (cores of CPU time per second). */
export function parseCpus(text: string, field = 'cpus'): number {
  const cpus = /^\s*[0-9]+(\.[0-9]+)?\s*$/.test(text) ? Number(text) : NaN;
  if (!Number.isFinite(cpus) || cpus <= 0) {
    throw new ValidationError(
      `"${text}" is not a CPU count: write a positive number like 1 or 0.5.`,
      field,
    );
  }
  return cpus;
}

/** Parses a process count like `256`. */
export function parsePids(text: string, field = 'pids'): number {
  const pids = /^\s*[0-9]+\s*$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(pids) || pids < 1) {
    throw new ValidationError(
      `"${text}" is not a process count: write a whole number like 256.`,
      field,
    );
  }
  return pids;
}

/** `17179869184` → `16G`; `536870912` → `512M`; other values in the largest exact unit. */
export function formatSize(bytes: number): string {
  for (const [unit, size] of [
    ['T', 1024 * GiB],
    ['G', GiB],
    ['M', MiB],
    ['K', KiB],
  ] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  if (bytes >= GiB) return `${(bytes / GiB).toFixed(1)}G`;
  if (bytes >= MiB) return `${(bytes / MiB).toFixed(1)}M`;
  return `${bytes}`;
}

/**
 * Turns what a person asked for into the limits a sandbox gets. Unset limits take the
 * product defaults capped by what the host has; a limit set explicitly above what the
 * host has, or below what a sandbox needs to start, is an error naming the flag.
 */
export function resolveLimits(input: LimitsInput, host: HostCapacity): Limits {
  const memoryBytes =
    input.memory === undefined
      ? Math.min(DEFAULT_LIMITS.memoryBytes, host.memoryBytes)
      : parseSize(input.memory, 'memory');
  const cpus =
    input.cpus === undefined ? Math.min(DEFAULT_LIMITS.cpus, host.cpus) : parseCpus(input.cpus);
  const pids = input.pids === undefined ? DEFAULT_LIMITS.pids : parsePids(input.pids);
  const diskBytes =
    input.disk === undefined
      ? Math.max(MIN_LIMITS.diskBytes, Math.min(DEFAULT_LIMITS.diskBytes, host.diskFreeBytes))
      : parseSize(input.disk, 'disk');

  const limits: Limits = { memoryBytes, cpus, pids, diskBytes };
  checkAtLeast(limits);
  if (input.memory !== undefined && memoryBytes > host.memoryBytes) {
    throw new ValidationError(
      `${input.memory} is more than this host's ${formatSize(host.memoryBytes)} of memory.`,
      'memory',
    );
  }
  if (input.cpus !== undefined && cpus > host.cpus) {
    throw new ValidationError(`${input.cpus} is more than this host's ${host.cpus} CPUs.`, 'cpus');
  }
  if (input.disk !== undefined && diskBytes > host.diskFreeBytes) {
    throw new ValidationError(
      `${input.disk} is more than the ${formatSize(host.diskFreeBytes)} free where sandboxes live.`,
      'disk',
    );
  }
  return limits;
}

function checkAtLeast(limits: Limits): void {
  if (limits.memoryBytes < MIN_LIMITS.memoryBytes) {
    throw new ValidationError(`must be at least ${formatSize(MIN_LIMITS.memoryBytes)}.`, 'memory');
  }
  if (limits.cpus < MIN_LIMITS.cpus) {
    throw new ValidationError(`must be at least ${MIN_LIMITS.cpus}.`, 'cpus');
  }
  if (limits.pids < MIN_LIMITS.pids) {
    throw new ValidationError(`must be at least ${MIN_LIMITS.pids}.`, 'pids');
  }
  if (limits.diskBytes < MIN_LIMITS.diskBytes) {
    throw new ValidationError(`must be at least ${formatSize(MIN_LIMITS.diskBytes)}.`, 'disk');
  }
}

/**
 * The limits a sandbox spec gets: what it asks for over `defaults` (resolveLimits for
 * the host). Each must be at least MIN_LIMITS (a ValidationError names the field, NaN
 * included); `pids` is rounded down to a whole count.
 */
export function specLimits(asked: Partial<Limits>, defaults: Limits): Limits {
  const limits: Limits = { ...defaults, ...asked };
  for (const key of Object.keys(DEFAULT_LIMITS) as (keyof Limits)[]) {
    if (!(limits[key] >= MIN_LIMITS[key])) {
      throw new ValidationError(`must be at least ${MIN_LIMITS[key]}.`, key);
    }
  }
  limits.pids = Math.floor(limits.pids);
  return limits;
}
