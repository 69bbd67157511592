import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import {
  decide,
  policyFor,
  splitAuthority,
  type Decision,
  type EgressPolicy,
} from './egress-policy.js';

const trusted = ['registry.example', '*.pkg.example', 'git.example:22'];
const none = policyFor({ level: 'none' }, trusted);
const trustedPolicy = policyFor({ level: 'trusted' }, trusted);
const full = policyFor({ level: 'full' }, trusted);
const custom = (allowlist: string[], includeDefaults = false, denylist: string[] = []) =>
  policyFor({ level: 'custom', allowlist, includeDefaults, denylist }, trusted);

function verdict(host: string, port: number, policy: EgressPolicy): string {
  const decision: Decision = decide(host, port, policy);
  return decision.allow ? 'allow' : decision.code;
}

describe('decide', () => {
  it('refuses everything at level none, with the reason', () => {
    expect(verdict('registry.example', 443, none)).toBe('network-none');
    const decision = decide('registry.example', 443, none);
    expect(decision.allow ? '' : decision.reason).toMatch(/no network access/);
  });

  it('allows the trusted list at trusted, and nothing else', () => {
    expect(verdict('registry.example', 443, trustedPolicy)).toBe('allow');
    expect(verdict('a.pkg.example', 80, trustedPolicy)).toBe('allow');
    expect(verdict('example.org', 443, trustedPolicy)).toBe('not-allowed');
  });

  it('matches *.x.y on subdomains only', () => {
    const policy = custom(['*.x.y']);
    expect(verdict('a.x.y', 443, policy)).toBe('allow');
    expect(verdict('a.b.x.y', 443, policy)).toBe('allow');
    expect(verdict('x.y', 443, policy)).toBe('not-allowed');
    expect(verdict('x.y.evil.net', 443, policy)).toBe('not-allowed');
    expect(verdict('evilx.y', 443, policy)).toBe('not-allowed');
    expect(verdict('.x.y', 443, policy)).toBe('bad-target');
  });

  it('normalises case, the trailing dot and IDN before matching', () => {
    const policy = custom(['bücher.example', 'api.example']);
    expect(verdict('API.Example.', 443, policy)).toBe('allow');
    expect(verdict('BÜCHER.example', 443, policy)).toBe('allow');
    expect(verdict('xn--bcher-kva.example', 443, policy)).toBe('allow');
    const decision = decide('API.EXAMPLE.', 443, policy);
    expect(decision.allow && decision.host).toBe('api.example');
  });

  it('refuses CR, LF, space, NUL and other control characters in a target', () => {
    const policy = custom(['api.example']);
    for (const host of [
      'api.example\r\nX: y',
      'api.example\n',
      'api .example',
      'api.example\0',
      'api.example\t',
      '',
    ]) {
      expect(verdict(host, 443, policy), JSON.stringify(host)).toBe('bad-target');
    }
  });

  it('allows only 80 and 443 unless a pattern names the port', () => {
    const policy = custom(['api.example', 'ssh.example:22']);
    expect(verdict('api.example', 80, policy)).toBe('allow');
    expect(verdict('api.example', 22, policy)).toBe('port-not-allowed');
    expect(verdict('ssh.example', 22, policy)).toBe('allow');
    expect(verdict('ssh.example', 443, policy)).toBe('port-not-allowed');
    expect(verdict('git.example', 22, trustedPolicy)).toBe('allow');
    expect(verdict('anything.example', 8080, full)).toBe('port-not-allowed');
    expect(
      verdict('ssh.example', 22, policyFor({ level: 'full', allowlist: ['ssh.example:22'] }, [])),
    ).toBe('allow');
    expect(verdict('api.example', 0, policy)).toBe('bad-target');
    expect(verdict('api.example', 65_536, policy)).toBe('bad-target');
  });

  it('allows any public name at full', () => {
    expect(verdict('anything.example', 443, full)).toBe('allow');
    expect(verdict('8.8.8.8', 443, full)).toBe('allow');
  });

  it('checks deny before allow', () => {
    const policy = custom(['*.corp.example'], false, ['secret.corp.example']);
    expect(verdict('wiki.corp.example', 443, policy)).toBe('allow');
    expect(verdict('secret.corp.example', 443, policy)).toBe('denied-host');
    expect(
      verdict(
        'secret.corp.example',
        443,
        policyFor({ level: 'full', denylist: ['secret.corp.example'] }, []),
      ),
    ).toBe('denied-host');
  });

  it('adds the defaults to custom only when asked', () => {
    expect(verdict('registry.example', 443, custom(['api.example']))).toBe('not-allowed');
    expect(verdict('registry.example', 443, custom(['api.example'], true))).toBe('allow');
  });

  it('classifies IP literals in every spelling, at every level including full', () => {
    for (const host of [
      '127.0.0.1',
      '2130706433',
      '0x7f.1',
      '127.1',
      '0177.0.0.1',
      '[::ffff:7f00:1]',
      '[::1]',
      '10.0.0.1',
      '169.254.169.254',
      '[fd00:ec2::254]',
      '100.64.0.1',
      '0.0.0.0',
      '[::]',
      '[64:ff9b::a00:1]',
    ]) {
      expect(verdict(host, 443, full), host).toBe('private-address');
      expect(
        verdict(host, 443, custom([host.startsWith('[') ? 'api.example' : '127.0.0.1'])),
        host,
      ).toBe('private-address');
    }
    expect(verdict('1.2.3.256', 443, full)).toBe('bad-target');
    expect(verdict('[fe80::1%25eth0]', 443, full)).toBe('bad-target');
  });

  it('matches a public IP literal against a pattern naming it, in canonical form', () => {
    const policy = custom(['203.0.114.7']);
    expect(verdict('203.0.114.7', 443, policy)).toBe('allow');
    expect(verdict('3405804039', 443, policy)).toBe('allow');
    expect(verdict('203.0.114.8', 443, policy)).toBe('not-allowed');
    const decision = decide('0xcb.0.0x72.7', 443, policy);
    expect(decision.allow && decision.address?.text).toBe('203.0.114.7');
  });
});

describe('policyFor', () => {
  it('names a bad pattern', () => {
    expect(() => custom(['ok.example', '*.com'])).toThrow(ValidationError);
    expect(() => custom(['ok.example', '*.com'])).toThrow(/allowlist\[1\]/);
  });
});

describe('splitAuthority', () => {
  it('splits host:port and [v6]:port, and refuses other shapes', () => {
    expect(splitAuthority('api.example:443')).toEqual({ host: 'api.example', port: 443 });
    expect(splitAuthority('[::1]:443')).toEqual({ host: '[::1]', port: 443 });
    expect(splitAuthority('api.example')).toBeNull();
    expect(splitAuthority('::1:443')).toBeNull();
    expect(splitAuthority('a:b:443')).toBeNull();
    expect(splitAuthority('api.example:44x')).toBeNull();
  });
});
