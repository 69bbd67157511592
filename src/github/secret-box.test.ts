import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSecretKey, seal, SECRET_KEY_FILE, unseal } from './secret-box.js';

describe('secret box', () => {
  it('makes a key file 0600 once and reads the same key after', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hangar-secret-'));
    const key = loadSecretKey(dir, {});
    expect(key).toHaveLength(32);
    expect(statSync(join(dir, SECRET_KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(loadSecretKey(dir, {})).toEqual(key);
  });

  it('takes HANGAR_SECRET_KEY instead, and refuses a short one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hangar-secret-'));
    const key = loadSecretKey(dir, { HANGAR_SECRET_KEY: 'x'.repeat(32) });
    expect(key).toHaveLength(32);
    expect(() => readFileSync(join(dir, SECRET_KEY_FILE))).toThrow(/ENOENT/);
    expect(() => loadSecretKey(dir, { HANGAR_SECRET_KEY: 'short' })).toThrow(
      /HANGAR_SECRET_KEY: must be at least 32 characters/,
    );
  });

  it('seals so that only the same key and context open it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hangar-secret-'));
    const key = loadSecretKey(dir, {});
    const sealed = seal(key, 'ghp_secret', 'github-token:u1');
    expect(sealed).not.toContain('ghp_secret');
    expect(seal(key, 'ghp_secret', 'github-token:u1')).not.toBe(sealed);
    expect(unseal(key, sealed, 'github-token:u1')).toBe('ghp_secret');
    expect(() => unseal(key, sealed, 'github-token:u2')).toThrow();
    expect(() =>
      unseal(loadSecretKey(dir, { HANGAR_SECRET_KEY: 'y'.repeat(40) }), sealed, 'github-token:u1'),
    ).toThrow();
    const [v, iv, tag, body = ''] = sealed.split('.');
    const flipped = `${v}.${iv}.${tag}.${body.slice(0, -2)}${body.endsWith('A') ? 'B' : 'A'}${body.slice(-1)}`;
    expect(() => unseal(key, flipped, 'github-token:u1')).toThrow();
  });
});
