import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkIntegrity, installEnv, type AgentPackage } from './install.js';

const PKG: AgentPackage = {
  name: '@acme/agent',
  version: '1.2.3',
  bin: 'agent',
  integrity: { '@acme/agent': 'sha512-main', '@acme/agent-linux-x64': 'sha512-native' },
};

describe('installEnv', () => {
  it("keeps what npm needs and drops the server's secrets and settings", () => {
    const env = installEnv({
      PATH: '/usr/bin',
      HOME: '/home/h',
      npm_config_registry: 'http://127.0.0.1:4873/',
      npm_config_cache: '/tmp/c',
      HTTPS_PROXY: 'http://127.0.0.1:3128',
      ANTHROPIC_API_KEY: 'sk-ant',
      OPENAI_API_KEY: 'sk-oa',
      DATABASE_URL: 'postgres://x',
      HANGAR_GITHUB_TOKEN: 'ghp',
      NODE_OPTIONS: '--require /tmp/evil.js',
      npm_config__authToken: 'npm-token',
    });
    expect(env).toEqual({
      PATH: '/usr/bin',
      HOME: '/home/h',
      npm_config_registry: 'http://127.0.0.1:4873/',
      npm_config_cache: '/tmp/c',
      HTTPS_PROXY: 'http://127.0.0.1:3128',
    });
  });
});

describe('checkIntegrity', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function installed(packages: Record<string, { version?: string; integrity?: string }>): string {
    dir = mkdtempSync(join(tmpdir(), 'hangar-integrity-'));
    mkdirSync(join(dir, 'node_modules'));
    writeFileSync(
      join(dir, 'node_modules', '.package-lock.json'),
      JSON.stringify({ lockfileVersion: 3, packages }),
    );
    return dir;
  }

  it('accepts exactly the pinned packages at the pinned version', () => {
    const prefix = installed({
      'node_modules/@acme/agent': { version: '1.2.3', integrity: 'sha512-main' },
      'node_modules/@acme/agent-linux-x64': { version: '1.2.3', integrity: 'sha512-native' },
    });
    expect(() => checkIntegrity(prefix, PKG)).not.toThrow();
  });

  it("accepts a platform package that is an alias of the main one, at the pin's version", () => {
    const prefix = installed({
      'node_modules/@acme/agent': { version: '1.2.3', integrity: 'sha512-main' },
      'node_modules/@acme/agent-linux-x64': {
        version: '1.2.3-linux-x64',
        integrity: 'sha512-native',
      },
    });
    expect(() => checkIntegrity(prefix, PKG)).not.toThrow();
    rmSync(prefix, { recursive: true, force: true });
    const other = installed({
      'node_modules/@acme/agent': { version: '1.2.3', integrity: 'sha512-main' },
      'node_modules/@acme/agent-linux-x64': {
        version: '1.2.4-linux-x64',
        integrity: 'sha512-native',
      },
    });
    expect(() => checkIntegrity(other, PKG)).toThrow(/does not match its pin/);
  });

  it('refuses other bytes, another version, an unpinned package, or no package', () => {
    const cases: [Record<string, { version?: string; integrity?: string }>, RegExp][] = [
      [{ 'node_modules/@acme/agent': { version: '1.2.3', integrity: 'sha512-evil' } }, /pin/],
      [{ 'node_modules/@acme/agent': { version: '1.2.4', integrity: 'sha512-main' } }, /pin/],
      [
        {
          'node_modules/@acme/agent': { version: '1.2.3', integrity: 'sha512-main' },
          'node_modules/left-pad': { version: '1.0.0', integrity: 'sha512-x' },
        },
        /left-pad, which has no integrity pin/,
      ],
      [{}, /did not install @acme\/agent/],
    ];
    for (const [packages, error] of cases) {
      const prefix = installed(packages);
      expect(() => checkIntegrity(prefix, PKG)).toThrow(error);
      rmSync(prefix, { recursive: true, force: true });
    }
  });
});
