import { isIPv4, isIPv6 } from 'node:net';

/** An IP address in canonical form with its bytes (4 or 16). */
export interface IpAddress {
  family: 4 | 6;
  /** Dotted quad, or RFC 5952 compressed IPv6 without brackets. */
  text: string;
  bytes: Uint8Array;
}

/**
 * What kind of address this is. Only `public` may be dialed without an operator pin.
 * `ipv4-embedded` covers every IPv6 form that carries an IPv4 address (mapped,
 * compatible, NAT64, 6to4, Teredo): they are refused whatever they embed, so no
 * spelling of 127.0.0.1 or 10.x slips through as "IPv6".
 */
export type AddressKind =
  | 'public'
  | 'loopback'
  | 'unspecified'
  | 'private'
  | 'link-local'
  | 'metadata'
  | 'cgnat'
  | 'unique-local'
  | 'multicast'
  | 'reserved'
  | 'ipv4-embedded';

export interface AddressClass {
  kind: AddressKind;
  /** A phrase for people: "loopback address 127.0.0.1". */
  description: string;
}

/**
 * Parses a host as an IP literal in any spelling a resolver or URL parser accepts:
 * IPv4 per the WHATWG URL host parser and inet_aton (1 to 4 parts, each decimal,
 * `0x` hex or leading-zero octal: `2130706433`, `0x7f.1`, `127.1`, `0177.0.0.1`),
 * and IPv6 with or without brackets. Returns null when the host is a name, and
 * `invalid` when it looks numeric but is no address (`1.2.3.256`, `09.1`), which
 * callers must refuse rather than hand to DNS.
 */
export function parseIpLiteral(host: string): IpAddress | 'invalid' | null {
  let text = host;
  if (text.startsWith('[') || text.endsWith(']')) {
    if (!(text.startsWith('[') && text.endsWith(']'))) return 'invalid';
    text = text.slice(1, -1);
    return isIPv6(text) && !text.includes('%') ? ipv6(text) : 'invalid';
  }
  if (text.includes(':')) return isIPv6(text) && !text.includes('%') ? ipv6(text) : 'invalid';
  return ipv4(text);
}

function ipv4(host: string): IpAddress | 'invalid' | null {
  const parts = host.split('.');
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  const last = parts[parts.length - 1] ?? '';
  // WHATWG "ends in a number": only then is the host an IPv4 address (or invalid).
  const endsInNumber = /^[0-9]+$/.test(last) || /^0x[0-9a-f]*$/i.test(last);
  if (!endsInNumber) return null;
  if (parts.length > 4) return 'invalid';
  const numbers: number[] = [];
  for (const part of parts) {
    const value = ipv4Part(part);
    if (value === null) return 'invalid';
    numbers.push(value);
  }
  const tail = numbers.pop() ?? 0;
  if (numbers.some((n) => n > 255) || tail >= 256 ** (4 - numbers.length)) return 'invalid';
  let value = tail;
  numbers.forEach((n, i) => (value += n * 256 ** (3 - i)));
  const bytes = new Uint8Array([
    value >>> 24,
    (value >>> 16) & 255,
    (value >>> 8) & 255,
    value & 255,
  ]);
  return { family: 4, text: bytes.join('.'), bytes };
}

function ipv4Part(part: string): number | null {
  if (/^0x[0-9a-f]*$/i.test(part)) return part.length === 2 ? 0 : parseInt(part.slice(2), 16);
  if (/^0[0-7]+$/.test(part)) return parseInt(part.slice(1), 8);
  if (/^(0|[1-9][0-9]*)$/.test(part)) return Number(part);
  return null;
}

function ipv6(text: string): IpAddress {
  const bytes = new Uint8Array(16);
  let body = text;
  const groups: number[] = [];
  // A trailing dotted quad (::ffff:1.2.3.4) is two groups.
  const quad = /(?:^|:)(\d+\.\d+\.\d+\.\d+)$/.exec(body);
  let tail: number[] = [];
  if (quad?.[1] && isIPv4(quad[1])) {
    const [a = 0, b = 0, c = 0, d = 0] = quad[1].split('.').map(Number);
    tail = [(a << 8) | b, (c << 8) | d];
    body = body.slice(0, body.length - quad[1].length);
    if (body.endsWith(':') && !body.endsWith('::')) body = body.slice(0, -1);
  }
  const [head = '', rest] = body.split('::');
  const parse = (s: string) => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const front = parse(head);
  const back = rest === undefined ? [] : parse(rest);
  const fill = 8 - front.length - back.length - tail.length;
  groups.push(
    ...front,
    ...new Array<number>(rest === undefined ? 0 : fill).fill(0),
    ...back,
    ...tail,
  );
  groups.forEach((g, i) => {
    bytes[i * 2] = g >> 8;
    bytes[i * 2 + 1] = g & 255;
  });
  return { family: 6, text: formatIpv6(groups), bytes };
}

