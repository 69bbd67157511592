import { ValidationError } from '../errors.js';
import type { NetworkLevel } from '../environments/network-level.js';
import { normalizeHost, parseHostPattern, type HostPattern } from './host-pattern.js';
import { classifyAddress, parseIpLiteral, type IpAddress } from './ip-class.js';

/**
 * A sandbox's egress policy, compiled from its environment's settings. `deny` is
 * checked before `allow`; with neither matching, the answer is no.
 */
export interface EgressPolicy {
  level: NetworkLevel;
  allow: HostPattern[];
  deny: HostPattern[];
}

/** Why a request was refused; stable, sent as `X-Hangar-Deny-Reason`. */
export type DenyCode =
  | 'bad-target'
  | 'network-none'
  | 'private-address'
  | 'denied-host'
  | 'not-allowed'
  | 'port-not-allowed';

export type Decision =
  | {
      allow: true;
      /** The normalised name, or the canonical address for an IP literal. */
      host: string;
      port: number;
      /** Set for an IP literal: the address to dial, already classified public. */
      address?: IpAddress;
    }
  | { allow: false; code: DenyCode; reason: string };

/** Ports reachable without a pattern that names a port. */
export const WEB_PORTS: readonly number[] = [80, 443];

export interface PolicySettings {
  level: NetworkLevel;
  /** Custom patterns (used at `custom`; at `full` they only add ports). */
  allowlist?: string[];
  /** At `custom`, also allow the trusted defaults. */
  includeDefaults?: boolean;
  /** Operator patterns refused at every level, before any allow. */
  denylist?: string[];
}

/**
 * Compiles settings into a policy. `trusted` is the shipped default list (see
 * loadTrustedDomains). A bad pattern throws a ValidationError naming it.
 */
export function policyFor(settings: PolicySettings, trusted: readonly string[]): EgressPolicy {
  const parse = (patterns: readonly string[], field: string) =>
    patterns.map((raw, index) => {
      const result = parseHostPattern(raw);
      if (!result.ok) throw new ValidationError(`"${raw}" ${result.reason}`, `${field}[${index}]`);
      return result.pattern;
    });
  const custom = parse(settings.allowlist ?? [], 'allowlist');
  const defaults = parse(trusted, 'trusted');
  const deny = parse(settings.denylist ?? [], 'denylist');
  switch (settings.level) {
    case 'none':
      return { level: 'none', allow: [], deny };
    case 'trusted':
      return { level: 'trusted', allow: defaults, deny };
    case 'full':
      return { level: 'full', allow: custom, deny };
    case 'custom':
      return {
        level: 'custom',
        allow: settings.includeDefaults ? [...custom, ...defaults] : custom,
        deny,
      };
  }
}

/** Whether a normalised host matches a pattern's name (`*.x.y`: strictly below x.y). */
export function matchesName(host: string, pattern: HostPattern): boolean {
  if (!pattern.wildcard) return host === pattern.host;
  return host.length > pattern.host.length + 1 && host.endsWith(`.${pattern.host}`);
}

function matchesPort(port: number, pattern: HostPattern): boolean {
  return pattern.port === undefined ? WEB_PORTS.includes(port) : port === pattern.port;
}

const deny = (code: DenyCode, reason: string): Decision => ({ allow: false, code, reason });

/**
 * Decides whether a sandbox may reach host:port, from the name alone (no DNS).
 * IP literals in any spelling are classified first, at every level: a non-public
 * address is refused even at `full`. The proxy must still classify what a name
 * resolves to before dialing it.
 */
export function decide(host: string, port: number, policy: EgressPolicy): Decision {
  // eslint-disable-next-line no-control-regex
  if (host === '' || /[\x00-\x20\x7f]/.test(host)) {
    return deny('bad-target', 'the target has an empty name or a control or space character');
  }
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    return deny('bad-target', `the port ${String(port)} is not a port number`);
  }
  const literal = parseIpLiteral(host);
  if (literal === 'invalid') {
    return deny('bad-target', `"${host}" looks like an IP address but is not a valid one`);
  }
  if (literal) {
    const { kind, description } = classifyAddress(literal);
    if (kind !== 'public') {
      return deny('private-address', `${description} is not reachable from a sandbox`);
    }
  }
  if (policy.level === 'none') {
    return deny('network-none', 'this environment has no network access (level none)');
  }
  const name = literal ? literal.text : normalizeHost(host);
  if (name === null) return deny('bad-target', `"${host}" is not a valid host name`);
  const target = literal ? { host: name, port, address: literal } : { host: name, port };

  if (policy.deny.some((pattern) => matchesName(name, pattern))) {
    return deny('denied-host', `${name} is on the operator's deny list`);
  }
  const named = policy.allow.filter((pattern) => matchesName(name, pattern));
  if (named.some((pattern) => matchesPort(port, pattern))) return { allow: true, ...target };
  if (policy.level === 'full') {
    if (WEB_PORTS.includes(port)) return { allow: true, ...target };
    return deny(
      'port-not-allowed',
      `port ${port} is not allowed: only 80 and 443 unless a pattern names the port (${name}:${port})`,
    );
  }
  if (named.length > 0) {
    return deny(
      'port-not-allowed',
      `${name} is allowed on ports ${describePorts(named)}, not ${port}`,
    );
  }
  return deny(
    'not-allowed',
    `${name} is not in this environment's allowlist (network level ${policy.level})`,
  );
}

function describePorts(patterns: HostPattern[]): string {
  const ports = new Set(patterns.flatMap((p) => (p.port === undefined ? WEB_PORTS : [p.port])));
  return [...ports].sort((a, b) => a - b).join(', ');
}

/**
 * Splits a CONNECT authority (`host:port`, `[v6]:port`) into its parts. Returns null
 * when it has no port or is not of that shape; the host is not judged here.
 */
export function splitAuthority(authority: string): { host: string; port: number } | null {
  const match = /^(\[[^\]]*\]|[^:[\]]*):([0-9]{1,5})$/.exec(authority);
  if (!match?.[1] || !match[2]) return null;
  return { host: match[1], port: Number(match[2]) };
}
