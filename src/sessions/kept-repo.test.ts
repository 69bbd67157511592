import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../environments/settings.js';
import { newId } from '../ids.js';
import { createEnvironment } from '../store/environments.js';
import { saveSessionFile } from '../store/session-files.js';
import { insertSession } from '../store/sessions.js';
import type { Store } from '../store/store.js';
import { openTestStore } from '../store/test-store.js';
import { createUser } from '../store/users.js';
import { removeKeptRepoCopies, teleportRepo } from './kept-repo.js';

let store: Store;
beforeAll(async () => {
  store = await openTestStore();
});
afterAll(async () => {
  await store.close();
});

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
    cwd,
    encoding: 'utf8',
  }).trim();

/** A repo whose branch `work` gets one commit per call of the answered function. */
function workRepo(): { dir: string; commit: (text: string) => Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'hangar-kept-'));
  git(dir, 'init', '-q', '-b', 'work');
  return {
    dir,
    commit: (text) => {
      writeFileSync(join(dir, 'file.txt'), text);
      git(dir, 'add', '.');
      git(dir, 'commit', '-qm', text);
      git(dir, 'bundle', 'create', '-q', 'kept.bundle', '--all');
      return readFileSync(join(dir, 'kept.bundle'));
    },
  };
}

/** A bundle-sourced session of a new user named `name`; answers its id. */
async function bundleSession(name: string): Promise<string> {
  const user = await createUser(store.db, { name, isAdmin: false });
  const env = await createEnvironment(store.db, user.id, { name: 'e', ...DEFAULT_SETTINGS });
  const id = newId('ses');
  await insertSession(store.db, {
    id,
    userId: user.id,
    environmentId: env.id,
    title: 't',
    source: { type: 'bundle', bundleId: newId('bun'), branch: 'work', name: 'repo' },
  });
  return id;
}

describe('teleport from a node without the session repo', () => {
  it('serves a copy of the repo the store keeps, made again when the store has a newer one', async () => {
    const id = await bundleSession('kept');
    const dataDir = mkdtempSync(join(tmpdir(), 'hangar-api-node-'));
    expect(await teleportRepo(store.db, dataDir, id), 'nothing kept yet').toBeUndefined();

    const repo = workRepo();
    await saveSessionFile(store.db, id, 'kept-repo', repo.commit('first turn'));
    const first = await teleportRepo(store.db, dataDir, id);
    expect(git(first ?? '', 'log', '-1', '--format=%s', 'work')).toBe('first turn');
    expect(await teleportRepo(store.db, dataDir, id), 'the same copy while unchanged').toBe(first);

    // Saved again (a later turn): the next teleport sees the newer branch.
    await new Promise((r) => setTimeout(r, 5));
    await saveSessionFile(store.db, id, 'kept-repo', repo.commit('second turn'));
    const second = await teleportRepo(store.db, dataDir, id);
    expect(second).not.toBe(first);
    expect(git(second ?? '', 'log', '-1', '--format=%s', 'work')).toBe('second turn');
    // The replaced copy stays a while for a fetch still reading it.
    expect(existsSync(first ?? '')).toBe(true);

    await removeKeptRepoCopies(dataDir, id);
    expect(existsSync(second ?? '')).toBe(false);
  });

  it('refuses a kept repo that is not a git bundle, saying so', async () => {
    const id = await bundleSession('broken');
    await saveSessionFile(store.db, id, 'kept-repo', Buffer.from('not a bundle'));
    const dataDir = mkdtempSync(join(tmpdir(), 'hangar-api-node-'));
    const refused = teleportRepo(store.db, dataDir, id);
    await expect(refused).rejects.toThrow(/Could not unpack the session's kept repository/);
    await expect(refused, 'no host path in what the caller reads').rejects.not.toThrow(dataDir);
  });
});
