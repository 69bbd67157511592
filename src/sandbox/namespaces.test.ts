import { closeSync, fstatSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConflictError } from '../errors.js';
import {
  EXEC_NAMESPACES,
  EXEC_NSENTER_ARGS,
  namespaceInodes,
  nsPid,
  openNamespaces,
  readRunning,
  type Running,
} from './namespaces.js';

const FLAG: Record<string, string> = {
  mount: 'mnt',
  net: 'net',
  ipc: 'ipc',
  uts: 'uts',
  cgroup: 'cgroup',
};

/** This test process stands in for both of a sandbox's processes: its namespaces are real. */
function ownRunning(): Running {
  const pids = { holderPid: process.pid, initPid: process.pid };
  return { ...pids, ns: namespaceInodes(pids) };
}

describe('nsPid', () => {
  it('finds the mounts in the holder and every other namespace in the sandbox’s init', () => {
    const pids = { holderPid: 10, initPid: 11 };
    expect(nsPid(pids, 'mnt')).toBe(10);
    for (const name of ['pid', 'net', 'ipc', 'uts', 'cgroup'] as const) {
      expect(nsPid(pids, name)).toBe(11);
    }
  });
});

describe('EXEC_NSENTER_ARGS', () => {
  it('points nsenter at the fd each namespace is opened on, the pid namespace left to bwrap', () => {
    expect(EXEC_NAMESPACES[0]).toBe('pid');
    expect(EXEC_NSENTER_ARGS).toHaveLength(EXEC_NAMESPACES.length - 1);
    for (const arg of EXEC_NSENTER_ARGS) {
      const [, flag, fd] = /^--([a-z]+)=\/proc\/self\/fd\/([0-9]+)$/.exec(arg) ?? [];
      expect(EXEC_NAMESPACES[Number(fd) - 3]).toBe(FLAG[flag ?? '']);
    }
  });
});

describe('readRunning', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hangar-ns-'));

  it('returns the record while its namespaces are the recorded ones', () => {
    const running = ownRunning();
    writeFileSync(join(dir, 'running.json'), JSON.stringify(running));
    expect(readRunning(join(dir, 'running.json'))).toEqual(running);
  });

  it('returns nothing when a namespace is not the recorded one (a reused pid)', () => {
    const running = ownRunning();
    running.ns.net += 1;
    writeFileSync(join(dir, 'stale.json'), JSON.stringify(running));
    expect(readRunning(join(dir, 'stale.json'))).toBe(undefined);
  });

  it('returns nothing without a record, or for a pid that is gone', () => {
    expect(readRunning(join(dir, 'missing.json'))).toBe(undefined);
    writeFileSync(
      join(dir, 'gone.json'),
      JSON.stringify({ ...ownRunning(), initPid: 2 ** 22 + 1 }),
    );
    expect(readRunning(join(dir, 'gone.json'))).toBe(undefined);
  });
});

describe('openNamespaces', () => {
  it('opens each namespace in exec order', () => {
    const running = ownRunning();
    const fds = openNamespaces(running, 'sbx_x');
    try {
      expect(fds.map((fd) => fstatSync(fd).ino)).toEqual(
        EXEC_NAMESPACES.map((name) => running.ns[name]),
      );
    } finally {
      for (const fd of fds) closeSync(fd);
    }
  });

  it('refuses a namespace that is not the recorded one', () => {
    const running = ownRunning();
    running.ns.uts += 1;
    expect(() => openNamespaces(running, 'sbx_x')).toThrow(ConflictError);
    expect(() => openNamespaces(running, 'sbx_x')).toThrow(/sbx_x stopped/);
  });
});
