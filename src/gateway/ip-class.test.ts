import { describe, expect, it } from 'vitest';
import {
  classifyAddress,
  classifyAddressText,
  parseIpLiteral,
  type IpAddress,
} from './ip-class.js';

function literal(host: string): IpAddress {
  const parsed = parseIpLiteral(host);
  if (parsed === null || parsed === 'invalid') throw new Error(`${host} is not an address`);
  return parsed;
}

const kind = (host: string) => classifyAddress(literal(host)).kind;

describe('parseIpLiteral', () => {
  it('reads every IPv4 spelling of 127.0.0.1 as 127.0.0.1', () => {
    for (const spelling of [
      '127.0.0.1',
      '2130706433',
      '0x7f000001',
      '0x7f.1',
      '127.1',
      '127.0.1',
      '0177.0.0.1',
      '0177.0.0.01',
      '0x7F.0.0.0x1',
      '127.0.0.1.',
      '017700000001',
    ]) {
      expect(literal(spelling).text, spelling).toBe('127.0.0.1');
    }
  });

  it('reads IPv6 with and without brackets, canonicalised', () => {
    expect(literal('[::ffff:7f00:1]').text).toBe('::ffff:7f00:1');
    expect(literal('::FFFF:127.0.0.1').text).toBe('::ffff:7f00:1');
    expect(literal('[0:0:0:0:0:0:0:1]').text).toBe('::1');
    expect(literal('2001:DB8:0:0:1:0:0:1').text).toBe('2001:db8::1:0:0:1');
    expect(literal('fe80::1').family).toBe(6);
  });

  it('says null for names and invalid for numeric-looking non-addresses', () => {
    expect(parseIpLiteral('example.com')).toBeNull();
    expect(parseIpLiteral('1.2.3.example')).toBeNull();
    expect(parseIpLiteral('0x7f.example')).toBeNull();
    for (const bad of [
      '1.2.3.256',
      '1.2.3.4.5',
      '09.1.1.1',
      '4294967296',
      '256.1',
      '[::1',
      '::1]',
      '[fe80::1%eth0]',
      ':::',
      '1:2',
    ]) {
      expect(parseIpLiteral(bad), bad).toBe('invalid');
    }
  });
});

describe('classifyAddress', () => {
  it('refuses every non-public IPv4 range', () => {
    expect(kind('127.0.0.1')).toBe('loopback');
    expect(kind('127.255.255.254')).toBe('loopback');
    expect(kind('0.0.0.0')).toBe('unspecified');
    expect(kind('0')).toBe('unspecified');
    expect(kind('10.1.2.3')).toBe('private');
    expect(kind('172.16.0.1')).toBe('private');
    expect(kind('172.31.255.255')).toBe('private');
    expect(kind('192.168.1.1')).toBe('private');
    expect(kind('169.254.169.254')).toBe('metadata');
    expect(kind('169.254.1.1')).toBe('link-local');
    expect(kind('100.64.0.1')).toBe('cgnat');
    expect(kind('100.127.255.255')).toBe('cgnat');
    expect(kind('224.0.0.1')).toBe('multicast');
    expect(kind('255.255.255.255')).toBe('reserved');
  });

  it('lets public IPv4 through, including the edges of private ranges', () => {
    expect(kind('8.8.8.8')).toBe('public');
    expect(kind('172.32.0.1')).toBe('public');
    expect(kind('172.15.255.255')).toBe('public');
    expect(kind('100.128.0.1')).toBe('public');
    expect(kind('11.0.0.1')).toBe('public');
    expect(kind('128.0.0.1')).toBe('public');
    // No internal service lives in documentation or benchmarking ranges.
    expect(kind('203.0.113.80')).toBe('public');
    expect(kind('198.18.0.1')).toBe('public');
    expect(kind('2001:db8::1')).toBe('public');
  });

  it('refuses non-public IPv6 and every IPv4-embedding form', () => {
    expect(kind('::1')).toBe('loopback');
    expect(kind('::')).toBe('unspecified');
    expect(kind('fc00::1')).toBe('unique-local');
    expect(kind('fd12:3456::1')).toBe('unique-local');
    expect(kind('fe80::1')).toBe('link-local');
    expect(kind('ff02::1')).toBe('multicast');
    expect(kind('::ffff:7f00:1')).toBe('ipv4-embedded');
    expect(kind('::ffff:8.8.8.8')).toBe('ipv4-embedded');
    expect(kind('::127.0.0.1')).toBe('ipv4-embedded');
    expect(kind('64:ff9b::7f00:1')).toBe('ipv4-embedded');
    expect(kind('64:ff9b::10.0.0.1')).toBe('ipv4-embedded');
    expect(kind('2002:7f00:1::')).toBe('ipv4-embedded');
    expect(kind('2001:0:4136:e378:8000:63bf:80ff:fffe')).toBe('ipv4-embedded');
    expect(kind('2606:4700::1111')).toBe('public');
  });

  it('names the embedded IPv4 address so a person sees what was meant', () => {
    expect(classifyAddress(literal('::ffff:7f00:1')).description).toContain('embeds 127.0.0.1');
    expect(classifyAddress(literal('2002:a00:1::')).description).toContain('embeds 10.0.0.1');
    // Teredo stores the client address bit-inverted: 80ff:fffe is 127.0.0.1.
    expect(classifyAddress(literal('2001:0:4136:e378:8000:63bf:80ff:fffe')).description).toContain(
      'embeds 127.0.0.1',
    );
  });

  it('classifies text from DNS, refusing what does not parse', () => {
    expect(classifyAddressText('10.0.0.1').kind).toBe('private');
    expect(classifyAddressText('not-an-address').kind).toBe('reserved');
  });
});
