import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { keptRepoCopies, sessionBareRepo } from '../data-dir.js';
import { DEFAULT_GIT_PROCESS_LIMITS } from '../git/repo-limits.js';
import { runGit } from '../git/run-git.js';
import { loadSessionFile, sessionFileSavedAt } from '../store/session-files.js';
import type { Db } from '../store/store.js';

/** How long a replaced copy stays, so a teleport fetching from it meanwhile completes. */
const REPLACED_COPY_TTL_MS = 10 * 60_000;

/**
 * The bare repo a bundle-sourced session's branch is fetched from by `hangar teleport`:
 * this host's own when its runner has (or had) the session, else a copy made from the
 * one the store keeps (saved after each turn), so any API node serves any session. The
 * copy is made again when the store's changes; undefined when the store keeps none yet.
 */
export async function teleportRepo(
  db: Db,
  dataDir: string,
  sessionId: string,
): Promise<string | undefined> {
  const own = sessionBareRepo(dataDir, sessionId);
  if (existsSync(own)) return own;
  const savedAt = await sessionFileSavedAt(db, sessionId, 'kept-repo');
  if (!savedAt) return undefined;
  const dir = keptRepoCopies(dataDir, sessionId);
  const copy = join(dir, `${savedAt.getTime()}.git`);
  if (existsSync(copy)) return copy;
  const data = await loadSessionFile(db, sessionId, 'kept-repo');
  if (!data) return undefined;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // Made beside it and renamed into place: a concurrent request never sees half a repo.
  const bundle = join(dir, `${randomUUID()}.bundle`);
  const made = join(dir, `${randomUUID()}.tmp`);
  try {
    await writeFile(bundle, data, { mode: 0o600 });
    const cloned = await runGit(['clone', '--bare', '--quiet', bundle, made], {
      limits: DEFAULT_GIT_PROCESS_LIMITS,
    });
    if (cloned.code !== 0) {
      // git's words, without this host's paths: they reach the API's caller.
      const why = cloned.stderr.trim().split(dir).join('<kept copy>');
      throw new Error(`Could not unpack the session's kept repository: ${why}`);
    }
    await rename(made, copy).catch((error: unknown) => {
      if (!existsSync(copy)) throw error;
    });
  } finally {
    await rm(bundle, { force: true });
    await rm(made, { recursive: true, force: true });
  }
  await removeReplaced(dir, copy);
  return copy;
}

/** Copies other than `current` that were replaced a while ago. */
async function removeReplaced(dir: string, current: string): Promise<void> {
  const before = Date.now() - REPLACED_COPY_TTL_MS;
  for (const name of await readdir(dir)) {
    const path = join(dir, name);
    if (path === current || !name.endsWith('.git')) continue;
    const { mtimeMs } = await stat(path).catch(() => ({ mtimeMs: Infinity }));
    if (mtimeMs < before) await rm(path, { recursive: true, force: true });
  }
}

/** The copies made for session `sessionId` on this host, once it is deleted. */
export async function removeKeptRepoCopies(dataDir: string, sessionId: string): Promise<void> {
  await rm(keptRepoCopies(dataDir, sessionId), { recursive: true, force: true });
}
