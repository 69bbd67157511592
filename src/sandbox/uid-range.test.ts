import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_UID_RANGE,
  parseUidRange,
  rangeUsers,
  UidClaims,
  uidRunning,
} from './uid-range.js';

describe('HANGAR_SANDBOX_UIDS', () => {
  it('defaults to 2000000000-2099999999 and reads first-last', () => {
    expect(parseUidRange(undefined)).toEqual(DEFAULT_UID_RANGE);
    expect(parseUidRange('')).toEqual(DEFAULT_UID_RANGE);
    expect(parseUidRange('300000-300009')).toEqual({ first: 300_000, last: 300_009 });
  });

  it('refuses ranges that are not ranges, reach system ids, or pass 2^31', () => {
    for (const bad of ['abc', '5', '1000-2000', '300000-200000', '2000000000-2147483648', '-1-5']) {
      expect(() => parseUidRange(bad)).toThrow(/HANGAR_SANDBOX_UIDS: .* is not a uid range/);
    }
  });

  it('names the accounts and subordinate ranges that overlap it', () => {
    const range = { first: 300_000, last: 399_999 };
    const users = rangeUsers(range, {
      passwd: 'root:x:0:0::/root:/bin/bash\nodd:x:300005:100::/home/odd:/bin/sh\n',
      group: 'staff:x:50:\nodds:x:399999:\n',
      subuid: 'alice:100000:65536\nbob:365536:65536\n',
      subgid: 'alice:100000:65536\n',
    });
    expect(users).toEqual([
      'passwd odd (300005)',
      'group odds (399999)',
      'subuid bob (365536-431071)',
    ]);
    expect(
      rangeUsers(DEFAULT_UID_RANGE, {
        passwd: 'root:x:0:0::/root:/bin/bash\n',
        group: '',
        subuid: 'alice:100000:65536\n',
        subgid: '',
      }),
    ).toEqual([]);
  });
});

describe('uid claims', () => {
  const dirs: string[] = [];
  const claimsDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'hangar-uids-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('hands out each uid of a range once, then says the range is full', () => {
    const claims = new UidClaims(claimsDir(), { first: 300_000, last: 300_003 }, () => false);
    const got = new Set<number>();
    // Random picks: try enough times that all four are found, never one twice.
    for (let i = 0; i < 4; i++) got.add(claims.claim(`sbx_${i}`));
    expect([...got].sort()).toEqual([300_000, 300_001, 300_002, 300_003]);
    expect(() => claims.claim('sbx_5')).toThrow(/No free uid left .* 300000-300003 \(4 claimed\)/);
  });

  it('skips uids a host process runs as, and frees a uid only for its holder', () => {
    const dir = claimsDir();
    const claims = new UidClaims(dir, { first: 300_000, last: 300_001 }, (uid) => uid === 300_000);
    expect(claims.claim('sbx_a')).toBe(300_001);
    claims.release(300_001, 'sbx_other');
    expect(readFileSync(join(dir, '300001'), 'utf8')).toBe('sbx_a');
    claims.release(300_001, 'sbx_a');
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('uidRunning', () => {
  it('sees this process’s uid, and not one nobody runs as', () => {
    expect(uidRunning(process.getuid?.() ?? -1)).toBe(true);
    expect(uidRunning(2_147_000_001)).toBe(false);
  });
});
