import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findUnreadable, liveFingerprint, liveMasks } from './live-masks.js';

const root = mkdtempSync(join(tmpdir(), 'hangar-masks-'));
const tree = join(root, 'tree');
mkdirSync(join(tree, 'open/deep'), { recursive: true });
writeFileSync(join(tree, 'open/readable'), 'x', { mode: 0o644 });
writeFileSync(join(tree, 'open/deep/secret'), 'x', { mode: 0o600 });
writeFileSync(join(tree, 'run-only'), 'x', { mode: 0o711 });
mkdirSync(join(tree, 'private'), { mode: 0o700 });
writeFileSync(join(tree, 'private/inside'), 'x', { mode: 0o644 });
mkdirSync(join(tree, 'unlisted'), { mode: 0o711 });
symlinkSync('/etc/shadow', join(tree, 'link'));
chmodSync(join(tree, 'open'), 0o750 | 0o005);

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('findUnreadable', () => {
  it('lists what others may not read; not below a directory it lists; not symlinks', async () => {
    expect(await findUnreadable([tree])).toEqual(
      [
        join(tree, 'open/deep/secret'),
        join(tree, 'private'),
        join(tree, 'run-only'),
        join(tree, 'unlisted'),
      ].sort(),
    );
  });
});

describe('liveMasks', () => {
  it('puts a whiteout at each, under directories that look like the host’s, once', async () => {
    const layers = await liveMasks(join(root, 'masks'), [tree]);
    expect(layers).toBeDefined();
    const secret = lstatSync(join(layers ?? '', tree, 'open/deep/secret'));
    expect(secret.isCharacterDevice() && secret.rdev === 0).toBe(true);
    expect(lstatSync(join(layers ?? '', tree, 'private')).isCharacterDevice()).toBe(true);
    const open = lstatSync(join(layers ?? '', tree, 'open'));
    expect(open.mode & 0o7777).toBe(lstatSync(join(tree, 'open')).mode & 0o7777);
    expect(Math.floor(open.mtimeMs / 1000)).toBe(
      Math.floor(lstatSync(join(tree, 'open')).mtimeMs / 1000),
    );
    // Nothing changed: the same layers, not a new scan.
    expect(await liveMasks(join(root, 'masks'), [tree])).toBe(layers);
    expect(liveFingerprint([tree])).toBe(liveFingerprint([tree]));
  });

  it('has nothing to mask where all is readable', async () => {
    const plain = join(root, 'plain');
    mkdirSync(join(plain, 'dir'), { recursive: true });
    writeFileSync(join(plain, 'dir/file'), 'x', { mode: 0o644 });
    expect(await liveMasks(join(root, 'masks'), [plain])).toBe(undefined);
  });
});
