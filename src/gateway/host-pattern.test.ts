import { describe, expect, it } from 'vitest';
import { formatHostPattern, normalizeHost, parseHostPattern } from './host-pattern.js';

function accepted(raw: string): string {
  const result = parseHostPattern(raw);
  if (!result.ok) throw new Error(`${raw} was refused: ${result.reason}`);
  return formatHostPattern(result.pattern);
}

function refusal(raw: string): string {
  const result = parseHostPattern(raw);
  if (result.ok) throw new Error(`${raw} was accepted as ${formatHostPattern(result.pattern)}`);
  return result.reason;
}

describe('parseHostPattern', () => {
  it('accepts exact names, subdomain wildcards and ports', () => {
    expect(accepted('example.com')).toBe('example.com');
    expect(accepted('*.example.com')).toBe('*.example.com');
    expect(accepted('git.example.com:22')).toBe('git.example.com:22');
    expect(accepted('*.corp.example:8443')).toBe('*.corp.example:8443');
    expect(accepted('*.github.io')).toBe('*.github.io');
    expect(accepted('203.0.113.7')).toBe('203.0.113.7');
  });

  it('normalises case, the trailing dot and IDN', () => {
    expect(accepted('  Example.COM.  ')).toBe('example.com');
    expect(accepted('*.Bücher.example')).toBe('*.xn--bcher-kva.example');
    expect(accepted('пример.рф')).toBe('xn--e1afmkfd.xn--p1ai');
  });

  it('refuses what would allow too much', () => {
    expect(refusal('*')).toMatch(/every host/);
    expect(refusal('*.com')).toMatch(/public suffix "com"/);
    expect(refusal('*.co.uk')).toMatch(/public suffix "co.uk"/);
    expect(refusal('*.internal')).toMatch(/public suffix/);
    expect(refusal('*.203.0.113.7')).toMatch(/IP address/);
  });

  it('refuses malformed entries with a reason', () => {
    expect(refusal('https://example.com')).toMatch(/scheme/);
    expect(refusal('example.com/path')).toMatch(/path/);
    expect(refusal('user@example.com')).toMatch(/@/);
    expect(refusal('exa mple.com')).toMatch(/white space/);
    expect(refusal('a..b.com')).toMatch(/empty label/);
    expect(refusal('.example.com')).toMatch(/empty label/);
    expect(refusal('foo.*.example.com')).toMatch(/leading/);
    expect(refusal('*example.com')).toMatch(/leading/);
    expect(refusal('example.com:0')).toMatch(/bad port/);
    expect(refusal('example.com:65536')).toMatch(/bad port/);
    expect(refusal('example.com:http')).toMatch(/bad port/);
    expect(refusal('example.com:')).toMatch(/bad port/);
    expect(refusal('-bad-.example.com')).toMatch(/not a valid host/);
    expect(refusal('under_score.example.com')).toMatch(/not a valid host/);
    expect(refusal('')).toMatch(/empty/);
  });
});

describe('normalizeHost', () => {
  it('lowercases, strips one trailing dot and converts IDN', () => {
    expect(normalizeHost('API.GitHub.com.')).toBe('api.github.com');
    expect(normalizeHost('bücher.example')).toBe('xn--bcher-kva.example');
  });

  it('refuses names that cannot be host names', () => {
    for (const bad of ['', 'a b', 'a\0b', 'a/b', 'a@b', 'x'.repeat(64) + '.com']) {
      expect(normalizeHost(bad)).toBeNull();
    }
  });
});
