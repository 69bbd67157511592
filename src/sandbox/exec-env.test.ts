import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import {
  checkEnv,
  envArgs,
  HELD_PREFIX,
  HOST_ENV,
  LOADER_VARS,
  MAX_ENV_VARS,
  RESTORE_HELD,
} from './exec-env.js';

describe('envArgs', () => {
  it('clears bwrap’s environment and sets each variable, values verbatim', () => {
    expect(envArgs({ A: '1', EMPTY: '', DASH: '--', NL: 'a\nb' })).toEqual([
      '--clearenv',
      '--setenv',
      'A',
      '1',
      '--setenv',
      'EMPTY',
      '',
      '--setenv',
      'DASH',
      '--',
      '--setenv',
      'NL',
      'a\nb',
    ]);
  });

  it('holds loader variables under another name', () => {
    expect(envArgs({ LD_PRELOAD: '/x.so', TMPDIR: '/t' })).toEqual([
      '--clearenv',
      '--setenv',
      `${HELD_PREFIX}LD_PRELOAD`,
      '/x.so',
      '--setenv',
      `${HELD_PREFIX}TMPDIR`,
      '/t',
    ]);
  });
});

describe('checkEnv', () => {
  it.each([['A=B'], [''], ['1X'], ['A B'], ['BASH_FUNC_x%%'], ['A\0']])(
    'refuses the name %j',
    (name) => {
      expect(() => checkEnv({ [name]: 'v' })).toThrow(ValidationError);
      expect(() => checkEnv({ [name]: 'v' })).toThrow(/is not a variable name/);
    },
  );

  it('refuses a NUL in a value, naming the variable', () => {
    expect(() => checkEnv({ TOKEN: 'a\0b' }, 'env')).toThrow(
      'env.TOKEN: the value of TOKEN contains a NUL byte',
    );
  });

  it('refuses more variables than bwrap can take', () => {
    const many = Object.fromEntries(
      Array.from({ length: MAX_ENV_VARS + 1 }, (_, i) => [`V${i}`, '']),
    );
    expect(() => checkEnv(many)).toThrow(/more than the 2000/);
  });
});

describe('RESTORE_HELD', () => {
  const run = (env: Record<string, string>) =>
    execFileSync('sh', ['-c', `${RESTORE_HELD}; env`], {
      env: { ...HOST_ENV, ...env },
      encoding: 'utf8',
    })
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('PWD=') && !line.startsWith('PATH='))
      .sort();

  it('gives held variables their names back, values never evaluated', () => {
    const value = 'a "$(touch /tmp/no)" `id` $HOME\nb';
    expect(
      run({ [`${HELD_PREFIX}LOCPATH`]: value, [`${HELD_PREFIX}TMPDIR`]: '', OTHER: 'x' }),
    ).toEqual(['LOCPATH=a "$(touch /tmp/no)" `id` $HOME', 'b', 'OTHER=x', 'TMPDIR='].sort());
  });

  it('sets nothing that was not held, and leaves no variable of its own', () => {
    expect(run({ n: 'mine', held: 'mine too' })).toEqual(['held=mine too', 'n=mine']);
    expect(LOADER_VARS).toContain('LD_PRELOAD');
  });
});
