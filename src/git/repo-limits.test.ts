import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_GIT_PROCESS_LIMITS,
  directoryBytes,
  limitedGitArgs,
  pushConfigEnv,
} from './repo-limits.js';
import { runGit } from './run-git.js';

describe('limitedGitArgs', () => {
  it('runs git under the rlimits it names', () => {
    const limits = { dataBytes: 256 * 1024 * 1024, cpuSeconds: 30, fileBytes: 1024 * 1024 };
    const argv = limitedGitArgs(['--version'], limits);
    expect(execFileSync('sh', argv, { encoding: 'utf8' })).toMatch(/^git version /);
    // The same shell, but showing the limits the command would run under.
    const probe = argv.map((arg) => arg.replace('exec "$0" "$@"', 'exec cat /proc/self/limits'));
    const shown = execFileSync('sh', probe, { encoding: 'utf8' });
    expect(shown).toMatch(/^Max data size +268435456 +268435456 +bytes/m);
    expect(shown).toMatch(/^Max file size +1048576 +1048576 +bytes/m);
    expect(shown).toMatch(/^Max cpu time +30 +30 +seconds/m);
  });

  it('stops git writing a file larger than fileBytes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hangar-rlimit-'));
    const big = join(dir, 'big');
    writeFileSync(big, Buffer.alloc(256 * 1024, 7));
    execFileSync('git', ['init', '-q', '--bare', join(dir, 'repo.git')]);
    // hash-object -w writes the object: fine under the default limits, killed under 4 KiB.
    const args = ['--git-dir', join(dir, 'repo.git'), 'hash-object', '-w', '--literally', big];
    const ok = spawnSync('sh', limitedGitArgs(args, DEFAULT_GIT_PROCESS_LIMITS));
    expect(ok.status).toBe(0);
    writeFileSync(big, randomBytes(256 * 1024));
    const tiny = { ...DEFAULT_GIT_PROCESS_LIMITS, fileBytes: 4096 };
    const killed = spawnSync('sh', limitedGitArgs(args, tiny));
    expect(killed.status === 0 && killed.signal === null).toBe(false);
  });
});

describe('runGit with limits', () => {
  it('runs git under them: a bundle larger than fileBytes is not written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hangar-rlimit-'));
    execFileSync('git', ['init', '-q', dir]);
    writeFileSync(join(dir, 'noise'), randomBytes(256 * 1024));
    execFileSync('git', ['-C', dir, 'add', 'noise']);
    execFileSync('git', [
      '-C',
      dir,
      '-c',
      'user.name=t',
      '-c',
      'user.email=t@t',
      'commit',
      '-qm',
      'n',
    ]);
    const bundle = (fileBytes: number) =>
      runGit(['-C', dir, 'bundle', 'create', '-q', join(dir, `${fileBytes}.bundle`), '--all'], {
        limits: { ...DEFAULT_GIT_PROCESS_LIMITS, fileBytes },
      }).then(
        (result) => result.code,
        () => 'killed',
      );
    expect(await bundle(DEFAULT_GIT_PROCESS_LIMITS.fileBytes)).toBe(0);
    expect(await bundle(4096)).not.toBe(0);
  });
});

describe('pushConfigEnv', () => {
  it('reaches git as config', () => {
    const env = { PATH: process.env.PATH, GIT_CONFIG_GLOBAL: '/dev/null', ...pushConfigEnv(5000) };
    const get = (key: string) =>
      execFileSync('git', ['config', '--get', key], { env, encoding: 'utf8' }).trim();
    expect(get('receive.maxInputSize')).toBe('5000');
    expect(get('receive.unpackLimit')).toBe('1');
    expect(get('receive.autogc')).toBe('false');
  });
});

describe('directoryBytes', () => {
  it('adds up files without following symlinks', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hangar-size-'));
    mkdirSync(join(dir, 'objects', 'pack'), { recursive: true });
    writeFileSync(join(dir, 'HEAD'), 'x'.repeat(100));
    writeFileSync(join(dir, 'objects', 'pack', 'p.pack'), Buffer.alloc(5000));
    symlinkSync('/dev/zero', join(dir, 'objects', 'zero'));
    const size = await directoryBytes(dir);
    expect(size).toBe(100 + 5000 + '/dev/zero'.length);
  });
});
