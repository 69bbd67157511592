import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { baseAccounts, type Base } from './base.js';
import type { CgroupPaths } from './cgroups.js';
import type { Bind } from './driver.js';
import { sandboxGroup, sandboxPasswd, type UserIds } from './identity.js';
import type { Limits } from './limits.js';
import { LEGACY_UID } from './uid-range.js';

/**
 * A sandbox's directory, `<dataDir>/sandboxes/<id>`: `sandbox.json` (Saved), `disk.img`
 * (its sparse ext4 disk, mounted at `disk/`), `root/` (the overlay its processes see),
 * `running.json` while started (namespaces.ts), and the holder's mount points.
 */

/** What is saved in `<dir>/sandbox.json`, enough for any process to manage the sandbox. */
export interface Saved {
  id: string;
  createdAt: string;
  limits: Limits;
  gatewaySocket: string | undefined;
  gatewayPort: number;
  env: Record<string, string>;
  binds: Bind[];
  base: Base;
  /** Read-only layers over the base (a setup cache's), lowest first; absent before them. */
  layers?: string[];
  cgroups: CgroupPaths;
  /** The host uid and gid of the sandbox's `user`; absent in sandboxes made before (1000). */
  uid?: number;
}

/** The files of a sandbox's directory that more than one module reads or writes. */
export function sandboxFiles(dir: string) {
  return {
    saved: join(dir, 'sandbox.json'),
    running: join(dir, 'running.json'),
    image: join(dir, 'disk.img'),
    disk: join(dir, 'disk'),
    root: join(dir, 'root'),
    /** Present while the sandbox waits in a warm pool: the pid of the process that pooled it. */
    pooled: join(dir, 'pooled'),
  };
}

/** Reads a sandbox's `sandbox.json`. */
export function readSaved(file: string): Saved {
  return JSON.parse(readFileSync(file, 'utf8')) as Saved;
}

/** Writes a sandbox's `sandbox.json`. */
export function writeSaved(dir: string, saved: Saved): void {
  writeFileSync(sandboxFiles(dir).saved, JSON.stringify(saved, null, 2));
}

/** The host uid and gid of a sandbox's `user`. */
export function userIds(saved: Pick<Saved, 'uid'>): UserIds {
  const uid = saved.uid ?? LEGACY_UID;
  return { uid, gid: uid };
}

/** Where the gateway is inside the sandbox, if it has one. */
export function gatewayAddress(
  saved: Pick<Saved, 'gatewaySocket' | 'gatewayPort'>,
): string | undefined {
  return saved.gatewaySocket === undefined ? undefined : `127.0.0.1:${saved.gatewayPort}`;
}

/** The binds as the sandbox's bwrap takes them: from their overlays in the holder's namespace. */
export function bindViews(dir: string, binds: readonly Bind[]): Bind[] {
  return binds.map((bind, i) => ({ source: join(dir, 'binds', String(i)), target: bind.target }));
}

/**
 * Stages `user`'s passwd and group lines with the sandbox's ids in `<dir>/identity`; the
 * first start copies them onto the fresh disk, whose template says uid 1000, and gives
 * /home/user to the sandbox's uid (holder.ts). Only then: the disk is the template's
 * still, so no path in it can be a link the sandbox planted.
 */
export function writeIdentity(dir: string, base: Base, ids: UserIds): void {
  const { passwd, group } = baseAccounts(base);
  mkdirSync(join(dir, 'identity'), { mode: 0o700 });
  writeFileSync(join(dir, 'identity/passwd'), sandboxPasswd(passwd, ids));
  writeFileSync(join(dir, 'identity/group'), sandboxGroup(group, ids));
}
