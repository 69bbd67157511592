import { describe, expect, it } from 'vitest';
import { execCommand, exitResult } from './exec.js';

describe('execCommand', () => {
  const tools = { sh: '/bin/sh', nsenter: '/usr/bin/nsenter', bwrap: '/usr/bin/bwrap' };
  const bwrapArgs = ['--bind', '/data/sandboxes/sbx_1/root', '/', '--', '/bin/sh', '-c', 'x'];
  const procs = ['/sys/fs/cgroup/hangar/sbx_1/cgroup.procs'];

  it('joins the cgroups, enters the namespaces, and hands bwrap its options by fd 9', () => {
    const argv = execCommand(tools, procs, bwrapArgs);
    expect(argv.slice(0, 5)).toEqual(['-c', expect.any(String), 'sh', ...procs, '--']);
    expect(argv.slice(argv.indexOf(tools.nsenter))).toEqual([
      '/usr/bin/nsenter',
      '--mount=/proc/self/fd/4',
      '--net=/proc/self/fd/5',
      '--ipc=/proc/self/fd/6',
      '--uts=/proc/self/fd/7',
      '--cgroup=/proc/self/fd/8',
      '--',
      '/usr/bin/bwrap',
      '--args',
      '9',
      '--',
      '/bin/sh',
      '-c',
      'x',
    ]);
  });

  it('puts none of bwrap’s options (host paths) in argv', () => {
    expect(execCommand(tools, procs, bwrapArgs)).not.toContain('/data/sandboxes/sbx_1/root');
  });
});

describe('exitResult', () => {
  it('passes an exit code through', () => {
    expect(exitResult(0, null)).toEqual({ exitCode: 0, signal: null });
    expect(exitResult(3, null)).toEqual({ exitCode: 3, signal: null });
  });

  it('names the signal that killed the command inside (the shell exits 128 + n)', () => {
    expect(exitResult(137, null)).toEqual({ exitCode: 137, signal: 'SIGKILL' });
    expect(exitResult(143, null)).toEqual({ exitCode: 143, signal: 'SIGTERM' });
  });

  it('counts a signal that killed the host chain as 128 + n', () => {
    expect(exitResult(null, 'SIGKILL')).toEqual({ exitCode: 137, signal: 'SIGKILL' });
  });

  it('takes no code and no signal as a failure', () => {
    expect(exitResult(null, null)).toEqual({ exitCode: 1, signal: null });
  });
});
