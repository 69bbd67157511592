import { domainToASCII } from 'node:url';
import { isIP } from 'node:net';
import { parse as parseDomain } from 'tldts';

/**
 * An allowlist entry: `host` matches that name exactly, `*.host` any name below it
 * (never `host` itself). `port` is set when the pattern names one (`host:22`);
 * without it the egress policy allows the web ports only.
 */
export interface HostPattern {
  host: string;
  wildcard: boolean;
  port?: number;
}

export type PatternResult = { ok: true; pattern: HostPattern } | { ok: false; reason: string };

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * Normalises a host name the way the egress policy compares names: lowercase, one
 * trailing dot removed, IDN converted to punycode (UTS #46, as browsers do). Returns
 * null for a name that cannot be a DNS host name.
 */
export function normalizeHost(name: string): string | null {
  if (name === '' || /[\s\0/\\@?#%]/.test(name)) return null;
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  if (isIP(trimmed) === 4) return trimmed;
  const ascii = domainToASCII(trimmed);
  if (ascii === '' || ascii.length > 253) return null;
  return ascii.split('.').every((label) => LABEL.test(label)) ? ascii : null;
}

/** Parses one allowlist line into a pattern, or says why it is refused. */
export function parseHostPattern(raw: string): PatternResult {
  const text = raw.trim();
  if (text === '') return { ok: false, reason: 'is empty' };
  if (text.includes('://')) return { ok: false, reason: 'has a scheme: write only the host name' };
  if (text.includes('/')) return { ok: false, reason: 'has a path: write only the host name' };
  if (/\s/.test(text)) return { ok: false, reason: 'contains white space' };
  if (text.includes('@')) return { ok: false, reason: 'contains "@": write only the host name' };

  const { name, port, portError } = splitPort(text);
  if (portError) return { ok: false, reason: portError };

  if (name === '*' || name === '*.') {
    return { ok: false, reason: 'allows every host: choose the Full network level instead' };
  }
  const wildcard = name.startsWith('*.');
  const base = wildcard ? name.slice(2) : name;
  if (base.includes('*')) {
    return { ok: false, reason: 'has a "*" that is not a leading "*." label' };
  }
  if (base.startsWith('.') || base.includes('..') || base.endsWith('..')) {
    return { ok: false, reason: 'has an empty label' };
  }
  const host = normalizeHost(base);
  if (host === null) return { ok: false, reason: 'is not a valid host name' };

  if (wildcard) {
    if (isIP(host)) return { ok: false, reason: 'puts a wildcard on an IP address' };
    if (parseDomain(host).domain === null) {
      return {
        ok: false,
        reason: `puts a wildcard over the public suffix "${host}": name a domain below it`,
      };
    }
  }
  return { ok: true, pattern: port === undefined ? { host, wildcard } : { host, wildcard, port } };
}

/** The canonical spelling of a pattern, as stored and shown. */
export function formatHostPattern(pattern: HostPattern): string {
  const name = pattern.wildcard ? `*.${pattern.host}` : pattern.host;
  return pattern.port === undefined ? name : `${name}:${pattern.port}`;
}

function splitPort(text: string): { name: string; port?: number; portError?: string } {
  const colon = text.lastIndexOf(':');
  if (colon === -1) return { name: text };
  const digits = text.slice(colon + 1);
  const port = /^[0-9]{1,5}$/.test(digits) ? Number(digits) : NaN;
  if (!(port >= 1 && port <= 65_535)) {
    return { name: text, portError: `has a bad port "${digits}": use a number from 1 to 65535` };
  }
  return { name: text.slice(0, colon), port };
}