/** RFC 5952: lowercase, no leading zeros, the longest run (≥ 2) of zero groups as `::`. */
function formatIpv6(groups: number[]): string {
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; i++) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      best = i;
      bestLength = j - i;
    }
    i = j > i ? j - 1 : i;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best === -1) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLength).join(':')}`;
}

interface Range {
  bytes: number[];
  bits: number;
  kind: AddressKind;
  name: string;
}

// Documentation (RFC 5737, RFC 3849) and benchmarking (RFC 2544) ranges are not
// refused: no internal service lives there, and some networks answer DNS for public
// names with them to reach their egress gateway (the machines Hangar is built on do).
const V4: Range[] = [
  { bytes: [169, 254, 169, 254], bits: 32, kind: 'metadata', name: 'cloud metadata address' },
  { bytes: [0, 0, 0, 0], bits: 8, kind: 'unspecified', name: '"this network" address' },
  { bytes: [10, 0, 0, 0], bits: 8, kind: 'private', name: 'private (RFC 1918) address' },
  { bytes: [100, 64, 0, 0], bits: 10, kind: 'cgnat', name: 'carrier-grade NAT address' },
  { bytes: [127, 0, 0, 0], bits: 8, kind: 'loopback', name: 'loopback address' },
  { bytes: [169, 254, 0, 0], bits: 16, kind: 'link-local', name: 'link-local address' },
  { bytes: [172, 16, 0, 0], bits: 12, kind: 'private', name: 'private (RFC 1918) address' },
  { bytes: [192, 0, 0, 0], bits: 24, kind: 'reserved', name: 'IETF protocol address' },
  { bytes: [192, 88, 99, 0], bits: 24, kind: 'reserved', name: '6to4 relay address' },
  { bytes: [192, 168, 0, 0], bits: 16, kind: 'private', name: 'private (RFC 1918) address' },
  { bytes: [224, 0, 0, 0], bits: 4, kind: 'multicast', name: 'multicast address' },
  { bytes: [240, 0, 0, 0], bits: 4, kind: 'reserved', name: 'reserved or broadcast address' },
];

const V6: Range[] = [
  { bytes: [], bits: 128, kind: 'unspecified', name: 'unspecified address' },
  {
    bytes: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
    bits: 128,
    kind: 'loopback',
    name: 'loopback address',
  },
  {
    bytes: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff],
    bits: 96,
    kind: 'ipv4-embedded',
    name: 'IPv4-mapped address',
  },
  { bytes: [], bits: 96, kind: 'ipv4-embedded', name: 'IPv4-compatible address' },
  { bytes: [0, 0x64, 0xff, 0x9b], bits: 96, kind: 'ipv4-embedded', name: 'NAT64 address' },
  {
    bytes: [0, 0x64, 0xff, 0x9b, 0, 1],
    bits: 48,
    kind: 'reserved',
    name: 'local-use NAT64 address',
  },
  { bytes: [1, 0, 0, 0, 0, 0, 0, 0], bits: 64, kind: 'reserved', name: 'discard-only address' },
  { bytes: [0x20, 0x01, 0, 0], bits: 32, kind: 'ipv4-embedded', name: 'Teredo address' },
  { bytes: [0x20, 0x01, 0, 0], bits: 23, kind: 'reserved', name: 'IETF protocol address' },
  { bytes: [0x20, 0x02], bits: 16, kind: 'ipv4-embedded', name: '6to4 address' },
  { bytes: [0xfc], bits: 7, kind: 'unique-local', name: 'unique local address' },
  { bytes: [0xfe, 0x80], bits: 10, kind: 'link-local', name: 'link-local address' },
  { bytes: [0xfe, 0xc0], bits: 10, kind: 'private', name: 'site-local address' },
  { bytes: [0xff], bits: 8, kind: 'multicast', name: 'multicast address' },
];

function inRange(bytes: Uint8Array, range: Range): boolean {
  for (let bit = 0; bit < range.bits; bit += 8) {
    const index = bit / 8;
    const left = Math.min(8, range.bits - bit);
    const mask = (0xff << (8 - left)) & 0xff;
    if (((bytes[index] ?? 0) & mask) !== ((range.bytes[index] ?? 0) & mask)) return false;
  }
  return true;
}

/**
 * Classifies an address. Ranges are checked most specific first (the metadata
 * address before link-local, Teredo before the rest of 2001::/23).
 */
export function classifyAddress(address: IpAddress): AddressClass {
  const table = address.family === 4 ? V4 : V6;
  const range = table.find((r) => inRange(address.bytes, r));
  if (!range) return { kind: 'public', description: `public address ${address.text}` };
  let description = `${range.name} ${address.text}`;
  if (range.kind === 'ipv4-embedded') {
    const embedded = embeddedIpv4(address.bytes, range.name);
    if (embedded) description += ` (embeds ${embedded})`;
  }
  return { kind: range.kind, description };
}

function embeddedIpv4(bytes: Uint8Array, form: string): string {
  const at = (offset: number, xor = 0) =>
    Array.from(bytes.slice(offset, offset + 4), (b) => b ^ xor).join('.');
  if (form === '6to4 address') return at(2);
  // Teredo carries the client address inverted in the last 32 bits (RFC 4380).
  if (form === 'Teredo address') return at(12, 0xff);
  return at(12);
}

/** Parses and classifies an address that is known to be one (e.g. from DNS). */
export function classifyAddressText(text: string): AddressClass & { address: IpAddress } {
  const address = parseIpLiteral(text);
  if (address === null || address === 'invalid') {
    return {
      kind: 'reserved',
      description: `unparsable address ${text}`,
      address: { family: 4, text, bytes: new Uint8Array(4) },
    };
  }
  return { ...classifyAddress(address), address };
}
