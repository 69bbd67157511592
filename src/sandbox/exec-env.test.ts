import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import {
  checkEnv,
  commandEnv,
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

describe('commandEnv', () => {
  const base = { sandboxId: 'sbx_1', gateway: undefined, sandboxEnv: {} };

  it('gives user and root a login’s basics, each their own home', () => {
    expect(commandEnv({ ...base, user: 'user' })).toEqual({
      PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      HOME: '/home/user',
      USER: 'user',
      LOGNAME: 'user',
      SHELL: '/bin/bash',
      LANG: 'C.UTF-8',
      HANGAR_SANDBOX_ID: 'sbx_1',
    });
    expect(commandEnv({ ...base, user: 'root' })).toMatchObject({
      HOME: '/root',
      USER: 'root',
      LOGNAME: 'root',
    });
  });

  it('names the gateway only when the sandbox has one', () => {
    expect(commandEnv({ ...base, user: 'user', gateway: '127.0.0.1:3128' })).toMatchObject({
      HANGAR_GATEWAY: '127.0.0.1:3128',
    });
    expect(commandEnv({ ...base, user: 'user' })).not.toHaveProperty('HANGAR_GATEWAY');
  });

  it('lets the sandbox’s variables override the basics, and the exec’s override both', () => {
    const env = commandEnv({
      ...base,
      user: 'user',
      sandboxEnv: { LANG: 'de_DE.UTF-8', A: 'sandbox', B: 'sandbox' },
      execEnv: { B: 'exec', HOME: '/tmp' },
    });
    expect(env).toMatchObject({ LANG: 'de_DE.UTF-8', A: 'sandbox', B: 'exec', HOME: '/tmp' });
  });
});
