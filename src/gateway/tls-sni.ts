/**
 * Reads the server name (SNI, RFC 6066 §3) from the first bytes a client sends in a
 * CONNECT tunnel, so the egress proxy can check that a TLS connection is for the host
 * it allowed (a shared front end routes by SNI: CONNECT allowed.example:443 carrying
 * a ClientHello for another name is domain fronting). Pure: no sockets.
 *
 * Layout (RFC 8446 §5.1, §4.1.2): TLS records of type 22 (handshake) carry the
 * ClientHello, which may be split over several records; its extensions hold
 * `server_name` (type 0) with one `host_name` entry.
 */

/** The most bytes read while waiting for a whole ClientHello (real ones are < 2 KiB). */
export const MAX_CLIENT_HELLO_BYTES = 64 * 1024;

export type ClientHelloResult =
  /** The bytes so far are a prefix of a TLS ClientHello: read more. */
  | { kind: 'need-more' }
  /** The first byte is not a TLS handshake record: not TLS at all. */
  | { kind: 'not-tls' }
  /** A whole ClientHello; `serverName` is undefined when it has no SNI. */
  | { kind: 'client-hello'; serverName: string | undefined }
  /** TLS, but not a ClientHello we accept; the reason is for people. */
  | { kind: 'malformed'; reason: string };

const HANDSHAKE_RECORD = 22;
const CLIENT_HELLO = 1;
const SERVER_NAME_EXTENSION = 0;
const HOST_NAME = 0;
/** A TLSPlaintext fragment is at most 2^14 bytes (RFC 8446 §5.1). */
const MAX_RECORD = 16_384;

class Malformed extends Error {}

/**
 * Parses the start of a tunnel's client bytes. Call again with more bytes while the
 * answer is `need-more`; past `maxBytes` without a whole ClientHello it is malformed.
 */
export function parseClientHello(
  bytes: Uint8Array,
  maxBytes = MAX_CLIENT_HELLO_BYTES,
): ClientHelloResult {
  if (bytes.length === 0) return { kind: 'need-more' };
  if (bytes[0] !== HANDSHAKE_RECORD) return { kind: 'not-tls' };
  try {
    const handshake = joinHandshakeRecords(bytes);
    if (handshake === undefined) {
      return bytes.length >= maxBytes
        ? { kind: 'malformed', reason: `no whole ClientHello in the first ${maxBytes} bytes` }
        : { kind: 'need-more' };
    }
    return { kind: 'client-hello', serverName: readServerName(handshake) };
  } catch (error) {
    if (error instanceof Malformed) return { kind: 'malformed', reason: error.message };
    throw error;
  }
}

/**
 * Concatenates handshake record fragments until they hold the whole first handshake
 * message; undefined while more bytes are needed.
 */
function joinHandshakeRecords(bytes: Uint8Array): Uint8Array | undefined {
  const fragments: Uint8Array[] = [];
  let collected = 0;
  let offset = 0;
  let needed: number | undefined;
  while (needed === undefined || collected < needed) {
    if (bytes.length - offset < 5) return undefined;
    if (bytes[offset] !== HANDSHAKE_RECORD) {
      throw new Malformed('a record other than a handshake came before the ClientHello ended');
    }
    if (bytes[offset + 1] !== 3) throw new Malformed('the TLS record version is not 3.x');
    const length = u16(bytes, offset + 3);
    if (length === 0 || length > MAX_RECORD) {
      throw new Malformed(`a TLS record of ${length} bytes`);
    }
    if (bytes.length - offset - 5 < length) return undefined;
    const fragment = bytes.subarray(offset + 5, offset + 5 + length);
    fragments.push(fragment);
    collected += fragment.length;
    offset += 5 + length;
    if (needed === undefined && collected >= 4) {
      const head = concat(fragments, 4);
      if (head[0] !== CLIENT_HELLO) throw new Malformed('the first handshake is not a ClientHello');
      needed = 4 + u24(head, 1);
    }
  }
  return concat(fragments, needed).subarray(4);
}

/** The ClientHello body's `host_name`, or undefined when it has no server_name. */
function readServerName(body: Uint8Array): string | undefined {
  const reader = new Reader(body);
  reader.skip(2 + 32); // legacy_version, random
  reader.skip(reader.u8()); // legacy_session_id
  reader.skip(reader.u16()); // cipher_suites
  reader.skip(reader.u8()); // legacy_compression_methods
  if (reader.done()) return undefined; // no extensions (TLS 1.0–1.2 may omit them)
  const extensions = new Reader(reader.bytes(reader.u16()));
  let name: string | undefined;
  let seen = false;
  while (!extensions.done()) {
    const type = extensions.u16();
    const data = extensions.bytes(extensions.u16());
    if (type !== SERVER_NAME_EXTENSION) continue;
    if (seen) throw new Malformed('two server_name extensions');
    seen = true;
    name = readHostName(data);
  }
  return name;
}

function readHostName(data: Uint8Array): string {
  const outer = new Reader(data);
  const list = new Reader(outer.bytes(outer.u16()));
  if (!outer.done()) throw new Malformed('bytes after the server_name list');
  let name: string | undefined;
  while (!list.done()) {
    const type = list.u8();
    const value = list.bytes(list.u16());
    if (type !== HOST_NAME) continue;
    // RFC 6066: at most one name of each type; two host names would be ambiguous.
    if (name !== undefined) throw new Malformed('two host names in server_name');
    if (value.length === 0 || !value.every((byte) => byte > 0x20 && byte < 0x7f)) {
      throw new Malformed('the server name is empty or not printable ASCII');
    }
    name = Buffer.from(value).toString('latin1');
  }
  if (name === undefined) throw new Malformed('a server_name extension without a host name');
  return name;
}

/** Whether a ClientHello's server name is the tunnel's host (case and a final dot aside). */
export function sameServerName(serverName: string, host: string): boolean {
  const norm = (name: string) => name.toLowerCase().replace(/\.$/, '');
  return norm(serverName) === norm(host);
}

function u16(bytes: Uint8Array, at: number): number {
  return ((bytes[at] ?? 0) << 8) | (bytes[at + 1] ?? 0);
}

function u24(bytes: Uint8Array, at: number): number {
  return ((bytes[at] ?? 0) << 16) | ((bytes[at + 1] ?? 0) << 8) | (bytes[at + 2] ?? 0);
}

function concat(parts: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    if (at >= length) break;
    const take = part.subarray(0, length - at);
    out.set(take, at);
    at += take.length;
  }
  return out;
}

/** A bounds-checked cursor: reading past the end is a malformed ClientHello. */
class Reader {
  private at = 0;
  constructor(private readonly data: Uint8Array) {}

  done(): boolean {
    return this.at >= this.data.length;
  }

  u8(): number {
    return this.bytes(1)[0] ?? 0;
  }

  u16(): number {
    return u16(this.bytes(2), 0);
  }

  skip(length: number): void {
    this.bytes(length);
  }

  bytes(length: number): Uint8Array {
    if (this.at + length > this.data.length) {
      throw new Malformed('the ClientHello ends inside a field');
    }
    const out = this.data.subarray(this.at, this.at + length);
    this.at += length;
    return out;
  }
}
