import { describe, expect, it } from 'vitest';
import { HOST_ENV } from './exec-env.js';
import { HOLDER_SCRIPT, holderEnv, parseChildPid } from './holder.js';

describe('parseChildPid', () => {
  it('waits for the whole of bwrap’s info, then gives its child’s pid', () => {
    const info = '{\n    "child-pid": 4242\n}\n';
    expect(parseChildPid(info.slice(0, 10))).toBe(undefined);
    expect(parseChildPid('')).toBe(undefined);
    expect(parseChildPid(info)).toBe(4242);
  });
});

describe('holderEnv', () => {
  it('is the fixed host environment and the script’s own variables, nothing of the caller’s', () => {
    const env = holderEnv({
      dir: '/data/sandboxes/sbx_1',
      base: { lower: '/data/sandbox-base/b1/lower', live: ['usr', 'opt'] },
      masks: undefined,
      binds: [
        { source: '/opt/agents/a', target: '/opt/a' },
        { source: '/srv/b', target: '/b' },
      ],
      ids: { uid: 2_000_000_001, gid: 2_000_000_001 },
      layers: ['/data/setup-cache/layers/c1'],
    });
    expect(env).toEqual({
      ...HOST_ENV,
      DIR: '/data/sandboxes/sbx_1',
      LOWER: '/data/sandbox-base/b1/lower',
      LIVE: 'usr opt',
      MASKS: '',
      BINDS: '/opt/agents/a /srv/b',
      IDS: '2000000001:2000000001',
      LAYERS: '/data/setup-cache/layers/c1',
    });
  });

  it('names only variables the script unsets before it becomes bwrap (no host path reaches pid 1)', () => {
    const unset = /^unset (.*)$/m.exec(HOLDER_SCRIPT)?.[1]?.split(' ') ?? [];
    const env = holderEnv({
      dir: '/d',
      base: { lower: '/l', live: [] },
      masks: '/m',
      binds: [],
      ids: { uid: 1, gid: 1 },
    });
    for (const name of Object.keys(env).filter((n) => !(n in HOST_ENV))) {
      expect(unset).toContain(name);
    }
  });
});
