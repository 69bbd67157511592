import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { githubConfigFrom } from './config.js';

const pem = generateKeyPairSync('rsa', { modulusLength: 1024 })
  .privateKey.export({ type: 'pkcs1', format: 'pem' })
  .toString();

describe('githubConfigFrom', () => {
  it('defaults to github.com, token sign-in on, no App', () => {
    expect(githubConfigFrom({})).toEqual({
      webUrl: 'https://github.com',
      apiUrl: 'https://api.github.com',
      app: undefined,
      tokenLogin: true,
      shareCheck: true,
      pollSeconds: 60,
      autofixMaxPerHour: 3,
    });
  });

  it('turns the repository check on shared sessions off, and names a bad value', () => {
    expect(githubConfigFrom({ HANGAR_GITHUB_SHARE_CHECK: 'off' }).shareCheck).toBe(false);
    expect(() => githubConfigFrom({ HANGAR_GITHUB_SHARE_CHECK: 'no' })).toThrow(
      /HANGAR_GITHUB_SHARE_CHECK/,
    );
  });

  it('takes a polling interval for pull requests, 0 to turn it off, and names a bad one', () => {
    expect(githubConfigFrom({ HANGAR_GITHUB_POLL_SECONDS: '0' }).pollSeconds).toBe(0);
    expect(() => githubConfigFrom({ HANGAR_GITHUB_POLL_SECONDS: '1m' })).toThrow(
      /HANGAR_GITHUB_POLL_SECONDS/,
    );
  });

  it('takes a cap on auto-fix turns per hour, and names a bad one', () => {
    expect(githubConfigFrom({ HANGAR_AUTOFIX_MAX_PER_HOUR: '10' }).autofixMaxPerHour).toBe(10);
    expect(() => githubConfigFrom({ HANGAR_AUTOFIX_MAX_PER_HOUR: 'lots' })).toThrow(
      /HANGAR_AUTOFIX_MAX_PER_HOUR/,
    );
  });

  it('takes an Enterprise Server, and turns token sign-in off', () => {
    const config = githubConfigFrom({
      HANGAR_GITHUB_URL: 'https://ghe.example.corp/',
      HANGAR_GITHUB_API_URL: 'https://ghe.example.corp/api/v3',
      HANGAR_GITHUB_TOKEN_LOGIN: 'off',
    });
    expect(config).toMatchObject({
      webUrl: 'https://ghe.example.corp',
      apiUrl: 'https://ghe.example.corp/api/v3',
      tokenLogin: false,
    });
  });

  it('reads the App key as a PEM (escaped newlines too) or from a path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hangar-gh-config-'));
    const file = join(dir, 'app.pem');
    writeFileSync(file, pem);
    for (const key of [pem, pem.replaceAll('\n', '\\n'), file]) {
      const config = githubConfigFrom({
        HANGAR_GITHUB_APP_ID: '42',
        HANGAR_GITHUB_APP_PRIVATE_KEY: key,
        HANGAR_GITHUB_WEBHOOK_SECRET: 's3cret',
      });
      expect(config.app).toEqual({ id: 42, privateKey: pem, webhookSecret: 's3cret' });
    }
  });

  it('names the variable that is wrong', () => {
    const bad: [NodeJS.ProcessEnv, RegExp][] = [
      [{ HANGAR_GITHUB_URL: 'github.com' }, /HANGAR_GITHUB_URL: must be an http\(s\) URL/],
      [{ HANGAR_GITHUB_API_URL: 'ftp://x' }, /HANGAR_GITHUB_API_URL/],
      [{ HANGAR_GITHUB_TOKEN_LOGIN: 'no' }, /HANGAR_GITHUB_TOKEN_LOGIN: must be "on" or "off"/],
      [{ HANGAR_GITHUB_APP_ID: 'abc', HANGAR_GITHUB_APP_PRIVATE_KEY: pem }, /HANGAR_GITHUB_APP_ID/],
      [{ HANGAR_GITHUB_APP_ID: '1' }, /HANGAR_GITHUB_APP_PRIVATE_KEY: a GitHub App needs both/],
      [{ HANGAR_GITHUB_APP_PRIVATE_KEY: pem }, /HANGAR_GITHUB_APP_ID: a GitHub App needs both/],
      [
        { HANGAR_GITHUB_APP_ID: '1', HANGAR_GITHUB_APP_PRIVATE_KEY: '/no/such/key.pem' },
        /HANGAR_GITHUB_APP_PRIVATE_KEY: cannot read the key file "\/no\/such\/key.pem" \(ENOENT\)/,
      ],
      [
        { HANGAR_GITHUB_APP_ID: '1', HANGAR_GITHUB_APP_PRIVATE_KEY: '-----BEGIN CERTIFICATE-----' },
        /HANGAR_GITHUB_APP_PRIVATE_KEY: is not a PEM private key/,
      ],
    ];
    for (const [env, message] of bad) expect(() => githubConfigFrom(env)).toThrow(message);
  });
});
