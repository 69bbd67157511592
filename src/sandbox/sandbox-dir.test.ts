import { describe, expect, it } from 'vitest';
import { bindViews, gatewayAddress, userIds } from './sandbox-dir.js';
import { LEGACY_UID } from './uid-range.js';

describe('userIds', () => {
  it('gives user the sandbox’s own uid as uid and gid', () => {
    expect(userIds({ uid: 2_000_000_042 })).toEqual({ uid: 2_000_000_042, gid: 2_000_000_042 });
  });

  it('keeps the uid of sandboxes made before each had its own', () => {
    expect(userIds({})).toEqual({ uid: LEGACY_UID, gid: LEGACY_UID });
  });
});

describe('gatewayAddress', () => {
  it('is the loopback port when the sandbox has a gateway, else nothing', () => {
    expect(gatewayAddress({ gatewaySocket: '/run/gw.sock', gatewayPort: 3128 })).toBe(
      '127.0.0.1:3128',
    );
    expect(gatewayAddress({ gatewaySocket: undefined, gatewayPort: 3128 })).toBe(undefined);
  });
});

describe('bindViews', () => {
  it('shows each bind from its overlay in the sandbox’s directory, never its host source', () => {
    const binds = [
      { source: '/opt/agents/claude', target: '/opt/claude' },
      { source: '/srv/cache', target: '/home/user/.cache' },
    ];
    expect(bindViews('/data/sandboxes/sbx_1', binds)).toEqual([
      { source: '/data/sandboxes/sbx_1/binds/0', target: '/opt/claude' },
      { source: '/data/sandboxes/sbx_1/binds/1', target: '/home/user/.cache' },
    ]);
  });
});
