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
  | { ok: false; code: 'private-address' | 'dns-failed'; reason: string };

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
    if (kind !== 'public') {
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
