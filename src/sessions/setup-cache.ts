import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { ID_PATTERN } from '../ids.js';
import { readSaved, sandboxFiles } from '../sandbox/sandbox-dir.js';
import { SANDBOX_ID } from '../sandbox/spec-checks.js';

/**
 * The setup cache: after an environment's setup script succeeds, the sandbox's writable
 * layer (what setup wrote under /home/user and system paths, never the repo clone) is
 * kept in `<dataDir>/setup-cache/layers/<id>/`, and `<envId>.json` names it with its
 * key, the hash of what setup depends on. The next new session of that environment
 * runs on it as a read-only layer and does not run the script. A layer a sandbox was
 * made on stays while that sandbox exists.
 */

export const DEFAULT_SETUP_CACHE_DAYS = 7;

/** What setup's result depends on: any change makes a new key, so a rebuild. */
export interface SetupKeyParts {
  /** The sandbox's base: an image's root (its build), or undefined for the host view. */
  base: string | undefined;
  script: string;
  envVars: string;
  network: unknown;
}

export function setupKey(parts: SetupKeyParts): string {
  return createHash('sha256')
    .update(JSON.stringify([parts.base ?? 'host', parts.script, parts.envVars, parts.network]))
    .digest('hex');
}

export interface CacheEntry {
  key: string;
  /** The layer directory, given to the sandbox driver as a read-only layer. */
  layer: string;
  builtAt: string;
}

export class SetupCache {
  /** Builds under way, by environment and key: a second session waits for the first. */
  private readonly building = new Map<string, Promise<void>>();

  constructor(
    private readonly dataDir: string,
    private readonly maxAgeMs: number,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  private get dir(): string {
    return join(this.dataDir, 'setup-cache');
  }

  private indexFile(envId: string): string {
    if (!ID_PATTERN.test(envId)) throw new Error(`not an environment id: ${envId}`);
    return join(this.dir, `${envId}.json`);
  }

  /** The environment's cached layer for `key`, if there is one and it is not too old. */
  find(envId: string, key: string): CacheEntry | undefined {
    let entry: CacheEntry;
    try {
      entry = JSON.parse(readFileSync(this.indexFile(envId), 'utf8')) as CacheEntry;
    } catch {
      return undefined;
    }
    const age = this.clock().getTime() - Date.parse(entry.builtAt);
    if (entry.key !== key || !(age <= this.maxAgeMs) || !existsSync(join(entry.layer, 'root'))) {
      return undefined;
    }
    return entry;
  }

  /**
   * Waits for a build of the same environment and key under way, then answers whether
   * the caller builds: if so it must call the returned `done` when finished (either way).
   */
  async claim(envId: string, key: string): Promise<{ entry?: CacheEntry; done?: () => void }> {
    const id = `${envId}/${key}`;
    for (;;) {
      const pending = this.building.get(id);
      if (!pending) break;
      await pending;
    }
    const entry = this.find(envId, key);
    if (entry) return { entry };
    let done: () => void = () => undefined;
    const pending = new Promise<void>((resolve) => {
      done = () => {
        if (this.building.get(id) === pending) this.building.delete(id);
        resolve();
      };
    });
    this.building.set(id, pending);
    return { done };
  }

  /**
   * Keeps a snapshot of a sandbox's writable layer (`copy` fills the directory it is
   * given) as the environment's cache for `key`, unless `current` (asked once the copy is
   * made) says the key is no longer the environment's: answers whether it was kept.
   */
  async save(
    envId: string,
    key: string,
    copy: (target: string) => Promise<void>,
    current: () => Promise<boolean> = () => Promise.resolve(true),
  ): Promise<boolean> {
    const layers = join(this.dir, 'layers');
    mkdirSync(layers, { recursive: true, mode: 0o700 });
    const layer = join(layers, `${Date.now()}-${randomBytes(6).toString('hex')}`);
    try {
      await copy(layer);
      // Setup ran an older script (or env vars, image, network): its result is stale.
      if (!(await current())) {
        rmSync(layer, { recursive: true, force: true });
        return false;
      }
    } catch (error) {
      rmSync(layer, { recursive: true, force: true });
      throw error;
    }
    const entry: CacheEntry = { key, layer, builtAt: this.clock().toISOString() };
    const tmp = `${this.indexFile(envId)}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify(entry));
    renameSync(tmp, this.indexFile(envId));
    this.prune();
    return true;
  }

  /** Forgets the environment's cache: its next new session runs setup again. */
  clear(envId: string): boolean {
    const file = this.indexFile(envId);
    const had = existsSync(file);
    rmSync(file, { force: true });
    this.prune();
    return had;
  }

  /** Removes layers no environment names and no sandbox was made on. */
  prune(): void {
    const layers = join(this.dir, 'layers');
    if (!existsSync(layers)) return;
    const used = new Set<string>();
    for (const name of readdirSync(this.dir)) {
      if (!name.endsWith('.json')) continue;
      try {
        used.add((JSON.parse(readFileSync(join(this.dir, name), 'utf8')) as CacheEntry).layer);
      } catch {
        // Being written.
      }
    }
    const sandboxes = join(this.dataDir, 'sandboxes');
    for (const id of existsSync(sandboxes) ? readdirSync(sandboxes) : []) {
      if (!SANDBOX_ID.test(id)) continue;
      try {
        for (const layer of readSaved(sandboxFiles(join(sandboxes, id)).saved).layers ?? []) {
          used.add(layer);
        }
      } catch {
        // Being made or removed.
      }
    }
    const building = [...this.building.keys()].length > 0;
    for (const name of readdirSync(layers)) {
      const layer = join(layers, name);
      // A layer being copied is not named anywhere yet: keep the newest while builds run.
      if (!used.has(layer) && !building) rmSync(layer, { recursive: true, force: true });
    }
  }
}
