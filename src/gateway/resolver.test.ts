import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import { parseIpLiteral, type IpAddress } from './ip-class.js';
import {
  coalesceLookups,
  parseGitHosts,
  parsePins,
  resolveTarget,
  resolveUpstream,
} from './resolver.js';

const ip = (text: string) => parseIpLiteral(text) as IpAddress;

describe('parsePins', () => {
  it('reads name=ip pairs, normalising names', () => {
    const pins = parsePins(' API.Example.test.=127.0.0.1, v6.example.test=::1 ');
    expect(pins.get('api.example.test')?.text).toBe('127.0.0.1');
    expect(pins.get('v6.example.test')?.text).toBe('::1');
    expect(parsePins(undefined).size).toBe(0);
  });

  it('names the variable and the bad entry', () => {
    expect(() => parsePins('api.example.test')).toThrow(ValidationError);
    expect(() => parsePins('api.example.test=nope')).toThrow(
      /HANGAR_EGRESS_RESOLVE: "api.example.test=nope"/,
    );
    expect(() => parsePins('a=1.2.3.4=5')).toThrow(/HANGAR_EGRESS_RESOLVE/);
  });
});

describe('resolveTarget', () => {
  const pins = parsePins('pinned.example.test=10.1.2.3');
  const lookup = (answers: Record<string, string[]>) => (host: string) => {
    const found = answers[host];
    return found
      ? Promise.resolve(found)
      : Promise.reject(Object.assign(new Error('no'), { code: 'ENOTFOUND' }));
  };

  it('uses a pinned address without DNS, even a private one', async () => {
    const result = await resolveTarget('pinned.example.test', undefined, pins, () =>
      Promise.reject(new Error('DNS used')),
    );
    expect(result).toMatchObject({ ok: true, pinned: true, address: { text: '10.1.2.3' } });
  });

  it('refuses a name with any non-public answer', async () => {
    const result = await resolveTarget(
      'mixed.example',
      undefined,
      pins,
      lookup({ 'mixed.example': ['93.184.216.34', '10.0.0.1'] }),
    );
    expect(result).toMatchObject({ ok: false, code: 'private-address' });
    const mapped = await resolveTarget(
      'v6.example',
      undefined,
      pins,
      lookup({ 'v6.example': ['::ffff:127.0.0.1'] }),
    );
    expect(mapped).toMatchObject({ ok: false, code: 'private-address' });
  });

  it('returns the first public answer, and says when DNS fails', async () => {
    const ok = await resolveTarget(
      'pub.example',
      undefined,
      pins,
      lookup({ 'pub.example': ['93.184.216.34', '93.184.216.35'] }),
    );
    expect(ok).toMatchObject({ ok: true, pinned: false, address: { text: '93.184.216.34' } });
    const missing = await resolveTarget('missing.example', undefined, pins, lookup({}));
    expect(missing).toMatchObject({
      ok: false,
      code: 'dns-failed',
      reason: 'missing.example could not be resolved (ENOTFOUND)',
    });
  });

  it('dials a literal as it is', async () => {
    expect(await resolveTarget('8.8.8.8', ip('8.8.8.8'), pins, lookup({}))).toMatchObject({
      ok: true,
      address: { text: '8.8.8.8' },
    });
  });
});

describe('coalesceLookups', () => {
  it('shares one lookup among concurrent callers, and looks up again afterwards', async () => {
    let calls = 0;
    const lookup = coalesceLookups(async () => {
      calls += 1;
      await new Promise((resolve) => setTimeout(resolve, 10));
      return ['93.184.216.34'];
    });
    const answers = await Promise.all([
      lookup('a.example'),
      lookup('a.example'),
      lookup('a.example'),
    ]);
    expect(answers).toEqual([['93.184.216.34'], ['93.184.216.34'], ['93.184.216.34']]);
    expect(calls).toBe(1);
    await lookup('a.example');
    expect(calls).toBe(2);
  });

  it('passes a failure to every waiting caller', async () => {
    const lookup = coalesceLookups(() => Promise.reject(new Error('ENOTFOUND')));
    const results = await Promise.allSettled([lookup('x.example'), lookup('x.example')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});

describe('parseGitHosts', () => {
  it('keys hosts by origin with the port spelled out', () => {
    const hosts = parseGitHosts(' https://GHE.example.corp , http://10.0.0.5:8080/ ');
    expect([...hosts]).toEqual(['https://ghe.example.corp:443', 'http://10.0.0.5:8080']);
    expect(parseGitHosts(undefined).size).toBe(0);
  });

  it('names the variable and the bad entry', () => {
    for (const bad of [
      'ghe.example.corp',
      'ftp://x',
      'https://u:p@x',
      'https://x/org',
      'https://x/?a',
    ]) {
      expect(() => parseGitHosts(bad), bad).toThrow(/HANGAR_GIT_HOSTS/);
    }
  });
});

describe('resolveUpstream', () => {
  const rules = (gitHosts = '', pins = '') => ({
    pins: parsePins(pins),
    gitHosts: parseGitHosts(gitHosts),
    lookup: (host: string) =>
      Promise.resolve(
        (
          {
            'public.example.test': ['203.0.113.10'],
            'inside.example.test': ['10.0.0.7'],
          } as Record<string, string[]>
        )[host] ?? [],
      ),
  });

  it('dials a public name or literal at the address it checked', async () => {
    expect(
      await resolveUpstream(new URL('https://public.example.test/a/b.git'), rules()),
    ).toMatchObject({ ok: true, address: { text: '203.0.113.10' } });
    expect(await resolveUpstream(new URL('http://203.0.113.9/a.git'), rules())).toMatchObject({
      ok: true,
      address: { text: '203.0.113.9' },
    });
  });

  it('refuses private names and literals in any spelling, naming the way to allow them', async () => {
    for (const url of [
      'https://inside.example.test/a.git',
      'http://127.0.0.1:8080/a.git',
      'http://0x7f.1/a.git',
      'http://[::ffff:127.0.0.1]/a.git',
      'http://169.254.169.254/latest.git',
    ]) {
      const result = await resolveUpstream(new URL(url), rules());
      expect(result, url).toMatchObject({ ok: false, code: 'private-address' });
      if (!result.ok) expect(result.reason).toMatch(/HANGAR_GIT_HOSTS/);
    }
  });

  it('lets the operator allow a private git host by URL or by pin', async () => {
    const inside = new URL('https://inside.example.test/a.git');
    expect(await resolveUpstream(inside, rules('https://inside.example.test'))).toMatchObject({
      ok: true,
      address: { text: '10.0.0.7' },
    });
    // Another port or scheme of the same name is not the configured host.
    expect(
      await resolveUpstream(
        new URL('https://inside.example.test:8443/a.git'),
        rules('https://inside.example.test'),
      ),
    ).toMatchObject({ ok: false });
    expect(await resolveUpstream(inside, rules('', 'inside.example.test=10.9.9.9'))).toMatchObject({
      ok: true,
      pinned: true,
      address: { text: '10.9.9.9' },
    });
    expect(
      await resolveUpstream(new URL('http://127.0.0.1:8080/a.git'), rules('http://127.0.0.1:8080')),
    ).toMatchObject({ ok: true });
  });
});
