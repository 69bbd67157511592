import { describe, expect, it } from 'vitest';
import { climbLadder } from '../../git/bundle-ladder.js';
import { withFlagCommands } from '../main.js';
import { httpUrlOf, sameRepoKey } from './remote.js';

describe('remote URLs', () => {
  it('turns ssh spellings into an https URL the server can clone', () => {
    expect(httpUrlOf('git@github.com:acme/app.git')).toBe('https://github.com/acme/app.git');
    expect(httpUrlOf('ssh://git@github.com:22/acme/app')).toBe('https://github.com/acme/app');
    expect(httpUrlOf('https://user:secret@git.example.com/acme/app.git')).toBe(
      'https://git.example.com/acme/app.git',
    );
    expect(httpUrlOf('/srv/git/app.git')).toBeUndefined();
    expect(httpUrlOf('file:///srv/git/app.git')).toBeUndefined();
  });

  it('treats the ssh and https spellings of one repo as the same', () => {
    const key = sameRepoKey('https://github.com/Acme/App.git');
    expect(sameRepoKey('git@github.com:acme/app')).toBe(key);
    expect(sameRepoKey('ssh://git@github.com/acme/app.git/')).toBe(key);
    expect(sameRepoKey('https://github.com/acme/other')).not.toBe(key);
  });
});

describe('hangar --remote', () => {
  it('becomes the remote subcommand wherever the flag stands before --', () => {
    const argv = (...rest: string[]) => ['node', 'hangar', ...rest];
    expect(withFlagCommands(argv('--remote', 'fix it'))).toEqual(argv('remote', 'fix it'));
    expect(withFlagCommands(argv('--env', 'py', '--remote', '--wait', 'fix it'))).toEqual(
      argv('remote', '--env', 'py', '--wait', 'fix it'),
    );
    expect(withFlagCommands(argv('sandbox', 'run', '--', 'echo', '--remote'))).toEqual(
      argv('sandbox', 'run', '--', 'echo', '--remote'),
    );
  });
});

describe('hangar --teleport', () => {
  it('becomes the teleport subcommand, with or without an id', () => {
    const argv = (...rest: string[]) => ['node', 'hangar', ...rest];
    expect(withFlagCommands(argv('--teleport'))).toEqual(argv('teleport'));
    expect(withFlagCommands(argv('--teleport', 'ses_1', '--stash'))).toEqual(
      argv('teleport', 'ses_1', '--stash'),
    );
    expect(withFlagCommands(argv('--stash', '--teleport', 'ses_1'))).toEqual(
      argv('teleport', '--stash', 'ses_1'),
    );
    expect(withFlagCommands(argv('remote', 'fix', '--', '--teleport'))).toEqual(
      argv('remote', 'fix', '--', '--teleport'),
    );
  });
});

describe('climbLadder', () => {
  it('takes the first rung that fits and reports what it tried', async () => {
    const sizes = { 'all-branches': 300, 'current-branch': 200, squashed: 100 };
    const make = (rung: keyof typeof sizes) => Promise.resolve({ file: rung, size: sizes[rung] });
    expect(await climbLadder(make, 250)).toMatchObject({ ok: true, rung: 'current-branch' });
    expect(await climbLadder(make, 1000)).toMatchObject({ ok: true, rung: 'all-branches' });
    expect(await climbLadder(make, 50)).toEqual({
      ok: false,
      limit: 50,
      tried: [
        { rung: 'all-branches', size: 300 },
        { rung: 'current-branch', size: 200 },
        { rung: 'squashed', size: 100 },
      ],
    });
  });
});
