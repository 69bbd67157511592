import { describe, expect, it } from 'vitest';
import { argsFdBytes, viaArgsFd } from './bwrap-pipes.js';

const args = ['--bind', '/data/sandboxes/sbx_1/root', '/', '--', '/bin/sh', '-c', 'echo hi'];

describe('viaArgsFd', () => {
  it('keeps only the command in argv: the options are named by their fd', () => {
    expect(viaArgsFd(args, 4)).toEqual(['--args', '4', '--', '/bin/sh', '-c', 'echo hi']);
  });

  it('splits at the first `--`, so a command holding `--` keeps it', () => {
    expect(viaArgsFd(['--dev', '/dev', '--', 'git', '--', 'x'], 9)).toEqual([
      '--args',
      '9',
      '--',
      'git',
      '--',
      'x',
    ]);
  });
});

describe('argsFdBytes', () => {
  it('sends every option NUL-terminated, and nothing of the command', () => {
    expect(argsFdBytes(args).toString()).toBe('--bind\0/data/sandboxes/sbx_1/root\0/\0');
  });

  it('puts extra first and never splits it, whatever it holds', () => {
    const extra = ['--setenv', 'DASH', '--', '--setenv', 'NL', 'a\nb'];
    expect(argsFdBytes(['--dev', '/dev', '--', 'true'], extra).toString()).toBe(
      '--setenv\0DASH\0--\0--setenv\0NL\0a\nb\0--dev\0/dev\0',
    );
  });
});
