import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import {
  checkBinds,
  checkBindTarget,
  checkDataDir,
  checkOutsideLive,
  checkSpec,
  SANDBOX_ID,
} from './spec-checks.js';

/** A host directory to bind, holding a file (not a directory: no bind source). */
const dir = mkdtempSync(join(tmpdir(), 'hangar-binds-'));
writeFileSync(join(dir, 'file'), '');

describe('checkBindTarget', () => {
  it('takes plain absolute paths', () => {
    for (const ok of ['/opt/agent', '/home/user/.cache', '/devices', '/procedures', '/a/b@1+2']) {
      expect(() => checkBindTarget(ok, 'binds[0]')).not.toThrow();
    }
  });

  it('refuses the root, /proc and /dev and what is under them, relative paths and ..', () => {
    for (const bad of [
      '/',
      '/proc',
      '/proc/sys',
      '/dev',
      '/dev/shm',
      'opt',
      '/opt/../etc',
      '/a b',
      '',
    ]) {
      expect(() => checkBindTarget(bad, 'binds[2]'), bad).toThrow(ValidationError);
    }
    expect(() => checkBindTarget('/proc/sys', 'binds[2]')).toThrow(
      /^binds\[2\]: \/proc\/sys is not a plain absolute path inside the sandbox\.$/,
    );
  });
});

describe('checkBinds', () => {
  it('keeps a bind’s source and target only', () => {
    const bind = { source: dir, target: '/opt/x', extra: 'dropped' };
    expect(checkBinds([bind])).toEqual([{ source: dir, target: '/opt/x' }]);
  });

  it('refuses a missing source, a file, and a bad target, naming the bind', () => {
    expect(() => checkBinds([{ source: join(dir, 'none'), target: '/x' }])).toThrow(
      /^binds\[0\]: .* is not an existing plain host path\.$/,
    );
    expect(() =>
      checkBinds([
        { source: dir, target: '/x' },
        { source: join(dir, 'file'), target: '/y' },
      ]),
    ).toThrow(/^binds\[1\]: .* is not a directory\.$/);
    expect(() => checkBinds([{ source: dir, target: '/dev/x' }])).toThrow(/^binds\[0\]: /);
  });
});

describe('checkSpec', () => {
  it('gives the gateway’s port, 3128 unless the spec names one', () => {
    expect(checkSpec({})).toBe(3128);
    expect(checkSpec({ gatewaySocket: '/run/gw.sock', gatewayPort: 8080, env: { A: '1' } })).toBe(
      8080,
    );
  });

  it('takes ports 1–65535 only', () => {
    for (const gatewayPort of [1, 65_535]) expect(checkSpec({ gatewayPort })).toBe(gatewayPort);
    for (const gatewayPort of [0, -1, 65_536, 80.5, Number.NaN]) {
      expect(() => checkSpec({ gatewayPort })).toThrow(/^gatewayPort: .* is not a port\.$/);
    }
  });

  it('refuses a socket path socat’s address cannot hold, and bad variables', () => {
    expect(() => checkSpec({ gatewaySocket: '/tmp/a,fork' })).toThrow(/^gatewaySocket: /);
    expect(() => checkSpec({ gatewaySocket: '/tmp/a b' })).toThrow(/^gatewaySocket: /);
    expect(() => checkSpec({ env: { 'A=B': '1' } })).toThrow(/^env: /);
  });
});

describe('checkDataDir and checkOutsideLive', () => {
  it('refuse a data dir with characters a mount option or shell word cannot hold', () => {
    expect(() => checkDataDir('/var/lib/hangar')).not.toThrow();
    for (const bad of ['/var/lib/my hangar', '/var/lib/a,b', '/var/$x']) {
      expect(() => checkDataDir(bad)).toThrow(/^HANGAR_DATA_DIR: /);
    }
  });

  it('refuse a data dir inside a layer sandboxes see', () => {
    expect(() => checkOutsideLive('/usr', ['usr', 'opt'])).toThrow(/inside \/usr/);
    expect(() => checkOutsideLive('/opt/hangar', ['usr', 'opt'])).toThrow(/inside \/opt/);
    expect(() => checkOutsideLive('/optional/hangar', ['usr', 'opt'])).not.toThrow();
    expect(() => checkOutsideLive('/opt/hangar', [])).not.toThrow();
  });
});

describe('SANDBOX_ID', () => {
  it('matches the ids the driver makes and nothing that could name another path', () => {
    expect(SANDBOX_ID.test('sbx_01hzy3k4m5n6p7q8r9s0t1v2w3')).toBe(true);
    for (const bad of ['sbx_../../etc', 'sbx_01HZY3K4M5N6P7Q8R9S0T1V2W3', 'sbx_short', '']) {
      expect(SANDBOX_ID.test(bad)).toBe(false);
    }
  });
});
