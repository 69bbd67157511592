import { request } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import { policyFromFlags, startLocalGateway, summarizeDenials } from './local-gateway.js';
import { rawExchange, tempDir } from './test-gateway.js';

const temp = tempDir();
afterAll(() => temp.remove());

describe('policyFromFlags', () => {
  const trusted = ['registry.example'];

  it('defaults to trusted, and to custom when patterns are given', () => {
    expect(policyFromFlags({}, trusted)).toMatchObject({
      level: 'trusted',
      allow: [{ host: 'registry.example' }],
    });
    expect(policyFromFlags({ allow: ['api.example'] }, trusted)).toMatchObject({
      level: 'custom',
      allow: [{ host: 'api.example' }],
    });
    expect(policyFromFlags({ network: 'full', allow: ['ssh.example:22'] }, trusted).level).toBe(
      'full',
    );
  });

  it('names the flag that is wrong', () => {
    expect(() => policyFromFlags({ network: 'most' }, trusted)).toThrow(
      /--network: "most" is not one of none, trusted, full, custom/,
    );
    expect(() => policyFromFlags({ network: 'none', allow: ['a.example'] }, trusted)).toThrow(
      /--allow/,
    );
    expect(() => policyFromFlags({ allow: ['*.com'] }, trusted)).toThrow(ValidationError);
    expect(() => policyFromFlags({ allow: ['*.com'] }, trusted)).toThrow(
      /^--allow: "\*\.com" puts a wildcard over the public suffix/,
    );
  });
});

describe('summarizeDenials', () => {
  it('groups by target, most refused first', () => {
    const at = new Date();
    const lines = summarizeDenials([
      { at, host: 'a.example', port: 443, code: 'not-allowed', reason: 'x' },
      { at, host: 'b.example', port: 443, code: 'not-allowed', reason: 'y' },
      { at, host: 'b.example', port: 443, code: 'not-allowed', reason: 'y' },
    ]);
    expect(lines).toEqual([
      'b.example:443  2×  not-allowed: y',
      'a.example:443  1×  not-allowed: x',
    ]);
  });
});

describe('startLocalGateway', () => {
  it('serves one sandbox from the environment and sums up what it blocked', async () => {
    const gateway = await startLocalGateway(
      { HANGAR_EGRESS_RESOLVE: 'web.hangar.test=127.0.0.1', ANTHROPIC_API_KEY: 'k' },
      temp.dir,
      { network: 'none' },
    );
    expect(gateway.socketPath.startsWith(`${temp.dir}/gateway/run_`)).toBe(true);
    expect(gateway.env('127.0.0.1:3128')).toMatchObject({
      HTTPS_PROXY: 'http://127.0.0.1:3128',
      no_proxy: 'localhost,127.0.0.1,::1',
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:3128/model/anthropic',
    });
    expect(gateway.env('127.0.0.1:3128').ANTHROPIC_API_KEY).not.toBe('k');
    const answer = await rawExchange(
      gateway.socketPath,
      'CONNECT web.hangar.test:443 HTTP/1.1\r\nHost: x\r\n\r\n',
    );
    expect(answer).toMatch(/X-Hangar-Deny-Reason: network-none/);
    expect(gateway.summary()).toEqual([
      'Hangar blocked 1 network request(s):',
      '  web.hangar.test:443  1×  network-none: this environment has no network access (level none)',
    ]);
    await gateway.close();
    await expect(
      new Promise((resolve, reject) =>
        request({ socketPath: gateway.socketPath })
          .on('error', reject)
          .on('response', resolve)
          .end(),
      ),
    ).rejects.toThrow();
  });

  it('refuses a socket path too long to bind', async () => {
    await expect(startLocalGateway({}, `${temp.dir}/${'d'.repeat(100)}`, {})).rejects.toThrow(
      /longer than a unix socket path/,
    );
  });
});
