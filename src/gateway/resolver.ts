import { lookup as dnsLookup } from 'node:dns/promises';
import { ValidationError } from '../errors.js';
import { normalizeHost } from './host-pattern.js';
import { classifyAddress, parseIpLiteral, type IpAddress } from './ip-class.js';

/** Operator-pinned names (HANGAR_EGRESS_RESOLVE): name → the one address to dial. */
export type Pins = ReadonlyMap<string, IpAddress>;

/** Resolves a name to its addresses as text; dns.lookup (getaddrinfo) by default. */
export type Lookup = (host: string) => Promise<string[]>;

export const systemLookup: Lookup = async (host) =>
  (await dnsLookup(host, { all: true, verbatim: true })).map((entry) => entry.address);

/**
 * Shares one lookup among concurrent requests for the same name (npm opens many
 * tunnels to one registry at once), so a burst does not fill libuv's small thread
 * pool that getaddrinfo runs on. Nothing is cached past the lookup itself.
 */
export function coalesceLookups(lookup: Lookup): Lookup {
  const inFlight = new Map<string, Promise<string[]>>();
  return (host) => {
    const pending = inFlight.get(host);
    if (pending) return pending;
    const started = lookup(host).finally(() => inFlight.delete(host));
    inFlight.set(host, started);
    return started;
  };
}

/**
 * Parses `HANGAR_EGRESS_RESOLVE=name=ip,name=ip`. A pinned name is dialed at its
 * address without DNS, even when that address is private: it is the operator's word.
 */
export function parsePins(text: string | undefined): Map<string, IpAddress> {
  const pins = new Map<string, IpAddress>();
  for (const entry of (text ?? '').split(',')) {
    if (entry.trim() === '') continue;
    const [rawName = '', rawAddress = '', extra] = entry.trim().split('=');
    const name = normalizeHost(rawName);
    const address = parseIpLiteral(rawAddress);
    if (extra !== undefined || name === null || address === null || address === 'invalid') {
      throw new ValidationError(
        `"${entry.trim()}" is not name=ip (e.g. api.example.test=127.0.0.1)`,
        'HANGAR_EGRESS_RESOLVE',
      );
    }
    pins.set(name, address);
  }
  return pins;
}

export type Resolution =
  | { ok: true; address: IpAddress; pinned: boolean }
  | { ok: false; code: 'private-address' | 'dns-failed' | 'bad-target'; reason: string };

/**
 * Finds the one address to dial for an allowed target. A name with any non-public
 * address among its answers is refused whole, so a mixed answer cannot be used to
 * reach inside; the caller dials exactly the address returned, never the name.
 */
export async function resolveTarget(
  host: string,
  literal: IpAddress | undefined,
  pins: Pins,
  lookup: Lookup,
  options: { anyAddress?: boolean } = {},
): Promise<Resolution> {
  if (literal) return { ok: true, address: literal, pinned: false };
  const pinned = pins.get(host);
  if (pinned) return { ok: true, address: pinned, pinned: true };
  let answers: string[];
  try {
    answers = await lookup(host);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'lookup failed';
    return { ok: false, code: 'dns-failed', reason: `${host} could not be resolved (${code})` };
  }
  const addresses: IpAddress[] = [];
  for (const text of answers) {
    const address = parseIpLiteral(text);
    if (address === null || address === 'invalid') {
      return { ok: false, code: 'dns-failed', reason: `${host} resolved to "${text}"` };
    }
    const { kind, description } = classifyAddress(address);
    if (kind !== 'public' && !options.anyAddress) {
      return {
        ok: false,
        code: 'private-address',
        reason: `${host} resolves to the ${description}, which is not reachable from a sandbox`,
      };
    }
    addresses.push(address);
  }
  const first = addresses[0];
  if (!first) return { ok: false, code: 'dns-failed', reason: `${host} has no addresses` };
  return { ok: true, address: first, pinned: false };
}

/**
 * Git hosts the operator configured by URL (HANGAR_GIT_HOSTS), each as its origin
 * (`https://ghe.example.corp:443`). Such a host may live on a private address, as a
 * GitHub Enterprise server inside the network does: its name is dialed wherever it
 * resolves. Any other git host is held to the egress proxy's rules.
 */
export type GitHosts = ReadonlySet<string>;

/** `scheme://host:port` with the default port spelled out, the key of GitHosts. */
export function originKey(url: URL): string {
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return `${url.protocol}//${url.hostname.toLowerCase()}:${port}`;
}

/** Parses `HANGAR_GIT_HOSTS=https://ghe.example.corp,http://10.0.0.5:8080`. */
export function parseGitHosts(text: string | undefined): Set<string> {
  const hosts = new Set<string>();
  for (const raw of (text ?? '').split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    let url: URL | undefined;
    try {
      url = new URL(entry);
    } catch {
      url = undefined;
    }
    if (
      !url ||
      (url.protocol !== 'https:' && url.protocol !== 'http:') ||
      url.username !== '' ||
      url.password !== '' ||
      url.pathname !== '/' ||
      url.search !== '' ||
      url.hash !== ''
    ) {
      throw new ValidationError(
        `"${entry}" is not a git host URL such as https://ghe.example.corp (scheme, host and optional port; no path)`,
        'HANGAR_GIT_HOSTS',
      );
    }
    hosts.add(originKey(url));
  }
  return hosts;
}

/** What a host-side dial to a git upstream is checked against. */
export interface UpstreamRules {
  pins: Pins;
  lookup: Lookup;
  gitHosts: GitHosts;
}

/**
 * The one address to dial for a git upstream URL, by the egress proxy's rules: a
 * literal or every address a name resolves to must be public, unless the operator
 * pinned the name (HANGAR_EGRESS_RESOLVE) or configured the host (HANGAR_GIT_HOSTS).
 * The caller dials exactly the address returned.
 */
export async function resolveUpstream(url: URL, rules: UpstreamRules): Promise<Resolution> {
  const configured = rules.gitHosts.has(originKey(url));
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const literal = parseIpLiteral(host);
  if (literal === 'invalid') {
    return { ok: false, code: 'bad-target', reason: `"${host}" is not a valid address` };
  }
  if (literal) {
    const { kind, description } = classifyAddress(literal);
    if (kind !== 'public' && !configured) {
      return {
        ok: false,
        code: 'private-address',
        reason: `the ${description} is not reachable unless the operator lists ${url.origin} in HANGAR_GIT_HOSTS`,
      };
    }
    return { ok: true, address: literal, pinned: false };
  }
  const name = normalizeHost(host);
  if (name === null)
    return { ok: false, code: 'bad-target', reason: `"${host}" is not a host name` };
  const resolution = await resolveTarget(name, undefined, rules.pins, rules.lookup, {
    anyAddress: configured,
  });
  if (!resolution.ok && resolution.code === 'private-address') {
    return {
      ...resolution,
      reason: `${resolution.reason} (the operator can allow it: HANGAR_GIT_HOSTS=${url.origin} or a pin in HANGAR_EGRESS_RESOLVE)`,
    };
  }
  return resolution;
}
